using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Collab.Server.Hubs;

/// <summary>
/// SignalR's default lifetime manager, plus a record of each connection's <see cref="HubConnectionContext"/>: the only
/// handle through which the server can close a connection with a reason (a SignalR close message) at shutdown.
/// </summary>
internal sealed class TrackingHubLifetimeManager(ILogger<DefaultHubLifetimeManager<DocumentHub>> logger, ConnectionRegistry registry)
    : DefaultHubLifetimeManager<DocumentHub>(logger)
{
    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        registry.Attach(connection);
        return base.OnConnectedAsync(connection);
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        registry.Detach(connection.ConnectionId);
        return base.OnDisconnectedAsync(connection);
    }
}

/// <summary>Closing connections with a reason.</summary>
internal static class HubConnectionClosing
{
    /// <summary>
    /// Sends a close message carrying <paramref name="reason"/> (reconnecting allowed unless said otherwise), gives the
    /// client a moment to read it and hang up (aborting at once could drop the message still in the pipe), then aborts.
    /// </summary>
    public static async Task CloseAsync(HubConnectionContext connection, string reason, TimeSpan grace, CancellationToken cancellationToken, bool allowReconnect = true)
    {
        try
        {
            await connection.WriteAsync(new CloseMessage(reason, allowReconnect), cancellationToken);
            await Task.Delay(grace, connection.ConnectionAborted).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client hung up (what we asked for), or the connection is already going away.
        }
        connection.Abort();
    }
}
