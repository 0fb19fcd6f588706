using Collab.EventStore;

namespace Collab.Documents.Tests.Sessions;

/// <summary>An event store that delegates to another and fails appends on demand.</summary>
internal sealed class FlakyStore(IEventStore inner) : IEventStore
{
    public int FailNextAppends { get; set; }

    public int Appends { get; private set; }

    /// <summary>While set and not completed, appends wait for it (so that queued updates pile up into one batch).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Set when an append is waiting at <see cref="Gate"/>.</summary>
    public TaskCompletionSource AtGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<AppendResult> AppendAsync(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead = null, CancellationToken cancellationToken = default)
    {
        Appends++;
        if (Gate is { } gate)
        {
            AtGate.TrySetResult();
            await gate.Task;
        }
        if (FailNextAppends > 0)
        {
            FailNextAppends--;
            throw new IOException("disk full (injected)");
        }
        return await inner.AppendAsync(branch, events, expectedHead, cancellationToken);
    }

    public Task<DocumentInfo> CreateDocumentAsync(DocumentId id, string createdBy, CancellationToken cancellationToken = default) => inner.CreateDocumentAsync(id, createdBy, cancellationToken);

    public Task<DocumentInfo?> GetDocumentAsync(DocumentId id, CancellationToken cancellationToken = default) => inner.GetDocumentAsync(id, cancellationToken);

    public Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(DocumentId? after, int maxCount, CancellationToken cancellationToken = default) => inner.ListDocumentsAsync(after, maxCount, cancellationToken);

    public Task<BranchInfo?> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken = default) => inner.GetBranchAsync(branch, cancellationToken);

    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(DocumentId document, CancellationToken cancellationToken = default) => inner.ListBranchesAsync(document, cancellationToken);

    public Task<BranchInfo> ForkAsync(BranchRef source, EventSeq at, BranchName name, string createdBy, CancellationToken cancellationToken = default) => inner.ForkAsync(source, at, name, createdBy, cancellationToken);

    public Task<BranchInfo> SetBranchStateAsync(BranchRef branch, BranchState state, CancellationToken cancellationToken = default) => inner.SetBranchStateAsync(branch, state, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadAsync(BranchRef branch, EventSeq from, EventSeq to, CancellationToken cancellationToken = default) => inner.ReadAsync(branch, from, to, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadPageAsync(BranchRef branch, EventSeq from, int maxCount, CancellationToken cancellationToken = default) => inner.ReadPageAsync(branch, from, maxCount, cancellationToken);

    public IAsyncEnumerable<StoredEvent> SubscribeAsync(BranchRef branch, EventSeq after, CancellationToken cancellationToken = default) => inner.SubscribeAsync(branch, after, cancellationToken);

    public Task<BranchDigest> GetDigestAsync(BranchRef branch, EventSeq? at = null, CancellationToken cancellationToken = default) => inner.GetDigestAsync(branch, at, cancellationToken);

    public Task<VerificationResult> VerifyAsync(BranchRef branch, CancellationToken cancellationToken = default) => inner.VerifyAsync(branch, cancellationToken);

    /// <summary>Refuse every snapshot (as a store refuses one that is too large).</summary>
    public bool RefuseSnapshots { get; set; }

    public int SnapshotAttempts { get; private set; }

    public Task<Snapshot> PutSnapshotAsync(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion, CancellationToken cancellationToken = default)
    {
        SnapshotAttempts++;
        return RefuseSnapshots
            ? Task.FromException<Snapshot>(new EventStoreException(EventStoreError.PayloadTooLarge, $"The snapshot state has {state.Length} bytes (refused by the test)."))
            : inner.PutSnapshotAsync(branch, seq, state, formatVersion, cancellationToken);
    }

    public Task<Snapshot?> GetNearestSnapshotAsync(BranchRef branch, EventSeq atOrBefore, CancellationToken cancellationToken = default) => inner.GetNearestSnapshotAsync(branch, atOrBefore, cancellationToken);

    public Task<MergeRecord?> GetMergeRecordAsync(EventRef mergeEvent, CancellationToken cancellationToken = default) => inner.GetMergeRecordAsync(mergeEvent, cancellationToken);

    public Task<IReadOnlyList<MergeRecord>> ListMergeRecordsAsync(BranchRef branch, CancellationToken cancellationToken = default) => inner.ListMergeRecordsAsync(branch, cancellationToken);

    public Task<IReadOnlyList<ResolutionRecord>> ListResolutionsAsync(EventRef mergeEvent, CancellationToken cancellationToken = default) => inner.ListResolutionsAsync(mergeEvent, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
