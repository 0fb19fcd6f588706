using Collab.EventStore.Internal;

namespace Collab.EventStore;

/// <summary>Which events are domain events (<see cref="IEventStore.ListDomainEventsAsync"/>), and a scan for stores without an index.</summary>
public static class DomainEvents
{
    /// <summary>Whether the event is a domain event: its kind is not <see cref="EventKind.Update"/>, or it carries a record.</summary>
    public static bool Is(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.Kind != EventKind.Update || stored.RecordKind != EventRecordKind.None;
    }

    /// <summary>
    /// <see cref="IEventStore.ListDomainEventsAsync"/> by reading the branch's events (for stores that keep no index,
    /// e.g. test decorators): costs a read of every event after <paramref name="after"/>.
    /// </summary>
    public static async Task<IReadOnlyList<StoredEvent>> ScanAsync(IEventStore store, BranchRef branch, EventSeq after, int maxCount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        Validation.MaxCount(maxCount);
        var info = await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false) ?? throw Validation.BranchNotFound(branch);
        var list = new List<StoredEvent>();
        var from = Math.Max(after.Value, info.ForkSeq.Value) + 1;
        if (from > info.Head.Value) return list;
        await foreach (var e in store.ReadAsync(branch, new EventSeq(from), info.Head, cancellationToken).ConfigureAwait(false))
        {
            if (e.Branch != branch || !Is(e)) continue;
            list.Add(e);
            if (list.Count == maxCount) break;
        }

        return list;
    }
}
