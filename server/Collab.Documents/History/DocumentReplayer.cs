using Collab.Crdt;
using Collab.Crdt.Document;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>A document rebuilt from the log at a position of a branch.</summary>
/// <param name="Doc">The document (the caller owns it).</param>
/// <param name="Branch">The branch as it was read.</param>
/// <param name="Seq">The position the document is at.</param>
/// <param name="SnapshotSeq">The snapshot (or, without garbage collection, the kept full state) it started from; 0 when it replayed from the first event.</param>
/// <param name="Replayed">How many events were applied after the snapshot.</param>
public sealed record ReplayedDocument(YDoc Doc, BranchInfo Branch, EventSeq Seq, EventSeq SnapshotSeq, int Replayed);

/// <summary>How a replay went.</summary>
/// <param name="SnapshotSeq">The snapshot it started from (0 = none).</param>
/// <param name="Replayed">Events applied after it.</param>
public readonly record struct ReplayStats(EventSeq SnapshotSeq, int Replayed);

/// <summary>
/// Builds "the document at (branch, seq)" from the log: the one place that knows how, shared by live sessions, merges and
/// history views. With garbage collection on it starts from the nearest snapshot at or before the position (snapshots are
/// found across the ancestry) and applies the events after it. Without garbage collection — when deleted content is
/// needed: merge analysis, decisions, excerpts of deleted text — a snapshot of a collected document no longer holds what
/// was deleted, so it starts from a full state it built earlier for this branch or an ancestor (<see cref="FullStateCache"/>)
/// or else from seq 1, and replays the events after that along the ancestry.
/// </summary>
public sealed class DocumentReplayer(IEventStore store)
{
    /// <summary>Snapshot payloads are whole-document Yjs v1 updates of this format.</summary>
    public const int SnapshotFormat = 1;

    private readonly FullStateCache _fullStates = FullStateCache.Of(store);

