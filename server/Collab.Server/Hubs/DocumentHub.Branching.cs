using Collab.Documents;

namespace Collab.Server.Hubs;

internal sealed partial class DocumentHub
{
    /// <summary>
    /// "Move my work to a branch": forks <paramref name="newBranch"/> from <paramref name="fromBranch"/> at its head once
    /// every update this server received for it is stored, joins the connection to the new branch (its SyncStep1 is
    /// sent before this returns, as for <c>Join</c>) and leaves the old one. The client keeps its document and answers
    /// the SyncStep1 with its SyncStep2, which carries whatever the server did not store yet.
    /// </summary>
    public async Task<MoveResult> MoveToBranch(string documentId, string fromBranch, string newBranch)
    {
        var from = Documents.Access.DocumentCatalog.ParseBranch(documentId, fromBranch);
        Documents.Access.DocumentCatalog.ParseBranch(documentId, newBranch);
        RequireJoined(from);
        var created = await branches.ForkFromHeadAsync(documentId, fromBranch, newBranch, UserName, Context.ConnectionAborted);
        await notifier.BranchCreatedAsync(documentId, created, UserName);
        // Leave first: the old branch's slot is free for the new one whatever the per-connection limit.
        await Leave(documentId, fromBranch);
        var joined = await Join(documentId, newBranch);
        return new MoveResult(newBranch, created.ForkSeq, joined.HeadSeq, joined.Role);
    }
}
