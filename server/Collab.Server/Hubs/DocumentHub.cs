using Collab.Documents;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.Server.Options;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// The realtime endpoint (<c>/hubs/documents</c>). Thin: it checks identity, role and limits, then hands the bytes to
/// the session manager. The contract is in docs/protocol.md.
/// </summary>
[Authorize]
internal sealed partial class DocumentHub(
    SessionManager sessions,
    DocumentCatalog catalog,
    BranchService branches,
    BranchNotifier notifier,
    ConnectionRegistry registry,
    HubMembership membership,
    IOptions<CollabServerOptions> options,
    ILogger<DocumentHub> logger) : Hub<IDocumentClient>
{
    private string UserName => HubUser.NameOf(Context.User);

    public override Task OnDisconnectedAsync(Exception? exception) => membership.DisconnectAsync(Context.ConnectionId);

    /// <summary>Joins a branch; the server's SyncStep1 (and current awareness) are sent before this returns.</summary>
    public async Task<JoinResult> Join(string documentId, string branch)
    {
        var branchRef = DocumentCatalog.ParseBranch(documentId, branch);
        var role = catalog.Authorize(documentId, UserName, DocumentRoles.CanRead, "join");
        var max = options.Value.Limits.MaxBranchesPerConnection;
        if (!registry.TryJoin(Context.ConnectionId, branchRef, max))
        {
            throw new CollabException(CollabErrorCode.TooManyDocuments, $"A connection may join at most {max} branches; leave one first.");
        }
        try
        {
            // Joined in the registry first: broadcasts from here on reach this connection's outbox.
            var state = await sessions.JoinAsync(branchRef, Caller(role), Context.ConnectionAborted);
            await Clients.Caller.Sync(documentId, branch, state.SyncStep1);
            if (state.Awareness is { } awareness) await Clients.Caller.Awareness(documentId, branch, awareness);
            ServerLog.Joined(logger, Context.ConnectionId, UserName, documentId, branch, role.ToWire());
            return new JoinResult(state.HeadSeq, role.ToWire());
        }
        catch
        {
            await membership.LeaveAsync(Context.ConnectionId, branchRef);
            throw;
        }
    }

    /// <summary>One y-protocols sync message; acknowledged with the seq at which an update was stored.</summary>
    public async Task<SyncAck> Sync(string documentId, string branch, byte[] message, string? updateId)
    {
        var branchRef = DocumentCatalog.ParseBranch(documentId, branch);
        // The role is read on every message so that a revocation takes effect at once.
        var role = catalog.Authorize(documentId, UserName, DocumentRoles.CanRead, "sync");
        RequireJoined(branchRef);
        if (message is null || message.Length == 0) throw new CollabException(CollabErrorCode.Malformed, "The sync message is empty.");
        var outcome = await sessions.SyncAsync(branchRef, Caller(role), message, updateId, options.Value.Limits.MaxUpdateBytes, Context.ConnectionAborted);
        if (outcome.Reply is { } reply) await Clients.Caller.Sync(documentId, branch, reply);
        return new SyncAck(outcome.Seq);
    }

    /// <summary>Relays an awareness update to the branch's other connections; never stored.</summary>
    public async Task Awareness(string documentId, string branch, byte[] update)
    {
        var branchRef = DocumentCatalog.ParseBranch(documentId, branch);
        var role = catalog.Authorize(documentId, UserName, DocumentRoles.CanRead, "publish presence on");
        RequireJoined(branchRef);
        if (update is null || update.Length == 0) throw new CollabException(CollabErrorCode.Malformed, "The awareness update is empty.");
        var max = options.Value.Limits.MaxAwarenessBytes;
        if (update.Length > max) throw new CollabException(CollabErrorCode.TooLarge, $"The awareness update is {update.Length} bytes; the limit is {max}.");
        await sessions.AwarenessAsync(branchRef, Caller(role), update, Context.ConnectionAborted);
    }

    /// <summary>Leaves a branch; the connection's awareness states are removed for the others.</summary>
    public async Task Leave(string documentId, string branch)
    {
        await membership.LeaveAsync(Context.ConnectionId, DocumentCatalog.ParseBranch(documentId, branch));
    }

    private SessionCaller Caller(DocumentRole role) => new(Context.ConnectionId, UserName, role);

    private void RequireJoined(Collab.EventStore.BranchRef branch)
    {
        if (!registry.IsJoined(Context.ConnectionId, branch))
        {
            throw new CollabException(CollabErrorCode.NotJoined, $"Join {branch.Document}/{branch.Branch} before sending to it.");
        }
    }
}
