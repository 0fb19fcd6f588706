using System.Net.WebSockets;
using Collab.Crdt;
using Collab.Crdt.Protocol;
using Collab.Documents;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Options;
using Microsoft.Extensions.Options;

namespace Collab.Server.Protocols.YWebsocket;

/// <summary>
/// The y-websocket protocol on plain WebSockets at <c>/ws/{document}?branch=…&amp;token=…</c>, so that a stock
/// <c>WebsocketProvider</c> (y-websocket 3.x) connects by changing its URL (docs/migrating.md). Everything goes through
/// the same live sessions, role checks, limits and durable appends as the SignalR hub.
/// </summary>
/// <remarks>
/// Refusals, in the protocol's own terms: a missing or wrong token, no role on the document, a bad document or branch
/// name and the per-user socket cap get an auth "permission denied" message with the reason, then a close in the 44xx
/// range (4401, 4403, 4404, 4400, 4429), which y-websocket 3.x treats as final (no reconnect loop). A write by a
/// read-only role (or to a protected branch) gets "permission denied" and the socket stays open for reading. A
/// malformed or oversized frame closes the socket with 1008 (policy violation) or 1009 and its reason: nothing of it is
/// applied, and the provider reconnects and resyncs. Rate-limited sockets are closed with 1013 (try again later).
/// </remarks>
internal static class YWebsocketEndpoint
{
    /// <summary>The path prefix; the document id follows.</summary>
    public const string PathPrefix = "/ws";

    /// <summary>Maps <c>/ws/{document}</c> (and turns on the WebSocket middleware it needs).</summary>
    public static WebApplication MapYWebsocket(this WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.Map(PathPrefix + "/{document}", HandleAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Connect with a WebSocket: this is the y-websocket endpoint (docs/migrating.md).");
            return;
        }
        var services = context.RequestServices;
        var document = context.Request.RouteValues["document"] as string ?? "";
        var branchName = context.Request.Query["branch"].ToString();
        if (branchName.Length == 0) branchName = "main";

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var user = context.User.Identity?.IsAuthenticated == true ? HubUser.TryNameOf(context.User) : null;
        if (user is null)
        {
            await RefuseAsync(socket, 4401, "unauthorized: The token is missing, invalid or expired; send it as ?token=… (WebsocketProvider params) or an Authorization header.");
            return;
        }
        var catalog = services.GetRequiredService<DocumentCatalog>();
        BranchRef branch;
        DocumentRole role;
        try
        {
            branch = DocumentCatalog.ParseBranch(document, branchName);
            role = catalog.Authorize(document, user, DocumentRoles.CanRead, "join");
        }
        catch (CollabException ex)
        {
            await RefuseAsync(socket, CloseCodeOf(ex.Code), $"{ex.CodeName}: {ex.Message}");
            return;
        }

        var options = services.GetRequiredService<IOptions<CollabServerOptions>>().Value;
        var logger = services.GetRequiredService<ILogger<YWebsocketPeer>>();
        var registry = services.GetRequiredService<SocketRegistry>();
        var sessions = services.GetRequiredService<SessionManager>();
        var connectionId = "yws-" + Guid.NewGuid().ToString("N");
        var outbox = new SocketOutbox(socket, connectionId, options.Limits.MaxOutboxMessages, options.Limits.MaxOutboxBytes, logger);
        var peer = new YWebsocketPeer(connectionId, user, outbox);
        if (!registry.TryAttach(peer, options.Limits.MaxConnectionsPerUser))
        {
            outbox.Abort();
            await RefuseAsync(socket, 4429, $"too_many_connections: A user may hold at most {options.Limits.MaxConnectionsPerUser} y-websocket connections open at once.");
            return;
        }
        var connection = new YWebsocketConnection(peer, socket, branch, services, context.RequestAborted);
        try
        {
            // Joined in the registry first: broadcasts from here on reach this socket's outbox.
            registry.Join(peer, branch);
            var state = await sessions.JoinAsync(branch, new SessionCaller(connectionId, user, role), context.RequestAborted);
            outbox.TrySend(YWebsocketPeer.SyncFrame(state.SyncStep1));
            if (state.Awareness is { } awareness) outbox.TrySend(ProviderMessage.EncodeAwareness(awareness));
            ServerLog.Joined(logger, connectionId, user, document, branch.Branch.Value, role.ToWire());
            await connection.RunAsync();
        }
        catch (CollabException ex)
        {
            // The join itself failed (the server is stopping, the branch does not exist…).
            outbox.TrySend(ProviderMessage.EncodePermissionDenied($"{ex.CodeName}: {ex.Message}"));
            outbox.Close((WebSocketCloseStatus)CloseCodeOf(ex.Code), $"{ex.CodeName}: {ex.Message}");
        }
        catch (EventStoreException ex)
        {
            var code = ErrorMapping.CodeOf(ex);
            outbox.Close((WebSocketCloseStatus)CloseCodeOf(code), $"{CollabException.CodeNameOf(code)}: {ex.Message}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went away while joining.
        }
        finally
        {
            // The one leave path, as for hub connections: no more broadcasts, then the session forgets the member and
            // tells the others its awareness states are gone.
            registry.Leave(peer, branch);
            await sessions.LeaveAsync(branch, connectionId, CancellationToken.None);
            registry.Detach(peer);
            // Let a close frame still queued go out, then release the socket.
            await Task.WhenAny(outbox.Completion, Task.Delay(TimeSpan.FromSeconds(2)));
            outbox.Abort();
        }
    }

    /// <summary>Close codes for refusals: 44xx (final for y-websocket 3.x) for what reconnecting cannot fix.</summary>
    internal static int CloseCodeOf(CollabErrorCode code) => code switch
    {
        CollabErrorCode.Forbidden => 4403,
        CollabErrorCode.NotFound => 4404,
        CollabErrorCode.Invalid => 4400,
        CollabErrorCode.TooManyDocuments => 4429,
        CollabErrorCode.Malformed => (int)WebSocketCloseStatus.PolicyViolation,
        CollabErrorCode.TooLarge => (int)WebSocketCloseStatus.MessageTooBig,
        CollabErrorCode.RateLimited => 1013, // try again later
        CollabErrorCode.Unavailable => (int)WebSocketCloseStatus.EndpointUnavailable,
        _ => (int)WebSocketCloseStatus.PolicyViolation,
    };

    /// <summary>Sends "permission denied" with the reason, closes with <paramref name="closeCode"/> and waits briefly for the peer's close.</summary>
    private static async Task RefuseAsync(WebSocket socket, int closeCode, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.SendAsync(ProviderMessage.EncodePermissionDenied(reason), WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
            await socket.CloseAsync((WebSocketCloseStatus)closeCode, CloseReason(reason), timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // The client did not answer the close; the socket is dropped.
        }
    }

    /// <summary>A close frame's reason is limited to 123 UTF-8 bytes.</summary>
    internal static string CloseReason(string reason) =>
        System.Text.Encoding.UTF8.GetByteCount(reason) <= 120 ? reason : reason[..Math.Min(reason.Length, 60)] + "…";
}
