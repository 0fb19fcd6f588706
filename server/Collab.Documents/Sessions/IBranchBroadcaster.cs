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

    /// <summary>
    /// Sends the sync messages of one commit, in order: each connection gets every message except those it sent. A
    /// host can then hand each connection the whole batch in one write (one frame, one send) instead of one per update.
    /// </summary>
    async Task BroadcastSyncBatchAsync(BranchRef branch, IReadOnlyList<BranchSyncMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            await BroadcastSyncAsync(branch, message.Message, message.ExceptConnectionId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends an awareness update to every connection of the branch except <paramref name="exceptConnectionId"/>.</summary>
    Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken);
}

/// <summary>One sync message of a commit's broadcast, and the connection that sent its update (it does not get it back).</summary>
public readonly record struct BranchSyncMessage(byte[] Message, string? ExceptConnectionId);
