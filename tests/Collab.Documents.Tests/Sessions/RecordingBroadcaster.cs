using System.Collections.Concurrent;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Tests.Sessions;

/// <summary>Records what sessions broadcast, in order.</summary>
internal sealed class RecordingBroadcaster : IBranchBroadcaster
{
    public ConcurrentQueue<(BranchRef Branch, byte[] Message, string? Except)> Syncs { get; } = new();

    public ConcurrentQueue<(BranchRef Branch, byte[] Update, string? Except)> Awareness { get; } = new();

    public Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken)
    {
        Syncs.Enqueue((branch, message, exceptConnectionId));
        return Task.CompletedTask;
    }

    public Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken)
    {
        Awareness.Enqueue((branch, update, exceptConnectionId));
        return Task.CompletedTask;
    }
}
