using System.Runtime.CompilerServices;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// An event store that delegates to another and counts the events its reads return. With <c>useIndex: false</c> it
/// lists domain events by scanning (<see cref="DomainEvents.ScanAsync"/> over its own counted reads), as a store
/// without an index would. Not disposed by its users: the inner store belongs to the fixture.
/// </summary>
internal sealed class CountingStore(IEventStore inner, bool useIndex) : IEventStore
{
    private long _eventsRead;

    /// <summary>Events returned by reads so far.</summary>
    public long EventsRead => Interlocked.Read(ref _eventsRead);

    public async IAsyncEnumerable<StoredEvent> ReadAsync(BranchRef branch, EventSeq from, EventSeq to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in inner.ReadAsync(branch, from, to, cancellationToken))
        {
            Interlocked.Increment(ref _eventsRead);
            yield return e;
        }
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadPageAsync(BranchRef branch, EventSeq from, int maxCount, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadPageAsync(branch, from, maxCount, cancellationToken));

    public async Task<IReadOnlyList<StoredEvent>> ListDomainEventsAsync(BranchRef branch, EventSeq after, int maxCount, CancellationToken cancellationToken = default) =>
        useIndex ? Counted(await inner.ListDomainEventsAsync(branch, after, maxCount, cancellationToken)) : await DomainEvents.ScanAsync(this, branch, after, maxCount, cancellationToken);

    public IAsyncEnumerable<StoredEvent> SubscribeAsync(BranchRef branch, EventSeq after, CancellationToken cancellationToken = default) => inner.SubscribeAsync(branch, after, cancellationToken);

    public Task<AppendResult> AppendAsync(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead = null, CancellationToken cancellationToken = default) => inner.AppendAsync(branch, events, expectedHead, cancellationToken);

    public Task<DocumentInfo> CreateDocumentAsync(DocumentId id, string createdBy, CancellationToken cancellationToken = default) => inner.CreateDocumentAsync(id, createdBy, cancellationToken);

    public Task<DocumentInfo?> GetDocumentAsync(DocumentId id, CancellationToken cancellationToken = default) => inner.GetDocumentAsync(id, cancellationToken);

    public Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(DocumentId? after, int maxCount, CancellationToken cancellationToken = default) => inner.ListDocumentsAsync(after, maxCount, cancellationToken);

    public Task<BranchInfo?> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken = default) => inner.GetBranchAsync(branch, cancellationToken);

    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(DocumentId document, CancellationToken cancellationToken = default) => inner.ListBranchesAsync(document, cancellationToken);

    public Task<BranchInfo> ForkAsync(BranchRef source, EventSeq at, BranchName name, string createdBy, CancellationToken cancellationToken = default) => inner.ForkAsync(source, at, name, createdBy, cancellationToken);

    public Task<BranchInfo> SetBranchStateAsync(BranchRef branch, BranchState state, CancellationToken cancellationToken = default) => inner.SetBranchStateAsync(branch, state, cancellationToken);

    public Task<BranchDigest> GetDigestAsync(BranchRef branch, EventSeq? at = null, CancellationToken cancellationToken = default) => inner.GetDigestAsync(branch, at, cancellationToken);

    public Task<VerificationResult> VerifyAsync(BranchRef branch, CancellationToken cancellationToken = default) => inner.VerifyAsync(branch, cancellationToken);

    public Task<Snapshot> PutSnapshotAsync(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion, CancellationToken cancellationToken = default) => inner.PutSnapshotAsync(branch, seq, state, formatVersion, cancellationToken);

    public Task<Snapshot?> GetNearestSnapshotAsync(BranchRef branch, EventSeq atOrBefore, CancellationToken cancellationToken = default) => inner.GetNearestSnapshotAsync(branch, atOrBefore, cancellationToken);

    public Task<MergeRecord?> GetMergeRecordAsync(EventRef mergeEvent, CancellationToken cancellationToken = default) => inner.GetMergeRecordAsync(mergeEvent, cancellationToken);

    public Task<IReadOnlyList<MergeRecord>> ListMergeRecordsAsync(BranchRef branch, CancellationToken cancellationToken = default) => inner.ListMergeRecordsAsync(branch, cancellationToken);

    public Task<IReadOnlyList<ResolutionRecord>> ListResolutionsAsync(EventRef mergeEvent, CancellationToken cancellationToken = default) => inner.ListResolutionsAsync(mergeEvent, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private IReadOnlyList<StoredEvent> Counted(IReadOnlyList<StoredEvent> events)
    {
        Interlocked.Add(ref _eventsRead, events.Count);
        return events;
    }
}
