using System.Net.WebSockets;
using Collab.Server.Options;
using Microsoft.Extensions.Options;

namespace Collab.Server.Protocols.Hocuspocus;

/// <summary>
/// The Hocuspocus protocol at <c>/hocuspocus</c>, so that a stock <c>@hocuspocus/provider</c> (4.x) connects by changing
/// its URL (docs/migrating.md). Many documents share one socket, each authenticated by its own token message; everything
/// goes through the same live sessions, role checks, limits and durable appends as the SignalR hub.
/// </summary>
internal static class HocuspocusEndpoint
{
    /// <summary>The path.</summary>
    public const string Path = "/hocuspocus";

    /// <summary>Maps <c>/hocuspocus</c> (after <see cref="YWebsocket.YWebsocketEndpoint.MapYWebsocket"/>, which turns on WebSockets).</summary>
    public static WebApplication MapHocuspocus(this WebApplication app)
    {
        app.Map(Path, HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Connect with a WebSocket: this is the Hocuspocus endpoint (docs/migrating.md).");
            return;
        }
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<CollabServerOptions>>().Value;
        var logger = services.GetRequiredService<ILogger<HocuspocusPeer>>();
        var registry = services.GetRequiredService<SocketRegistry>();
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // Tokens come per document; the socket itself counts against its connect-time user, or its address.
        var socketUser = SocketTokens.UserOf(context) ?? "ip:" + context.Connection.RemoteIpAddress;
        var connectionId = "hp-" + Guid.NewGuid().ToString("N");
        var outbox = new SocketOutbox(socket, connectionId, options.Limits.MaxOutboxMessages, options.Limits.MaxOutboxBytes, logger);
        var peer = new HocuspocusPeer(connectionId, socketUser, outbox);
        if (!registry.TryAttach(peer, options.Limits.MaxConnectionsPerUser))
        {
            outbox.Close((WebSocketCloseStatus)4429, $"too_many_connections: at most {options.Limits.MaxConnectionsPerUser} sockets at once.");
            await Task.WhenAny(outbox.Completion, Task.Delay(TimeSpan.FromSeconds(2)));
            outbox.Abort();
            return;
        }
        var connection = new HocuspocusConnection(peer, socket, SocketTokens.UserOf(context), services, context.RequestAborted);
        try
        {
            await connection.RunAsync();
        }
        finally
        {
            await connection.LeaveAllAsync();
            registry.Detach(peer);
            await Task.WhenAny(outbox.Completion, Task.Delay(TimeSpan.FromSeconds(2)));
            outbox.Abort();
        }
    }
}
