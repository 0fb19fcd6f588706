using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Hubs;

namespace Collab.Server.Protocols;

/// <summary>
/// The branch broadcaster of the host: every broadcast goes to the branch's hub connections and to its raw sockets
/// (y-websocket, …), so clients on every protocol edit one document together. Both sides only enqueue.
/// </summary>
internal sealed class BroadcastFanOut(ConnectionRegistry hub, SocketRegistry sockets) : IBranchBroadcaster
{
    public async Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken)
    {
        await hub.BroadcastSyncAsync(branch, message, exceptConnectionId, cancellationToken).ConfigureAwait(false);
        sockets.Broadcast(branch, BroadcastKind.Sync, message, exceptConnectionId);
    }

    public Task BroadcastSyncBatchAsync(BranchRef branch, IReadOnlyList<BranchSyncMessage> messages, CancellationToken cancellationToken)
    {
        hub.BroadcastSyncBatch(branch, messages);
        // A raw socket's provider reads one y-protocols message per frame: one frame each.
        foreach (var message in messages) sockets.Broadcast(branch, BroadcastKind.Sync, message.Message, message.ExceptConnectionId);
        return Task.CompletedTask;
    }

    public async Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken)
    {
        await hub.BroadcastAwarenessAsync(branch, update, exceptConnectionId, cancellationToken).ConfigureAwait(false);
        sockets.Broadcast(branch, BroadcastKind.Awareness, update, exceptConnectionId);
    }
}
