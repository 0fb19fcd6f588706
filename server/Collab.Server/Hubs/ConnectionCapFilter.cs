using System.Collections.Concurrent;
using Collab.Server.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// Caps the hub connections one user may hold open at once (<see cref="LimitOptions.MaxConnectionsPerUser"/>): a flood of
/// connections from one account must not exhaust the server for everyone else. A connection over the cap is closed at
/// once with the error <c>too_many_connections: …</c> in a SignalR close message and never reaches the hub. The filter
/// closes it itself rather than throwing: SignalR logs an exception thrown from <c>OnConnectedAsync</c> at error level
/// with its stack trace, so a flood of refused connections would flood the log (issue 13, finding 7).
/// </summary>
internal sealed partial class ConnectionCapFilter(IOptions<CollabServerOptions> options, ConnectionRegistry registry, RefusalLogThrottle throttle, ILogger<ConnectionCapFilter> logger) : IHubFilter
{
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _counted = new(StringComparer.Ordinal);

    /// <summary>Open connections of <paramref name="user"/> that were let in.</summary>
    public int CountOf(string user) => _perUser.GetValueOrDefault(user);

    /// <summary>Users holding at least one counted connection (the table is pruned as counts reach zero).</summary>
    public int UserCount => _perUser.Count;

    /// <summary>Connections counted against their user's cap.</summary>
    public int CountedConnections => _counted.Count;

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        var user = HubUser.NameOf(context.Context.User);
        var max = options.Value.Limits.MaxConnectionsPerUser;
        var count = _perUser.AddOrUpdate(user, 1, (_, n) => n + 1);
        if (count > max)
        {
            Decrement(user);
            // Throttled per user like every refusal: connection attempts must not flood the log either.
            if (throttle.ShouldLog(user, out var suppressed))
            {
                if (suppressed > 0) ServerLog.RefusalsSuppressed(logger, suppressed, user, (int)RefusalLogThrottle.Window.TotalSeconds);
                RefusedConnection(logger, context.Context.ConnectionId, user, max);
            }
            var reason = $"too_many_connections: A user may hold at most {max} connections open at once; close one first.";
            if (registry.TransportOf(context.Context.ConnectionId) is not { } transport) throw new HubException(reason);
            // Never reaches the hub: the client reads the reason and hangs up, or is cut off after a short grace.
            await HubConnectionClosing.CloseAsync(transport, reason, TimeSpan.FromSeconds(1), CancellationToken.None, allowReconnect: false).ConfigureAwait(false);
            return;
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
