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

    /// <summary>A socket opened without a token must authenticate some document within 10 s, or it is closed (4401).</summary>
    private static async Task CloseIfNoDocumentAsync(HocuspocusPeer peer, CancellationToken aborted)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10), aborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (peer.Documents.IsEmpty) peer.Outbox.Close((WebSocketCloseStatus)4401, "unauthorized: No document was opened with a valid token.");
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
        // Tokens come per document; the socket itself counts against its connect-time user, or else its address, with a
        // cap 16 times the per-user one (many users may share an address behind a proxy).
        var connectUser = SocketTokens.UserOf(context);
        var socketUser = connectUser ?? "ip:" + context.Connection.RemoteIpAddress;
        var maxSockets = connectUser is null ? options.Limits.MaxConnectionsPerUser * 16 : options.Limits.MaxConnectionsPerUser;
        var connectionId = "hp-" + Guid.NewGuid().ToString("N");
        var outbox = new SocketOutbox(socket, connectionId, options.Limits.MaxOutboxMessages, options.Limits.MaxOutboxBytes, logger);
        var peer = new HocuspocusPeer(connectionId, socketUser, outbox);
        if (!registry.TryAttach(peer, maxSockets))
        {
            outbox.Close((WebSocketCloseStatus)4429, $"too_many_connections: at most {maxSockets} sockets at once.");
            await Task.WhenAny(outbox.Completion, Task.Delay(TimeSpan.FromSeconds(2)));
            outbox.Abort();
            return;
        }
        var connection = new HocuspocusConnection(peer, socket, connectUser, services, context.RequestAborted);
        if (connectUser is null) _ = CloseIfNoDocumentAsync(peer, context.RequestAborted);
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
