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
/// The receive loop of one joined y-websocket socket. Frames are handled one at a time in arrival order: an update is
/// applied and stored durably (fsync) before the next frame is read, exactly as a hub <c>Sync</c> call.
/// </summary>
internal sealed class YWebsocketConnection(YWebsocketPeer peer, WebSocket socket, BranchRef branch, IServiceProvider services, CancellationToken aborted)
{
    private readonly SessionManager _sessions = services.GetRequiredService<SessionManager>();
    private readonly DocumentCatalog _catalog = services.GetRequiredService<DocumentCatalog>();
    private readonly HubRateLimiter _limiter = services.GetRequiredService<HubRateLimiter>();
    private readonly RefusalLogThrottle _throttle = services.GetRequiredService<RefusalLogThrottle>();
    private readonly LimitOptions _limits = services.GetRequiredService<IOptions<CollabServerOptions>>().Value.Limits;
    private readonly ILogger _logger = services.GetRequiredService<ILogger<YWebsocketPeer>>();

    private string Document => branch.Document.Value;

    /// <summary>Reads and handles frames until the peer closes, the socket fails, or a refusal closes it.</summary>
    public Task RunAsync() => SocketReceiveLoop.RunAsync(socket, peer.Outbox, _limits.MaxMessageBytes, "y-websocket", HandleAsync, aborted);

    /// <summary>Handles one frame; returns the refusal that closes the socket, or null to go on.</summary>
    private async Task<(CollabErrorCode Code, string Reason)?> HandleAsync(byte[] frame)
    {
        var kind = "frame";
        try
        {
            if (!_limiter.TryAcquire(peer.User, out var retryAfter))
            {
                throw new CollabException(CollabErrorCode.RateLimited, $"Too many messages; retry after {Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds))} ms.");
            }
            var message = ProviderMessage.Read(frame);
            kind = message.Type.ToString();
            // The role is read on every frame, so that a revocation takes effect at once: no role left closes the socket.
            DocumentRole role;
            try
            {
                role = _catalog.Authorize(Document, peer.User, DocumentRoles.CanRead, "sync");
            }
            catch (CollabException ex)
            {
                peer.Outbox.TrySend(ProviderMessage.EncodePermissionDenied($"{ex.CodeName}: {ex.Message}"));
                throw;
            }
            var caller = new SessionCaller(peer.ConnectionId, peer.User, role);
            switch (message.Type)
            {
                case ProviderMessageType.Sync:
                    await SyncAsync(caller, message.Body.ToArray());
                    break;
                case ProviderMessageType.Awareness:
                    var update = message.ReadAwareness();
                    if (update.Length == 0) throw new CollabException(CollabErrorCode.Malformed, "The awareness update is empty.");
                    if (update.Length > _limits.MaxAwarenessBytes) throw new CollabException(CollabErrorCode.TooLarge, $"The awareness update is {update.Length} bytes; the limit is {_limits.MaxAwarenessBytes}.");
                    await _sessions.AwarenessAsync(branch, caller, update.ToArray(), aborted);
                    // Echoed to the sender as y-websocket's own server does: a provider that hears nothing for 30 s
                    // thinks the connection is dead, and its awareness renewals (every 15 s) keep a quiet one alive.
                    peer.Outbox.TrySend(frame);
                    break;
                case ProviderMessageType.QueryAwareness:
                    if (await _sessions.AwarenessStatesAsync(branch, peer.ConnectionId, aborted) is { } states) peer.Outbox.TrySend(ProviderMessage.EncodeAwareness(states));
                    break;
                case ProviderMessageType.Auth:
                    // Clients have nothing to say in the auth sub-protocol; ignored.
                    break;
            }
            return null;
        }
        catch (YjsFormatException ex)
        {
            return Refused(kind, CollabErrorCode.Malformed, $"The frame is malformed: {ex.Message}");
        }
        catch (CollabException ex)
        {
            return Refused(kind, ex.Code, ex.Message);
        }
        catch (EventStoreException ex)
        {
            return Refused(kind, ErrorMapping.CodeOf(ex), ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            ServerLog.HubFailure(_logger, "y-websocket " + kind, ex);
            return (CollabErrorCode.Unavailable, "The server failed to handle this message; it has been logged.");
        }
    }

    /// <summary>A sync message: SyncStep1 is answered with SyncStep2; an update is applied and stored (or refused) before this returns.</summary>
    private async Task SyncAsync(SessionCaller caller, byte[] syncMessage)
    {
        if (syncMessage.Length == 0) throw new CollabException(CollabErrorCode.Malformed, "The sync message is empty.");
        try
        {
            var outcome = await _sessions.SyncAsync(branch, caller, syncMessage, updateId: null, _limits.MaxUpdateBytes, aborted);
            if (outcome.Reply is { } reply) peer.Outbox.TrySend(YWebsocketPeer.SyncFrame(reply));
        }
        catch (CollabException ex) when (ex.Code is CollabErrorCode.Forbidden or CollabErrorCode.BranchProtected)
        {
            // A read-only role (or a protected branch): the protocol's "permission denied", and the socket stays open
            // for reading. The document is unchanged.
            LogRefusal("Sync", ex.Code, ex.Message);
            peer.Outbox.TrySend(ProviderMessage.EncodePermissionDenied($"{ex.CodeName}: {ex.Message}"));
        }
    }

    private (CollabErrorCode, string) Refused(string kind, CollabErrorCode code, string reason)
    {
        LogRefusal(kind, code, reason);
        return (code, reason);
    }

    private void LogRefusal(string kind, CollabErrorCode code, string reason)
    {
        if (!_throttle.ShouldLog(peer.User, out var suppressed)) return;
        if (suppressed > 0) ServerLog.RefusalsSuppressed(_logger, suppressed, peer.User, (int)RefusalLogThrottle.Window.TotalSeconds);
        if (code == CollabErrorCode.RateLimited) ServerLog.RateLimited(_logger, "y-websocket " + kind, peer.User, Document, branch.Branch.Value);
        else ServerLog.Refused(_logger, "y-websocket " + kind, peer.User, Document, branch.Branch.Value, CollabException.CodeNameOf(code), reason);
    }
}
