using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Server.Hubs;

/// <summary>
/// The one leave path. Leaving a branch, closing a connection and losing one's role all end here: the host forgets the
/// join (no more broadcasts), then the session forgets the member and tells the others its awareness states are gone.
/// </summary>
internal sealed class HubMembership(ConnectionRegistry registry, SessionManager sessions)
{
    /// <summary>Leaves one branch; a no-op when the connection had not joined it.</summary>
    public async Task LeaveAsync(string connectionId, BranchRef branch)
    {
        if (!registry.Leave(connectionId, branch)) return;
        await sessions.LeaveAsync(branch, connectionId, CancellationToken.None);
    }

    /// <summary>Leaves every branch a closing connection had joined.</summary>
    public async Task DisconnectAsync(string connectionId)
    {
        foreach (var branch in registry.JoinedBranches(connectionId)) await LeaveAsync(connectionId, branch);
    }

    /// <summary>Takes a user whose role was revoked out of every branch of the document, at once.</summary>
    public async Task RevokeAsync(string user, DocumentId document)
    {
        foreach (var (connectionId, branch) in registry.JoinedBy(user, document)) await LeaveAsync(connectionId, branch);
    }
}
