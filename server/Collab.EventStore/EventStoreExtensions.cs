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
}
