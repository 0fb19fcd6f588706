using System.Net.WebSockets;
using System.Text;
using Collab.Crdt;
using Collab.Crdt.Encoding;
using Collab.Crdt.Protocol;
using Collab.Documents;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Options;
using Microsoft.Extensions.Options;

namespace Collab.Server.Protocols.Hocuspocus;

/// <summary>
/// The receive loop of one Hocuspocus socket. Frames are handled one at a time in arrival order, so a document's token
/// message is answered before its first sync message is read, and an update's sync-status answer is sent only after
/// the update is stored durably (fsync): the provider's unsynced-changes count means what it says.
/// </summary>
/// <remarks>
/// Per document: a token that is missing or wrong, no role, a bad name or too many open documents get "permission
/// denied" for that document alone. A read-only role (or a protected branch) gets sync status "not applied" for a change,
/// as Hocuspocus does for read-only connections. A malformed frame closes the socket with 1008 and nothing of it applied.
/// </remarks>
internal sealed class HocuspocusConnection(HocuspocusPeer peer, WebSocket socket, string? socketUser, IServiceProvider services, CancellationToken aborted)
{
    private readonly SessionManager _sessions = services.GetRequiredService<SessionManager>();
    private readonly DocumentCatalog _catalog = services.GetRequiredService<DocumentCatalog>();
    private readonly SocketRegistry _registry = services.GetRequiredService<SocketRegistry>();
    private readonly SocketTokens _tokens = services.GetRequiredService<SocketTokens>();
    private readonly HubRateLimiter _limiter = services.GetRequiredService<HubRateLimiter>();
    private readonly LimitOptions _limits = services.GetRequiredService<IOptions<CollabServerOptions>>().Value.Limits;
    private readonly ILogger _logger = services.GetRequiredService<ILogger<HocuspocusPeer>>();

    /// <summary>Reads and handles frames until the peer closes, the socket fails, or a refusal closes it.</summary>
    public Task RunAsync() => SocketReceiveLoop.RunAsync(socket, peer.Outbox, _limits.MaxMessageBytes, "Hocuspocus", HandleAsync, aborted);

    /// <summary>Leaves every document open on the socket (it closed).</summary>
    public async Task LeaveAllAsync()
    {
        foreach (var name in peer.Documents.Keys.ToList()) await LeaveAsync(name);
    }