    /// <summary>
    /// The document at <paramref name="at"/> (the head when null) of <paramref name="branch"/>. Throws
    /// <see cref="CollabException"/>: not found for an unknown branch, invalid for a position beyond the head.
    /// </summary>
    public async Task<ReplayedDocument> BuildAsync(BranchRef branch, EventSeq? at, bool gc, CancellationToken cancellationToken)
    {
        var info = await GetBranchAsync(branch, cancellationToken).ConfigureAwait(false);
        var seq = at ?? info.Head;
        if (seq > info.Head || seq < EventSeq.Zero)
        {
            throw new CollabException(CollabErrorCode.Invalid, $"Seq {seq} is outside branch '{branch.Branch}' (its head is {info.Head}).");
        }
        var doc = new YDoc(new YDocOptions { Gc = gc });
        try
        {
            if (gc)
            {
                var stats = await ReplayIntoAsync(doc, branch, seq, cancellationToken).ConfigureAwait(false);
                return new ReplayedDocument(doc, info, seq, stats.SnapshotSeq, stats.Replayed);
            }

            // Without garbage collection snapshots do not help; a full state built earlier (this branch's or an
            // ancestor's, at or before the position) does.
            var (from, state) = await FullStateAtOrBeforeAsync(info, seq, cancellationToken).ConfigureAwait(false);
            if (state is not null) doc.ApplyUpdate(state);
            var replayed = 0;
            if (from < seq)
            {
                await foreach (var stored in store.ReadAsync(branch, from.Next, seq, cancellationToken).ConfigureAwait(false))
                {
                    doc.ApplyUpdate(stored.Payload.ToArray());
                    replayed++;
                }
            }
            if (replayed >= FullStateCache.MinReplayedToKeep) _fullStates.Put(branch, seq, doc.EncodeStateAsUpdate());
            return new ReplayedDocument(doc, info, seq, from, replayed);
        }
        catch (YjsFormatException ex)
        {
            throw new InvalidOperationException($"The log of {branch} holds an update the engine cannot read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Feeds <paramref name="apply"/> the branch's state at <paramref name="to"/>: the nearest snapshot first (when
    /// <paramref name="useSnapshots"/>), then each event after it in seq order (also passed to <paramref name="onEvent"/>).
    /// </summary>
    public async Task<ReplayStats> ReplayAsync(BranchRef branch, EventSeq to, bool useSnapshots, Action<byte[]> apply, Action<StoredEvent>? onEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(apply);
        var from = EventSeq.Zero;
        if (useSnapshots && to > EventSeq.Zero)
        {
            var snapshot = await store.GetNearestSnapshotAsync(branch, to, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null && snapshot.FormatVersion == SnapshotFormat)
            {
                apply(snapshot.State.ToArray());
                from = snapshot.Seq;
            }
        }
        var replayed = 0;
        if (from < to)
        {
            await foreach (var stored in store.ReadAsync(branch, from.Next, to, cancellationToken).ConfigureAwait(false))
            {
                apply(stored.Payload.ToArray());
                onEvent?.Invoke(stored);
                replayed++;
            }
        }
        return new ReplayStats(from, replayed);
    }

    /// <summary>
    /// <see cref="ReplayAsync"/> with snapshots, applied to <paramref name="doc"/> straight from the stored bytes: a
    /// snapshot of a long document is a large object, and a copy of it per build fed the collector's large-object heap.
    /// </summary>
    private async Task<ReplayStats> ReplayIntoAsync(YDoc doc, BranchRef branch, EventSeq to, CancellationToken cancellationToken)
    {
        var from = EventSeq.Zero;
        if (to > EventSeq.Zero)
        {
            var snapshot = await store.GetNearestSnapshotAsync(branch, to, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null && snapshot.FormatVersion == SnapshotFormat)
            {
                doc.ApplyUpdate(snapshot.State.Span);
                from = snapshot.Seq;
            }
        }
        var replayed = 0;
        if (from < to)
        {
            await foreach (var stored in store.ReadAsync(branch, from.Next, to, cancellationToken).ConfigureAwait(false))
            {
                doc.ApplyUpdate(stored.Payload.Span);
                replayed++;
            }
        }
        return new ReplayStats(from, replayed);
    }

    /// <summary>
    /// The seq of the last event of the branch's view whose server time is at or before <paramref name="time"/> (0 when
    /// the first event is later). Server times never decrease along a view, so this is a binary search: about 20 reads
    /// on a branch of a million events.
    /// </summary>
    public async Task<EventSeq> SeqAtTimeAsync(BranchRef branch, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var info = await GetBranchAsync(branch, cancellationToken).ConfigureAwait(false);
        long lo = 0, hi = info.Head.Value; // invariant: event lo (or the start) is at or before time; events after hi are later
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            var page = await store.ReadPageAsync(branch, new EventSeq(mid), 1, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0 || page[0].ServerTime > time) hi = mid - 1;
            else lo = mid;
        }
        return new EventSeq(lo);
    }

    /// <summary>
    /// The latest kept full state that is the branch's state at a position at or before <paramref name="seq"/>: the
    /// branch's own, or an ancestor's at or before the fork point (a fork's first events are its parent's).
    /// </summary>
    private async Task<(EventSeq From, byte[]? State)> FullStateAtOrBeforeAsync(BranchInfo info, EventSeq seq, CancellationToken cancellationToken)
    {
        var best = (From: EventSeq.Zero, State: (byte[]?)null);
        var limit = seq;
        for (var level = info; ;)
        {
            if (_fullStates.TryGet(level.Ref, limit, out var keptSeq, out var kept) && keptSeq > best.From) best = (keptSeq, kept);
            if (level.Parent is not { } parent || level.ForkSeq <= best.From) return best;
            limit = level.ForkSeq < limit ? level.ForkSeq : limit;
            var next = await store.GetBranchAsync(parent, cancellationToken).ConfigureAwait(false);
            if (next is null) return best;
            level = next;
        }
    }

    private async Task<BranchInfo> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken) =>
        await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
        ?? throw CollabException.NotFound($"Branch '{branch.Branch}' of document '{branch.Document}' does not exist.");
}
