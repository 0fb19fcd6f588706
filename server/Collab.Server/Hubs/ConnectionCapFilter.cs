using System.Collections.Concurrent;
using Collab.Server.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// Caps the hub connections one user may hold open at once (<see cref="LimitOptions.MaxConnectionsPerUser"/>): a flood of
/// connections from one account must not exhaust the server for everyone else. A connection over the cap is closed at
/// once with the error <c>too_many_connections: …</c> (SignalR sends a <see cref="HubException"/>'s message to the client
/// in its close message) and never reaches the hub.
/// </summary>
internal sealed partial class ConnectionCapFilter(IOptions<CollabServerOptions> options, ILogger<ConnectionCapFilter> logger) : IHubFilter
{
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _counted = new(StringComparer.Ordinal);

    /// <summary>Open connections of <paramref name="user"/> that were let in.</summary>
    public int CountOf(string user) => _perUser.GetValueOrDefault(user);

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var user = HubUser.NameOf(context.Context.User);
        var max = options.Value.Limits.MaxConnectionsPerUser;
        var count = _perUser.AddOrUpdate(user, 1, (_, n) => n + 1);
        if (count > max)
        {
            Decrement(user);
            RefusedConnection(logger, context.Context.ConnectionId, user, max);
            throw new HubException($"too_many_connections: A user may hold at most {max} connections open at once; close one first.");
        }

        _counted[context.Context.ConnectionId] = user;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            // SignalR does not call OnDisconnectedAsync for a connection whose OnConnectedAsync failed.
            if (_counted.TryRemove(context.Context.ConnectionId, out _)) Decrement(user);
            throw;
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception).ConfigureAwait(false);
        }
        finally
        {
            if (_counted.TryRemove(context.Context.ConnectionId, out var user)) Decrement(user);
        }
    }

    private void Decrement(string user)
    {
        var count = _perUser.AddOrUpdate(user, 0, (_, n) => n - 1);
        // Forget users with no connection, so that the table does not grow with every user ever seen.
        if (count <= 0) _perUser.TryRemove(new KeyValuePair<string, int>(user, count));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused connection {ConnectionId} of {User}: over the cap of {Max} connections per user")]
    private static partial void RefusedConnection(ILogger logger, string connectionId, string user, int max);
}
