using Collab.EventStore;

namespace Collab.Documents.Sessions;

/// <summary>
/// How a session reaches the connections of its branch. The host implements it (SignalR groups); the domain never
/// sees SignalR. Calls for one branch come from that branch's single loop, in seq order.
/// </summary>
public interface IBranchBroadcaster
{
    /// <summary>Sends a y-protocols sync message to every connection of the branch except <paramref name="exceptConnectionId"/>.</summary>
    Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken);

    /// <summary>Sends an awareness update to every connection of the branch except <paramref name="exceptConnectionId"/>.</summary>
    Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken);
}