    private async Task<(CollabErrorCode Code, string Reason)?> HandleAsync(byte[] frame)
    {
        try
        {
            if (!_limiter.TryAcquire(peer.User, out var retryAfter))
            {
                throw new CollabException(CollabErrorCode.RateLimited, $"Too many messages; retry after {Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds))} ms.");
            }
            // A pong (one byte, no name) answers a ping; nothing to do.
            if (frame is [HocuspocusFrames.Pong]) return null;
            var (name, type, bodyAt) = ReadHeader(frame);
            var body = frame.AsMemory(bodyAt);
            if (type == HocuspocusFrames.Auth)
            {
                var reader = new Lib0Reader(body.Span);
                if (reader.ReadVarUInt() != HocuspocusFrames.AuthToken) throw new CollabException(CollabErrorCode.Malformed, "Clients send only token auth messages.");
                await OpenAsync(name, reader.ReadVarString());
                return null;
            }
            if (!peer.Documents.TryGetValue(name, out var open))
            {
                // Hocuspocus sends the token first; anything for a document that is not open (refused, or closed) is dropped.
                return null;
            }
            DocumentRole role;
            try
            {
                // The role is read on every frame, so that a revocation takes effect at once.
                role = _catalog.Authorize(open.Branch.Document.Value, open.User, DocumentRoles.CanRead, "sync");
            }
            catch (CollabException ex)
            {
                await LeaveAsync(name);
                peer.Outbox.TrySend(HocuspocusFrames.PermissionDenied(name, $"{ex.CodeName}: {ex.Message}"));
                return null;
            }
            var caller = new SessionCaller(peer.ConnectionId, open.User, role);
            switch (type)
            {
                case HocuspocusFrames.Sync:
                    await SyncAsync(name, open.Branch, caller, body.ToArray());
                    break;
                case HocuspocusFrames.Awareness:
                    var update = ReadBytes(body.Span);
                    if (update.Length == 0) throw new CollabException(CollabErrorCode.Malformed, "The awareness update is empty.");
                    if (update.Length > _limits.MaxAwarenessBytes) throw new CollabException(CollabErrorCode.TooLarge, $"The awareness update is {update.Length} bytes; the limit is {_limits.MaxAwarenessBytes}.");
                    await _sessions.AwarenessAsync(open.Branch, caller, update, aborted);
                    // Echoed as Hocuspocus's server does; it also keeps a quiet provider's liveness check happy.
                    peer.Outbox.TrySend(frame);
                    break;
                case HocuspocusFrames.QueryAwareness:
                    if (await _sessions.AwarenessStatesAsync(open.Branch, peer.ConnectionId, aborted) is { } states) peer.Outbox.TrySend(HocuspocusFrames.AwarenessFrame(name, states));
                    break;
                case HocuspocusFrames.Stateless:
                    var payload = new Lib0Reader(body.Span).ReadVarString();
                    if (Encoding.UTF8.GetByteCount(payload) > _limits.MaxAwarenessBytes) throw new CollabException(CollabErrorCode.TooLarge, $"A stateless message may have at most {_limits.MaxAwarenessBytes} bytes.");
                    // Relayed to the branch's other Hocuspocus providers (their "stateless" event); never stored.
                    _registry.Broadcast(open.Branch, BroadcastKind.Stateless, Encoding.UTF8.GetBytes(payload), peer.ConnectionId);
                    break;
                case HocuspocusFrames.Close:
                    await LeaveAsync(name);
                    break;
                default:
                    throw new CollabException(CollabErrorCode.Malformed, $"Unknown Hocuspocus message type {type}.");
            }
            return null;
        }
        catch (YjsFormatException ex)
        {
            return Refused(CollabErrorCode.Malformed, $"The frame is malformed: {ex.Message}");
        }
        catch (CollabException ex)
        {
            return Refused(ex.Code, ex.Message);
        }
        catch (EventStoreException ex)
        {
            return Refused(ErrorMapping.CodeOf(ex), ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            ServerLog.HubFailure(_logger, "hocuspocus", ex);
            return (CollabErrorCode.Unavailable, "The server failed to handle this message; it has been logged.");
        }
    }

    /// <summary>Authenticates and opens one document under <paramref name="name"/>; refusals are per document.</summary>
    private async Task OpenAsync(string name, string token)
    {
        try
        {
            var user = token.Length > 0 ? await _tokens.UserOfAsync(token, aborted) : socketUser;
            if (user is null) throw new CollabException(CollabErrorCode.Forbidden, "unauthorized: The token is missing, invalid or expired.");
            var branch = ParseName(name);
            var role = _catalog.Authorize(branch.Document.Value, user, DocumentRoles.CanRead, "join");
            if (peer.Documents.TryGetValue(name, out var open) && open.Branch == branch && open.User == user)
            {
                // The provider re-sent its token (recreated fast): answer again.
                peer.Outbox.TrySend(HocuspocusFrames.Authenticated(name, Scope(role)));
                return;
            }
            if (peer.Documents.ContainsKey(name)) await LeaveAsync(name);
            if (peer.Names.TryGetValue(branch, out var other)) throw new CollabException(CollabErrorCode.Conflict, $"This socket has {branch.Document}/{branch.Branch} open as '{other}' already.");
            if (peer.Documents.Count >= _limits.MaxBranchesPerConnection) throw new CollabException(CollabErrorCode.TooManyDocuments, $"A connection may open at most {_limits.MaxBranchesPerConnection} documents; close one first.");

            peer.Names[branch] = name;
            peer.Documents[name] = new HocuspocusPeer.OpenDocument(branch, user);
            // Joined in the registry first: broadcasts from here on reach this socket's outbox.
            _registry.Join(peer, branch);
            JoinState state;
            try
            {
                state = await _sessions.JoinAsync(branch, new SessionCaller(peer.ConnectionId, user, role), aborted);
            }
            catch
            {
                await LeaveAsync(name);
                throw;
            }
            peer.Outbox.TrySend(HocuspocusFrames.Authenticated(name, Scope(role)));
            peer.Outbox.TrySend(HocuspocusFrames.SyncFrame(name, state.SyncStep1));
            if (state.Awareness is { } awareness) peer.Outbox.TrySend(HocuspocusFrames.AwarenessFrame(name, awareness));
            ServerLog.Joined(_logger, peer.ConnectionId, user, branch.Document.Value, branch.Branch.Value, role.ToWire());
        }
        catch (CollabException ex)
        {
            var reason = ex.Message.StartsWith("unauthorized:", StringComparison.Ordinal) ? ex.Message : $"{ex.CodeName}: {ex.Message}";
            peer.Outbox.TrySend(HocuspocusFrames.PermissionDenied(name, reason));
        }
    }

    /// <summary>A sync message: SyncStep1 is answered with SyncStep2; an update or SyncStep2 with its sync status once it is stored (or refused).</summary>
    private async Task SyncAsync(string name, BranchRef branch, SessionCaller caller, byte[] syncMessage)
    {
        if (syncMessage.Length == 0) throw new CollabException(CollabErrorCode.Malformed, "The sync message is empty.");
        var isStep1 = syncMessage[0] == (byte)SyncMessageType.SyncStep1;
        try
        {
            var outcome = await _sessions.SyncAsync(branch, caller, syncMessage, updateId: null, _limits.MaxUpdateBytes, aborted);
            if (outcome.Reply is { } reply) peer.Outbox.TrySend(HocuspocusFrames.SyncFrame(name, reply));
            // Durable (or nothing to store) by now: this is what the provider counts down its unsynced changes with.
            if (!isStep1) peer.Outbox.TrySend(HocuspocusFrames.SyncStatusFrame(name, applied: true));
        }
        catch (CollabException ex) when (ex.Code is CollabErrorCode.Forbidden or CollabErrorCode.BranchProtected)
        {
            // A read-only role or a protected branch: "not applied", as Hocuspocus answers a read-only connection.
            peer.Outbox.TrySend(HocuspocusFrames.SyncStatusFrame(name, applied: false));
        }
    }

    private async Task LeaveAsync(string name)
    {
        if (!peer.Documents.TryRemove(name, out var open)) return;
        peer.Names.TryRemove(new KeyValuePair<BranchRef, string>(open.Branch, name));
        _registry.Leave(peer, open.Branch);
        await _sessions.LeaveAsync(open.Branch, peer.ConnectionId, CancellationToken.None);
    }

    /// <summary><c>document</c> or <c>document@branch</c>; a Hocuspocus <c>\0session</c> suffix is not part of it.</summary>
    internal static BranchRef ParseName(string name)
    {
        var key = name.Split('\0')[0];
        var at = key.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? DocumentCatalog.ParseBranch(key, "main") : DocumentCatalog.ParseBranch(key[..at], key[(at + 1)..]);
    }

    private static string Scope(DocumentRole role) => role.CanWrite() ? "read-write" : "readonly";

    private static (string Name, int Type, int BodyAt) ReadHeader(byte[] frame)
    {
        var reader = new Lib0Reader(frame);
        var name = reader.ReadVarString();
        var type = reader.ReadVarUInt();
        if (type > 64) throw reader.Error($"Unknown Hocuspocus message type {type}");
        return (name, (int)type, reader.Position);
    }

    private static byte[] ReadBytes(ReadOnlySpan<byte> body)
    {
        var reader = new Lib0Reader(body);
        return reader.ReadVarUint8Array().ToArray();
    }

    private (CollabErrorCode, string) Refused(CollabErrorCode code, string reason)
    {
        ServerLog.Refused(_logger, "hocuspocus", peer.User, null, null, CollabException.CodeNameOf(code), reason);
        return (code, reason);
    }
}
