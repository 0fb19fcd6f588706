using System.Collections.Concurrent;
using Collab.Crdt.Document;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>
/// One gate per document for the events the server computes from the branch's content (decisions, reverts): the check
/// ("is this conflict decided already?"), the computation and the write run under it, so two owners deciding the same
/// conflict at once cannot both win.
/// </summary>
public sealed class DecisionGate
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Waits for the document's gate; dispose the result to release it.</summary>
    public async Task<IDisposable> EnterAsync(string documentId, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(documentId, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}

/// <summary>Brings a document rebuilt at a branch's head up to the branch's durable head, after a write found it moved.</summary>
internal static class BranchCatchUp
{
    /// <summary>Settles the branch (the log then holds every update it accepted), applies the events after <paramref name="head"/> to <paramref name="doc"/>, and returns the new head.</summary>
    public static async Task<long> CatchUpAsync(IEventStore store, SessionManager sessions, BranchRef branch, YDoc doc, long head, CancellationToken cancellationToken)
    {
        var (moved, _) = await sessions.SettleAsync(branch, cancellationToken).ConfigureAwait(false);
        await foreach (var stored in store.ReadAsync(branch, new EventSeq(head + 1), new EventSeq(moved), cancellationToken).ConfigureAwait(false))
        {
            doc.ApplyUpdate(stored.Payload.ToArray());
        }
        return moved;
    }
}
