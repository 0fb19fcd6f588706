namespace Collab.EventStore;

/// <summary>Conveniences over <see cref="IEventStore"/>.</summary>
public static class EventStoreExtensions
{
    /// <summary>Appends one event; see <see cref="IEventStore.AppendAsync"/>.</summary>
    public static async Task<StoredEvent> AppendAsync(this IEventStore store, BranchRef branch, NewEvent newEvent, EventSeq? expectedHead = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var result = await store.AppendAsync(branch, [newEvent], expectedHead, cancellationToken).ConfigureAwait(false);
        return result.Events[0];
    }

    /// <summary>The branch head as a digest.</summary>
    public static Task<BranchDigest> GetHeadAsync(this IEventStore store, BranchRef branch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.GetDigestAsync(branch, null, cancellationToken);
    }

    /// <summary>
    /// The position of the last event at or before <paramref name="time"/> (server time) in the branch's view, as a
    /// digest (seq and hash), for "fork at a time": fork at the returned seq. Seq 0 (with the hash a fork at 0 links
    /// to) when the view's first event is later, or the view is empty. Finds it by bisection between 1 and the head
    /// at the time of the call, reading one event per step (O(log n)). Server times come from the store's clock and
    /// do not decrease along a view unless that clock was set back; then the answer is still a position whose event is
    /// at or before <paramref name="time"/> and whose next event (if any) is after it.
    /// </summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>.</exception>
    public static async Task<BranchDigest> FindLastAtOrBeforeAsync(this IEventStore store, BranchRef branch, DateTimeOffset time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var head = await store.GetHeadAsync(branch, cancellationToken).ConfigureAwait(false);
        // Invariant: lo is 0 or its event is at or before the time; hi is the head or the event after hi is later.
        long lo = 0, hi = head.Seq.Value;
        StoredEvent? found = null;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            var page = await store.ReadPageAsync(branch, new EventSeq(mid), 1, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0 || page[0].Seq.Value != mid) throw new InvalidOperationException($"Branch {branch} has no event at seq {mid} although its head is {head.Seq}.");
            if (page[0].ServerTime <= time)
            {
                lo = mid;
                found = page[0];
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found is null ? await store.GetDigestAsync(branch, EventSeq.Zero, cancellationToken).ConfigureAwait(false) : new BranchDigest(branch, found.Seq, found.Hash);
    }
}
