namespace Collab.EventStore;

/// <summary>
/// The immutable, per-branch, hash-chained event log. Payloads are opaque bytes. Every backend (LiteDB, in-memory,
/// later PostgreSQL) passes the same spec tests; see docs/event-store.md.
/// </summary>
/// <remarks>
/// Refusals throw <see cref="EventStoreException"/> with an <see cref="EventStoreError"/>; a refused request writes
/// nothing and never disturbs other requests. Writes complete only once durable (as the backend's options promise).
/// All members are safe to call concurrently.
/// </remarks>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Creates a document with an empty <c>main</c> branch.</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.DocumentAlreadyExists"/>.</exception>
    Task<DocumentInfo> CreateDocumentAsync(DocumentId id, string createdBy, CancellationToken cancellationToken = default);

    /// <summary>The document, or null when it does not exist.</summary>
    Task<DocumentInfo?> GetDocumentAsync(DocumentId id, CancellationToken cancellationToken = default);

    /// <summary>Documents in ordinal id order, starting after <paramref name="after"/> (keyset paging), at most <paramref name="maxCount"/>.</summary>
    Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(DocumentId? after, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>The branch, or null when it (or its document) does not exist.</summary>
    Task<BranchInfo?> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken = default);

    /// <summary>All branches of a document in ordinal name order.</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.DocumentNotFound"/>.</exception>
    Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(DocumentId document, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates branch <paramref name="name"/> in the same document whose view is <paramref name="source"/>'s events
    /// 1..<paramref name="at"/>. O(1): writes branch metadata only. Of concurrent forks with one name, exactly one wins.
    /// </summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.BranchAlreadyExists"/>, <see cref="EventStoreError.SeqBeyondHead"/>.</exception>
    Task<BranchInfo> ForkAsync(BranchRef source, EventSeq at, BranchName name, string createdBy, CancellationToken cancellationToken = default);

    /// <summary>Sets a branch's state. The store does not refuse appends by state: that is the domain's rule.</summary>
    Task<BranchInfo> SetBranchStateAsync(BranchRef branch, BranchState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends events to a branch atomically (all or none), in order, after its head. With
    /// <paramref name="expectedHead"/>, refuses unless the head is that seq. Events whose client update id the
    /// branch stored before are not stored again (see <see cref="NewEvent.ClientUpdateId"/>); when every event is
    /// such a retry, the call succeeds whatever <paramref name="expectedHead"/> says and returns the stored events.
    /// </summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.ExpectedSeqMismatch"/>, <see cref="EventStoreError.IdempotencyConflict"/>, <see cref="EventStoreError.PayloadTooLarge"/>, <see cref="EventStoreError.InvalidArgument"/>, <see cref="EventStoreError.InvalidRecord"/>.</exception>
    Task<AppendResult> AppendAsync(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The events of a branch's view with <paramref name="from"/> ≤ seq ≤ <paramref name="to"/> (clamped to the head at
    /// the time of the call), in seq order; a fork's positions up to its fork seq come from its ancestry.
    /// </summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>.</exception>
    IAsyncEnumerable<StoredEvent> ReadAsync(BranchRef branch, EventSeq from, EventSeq to, CancellationToken cancellationToken = default);

    /// <summary>At most <paramref name="maxCount"/> events of the branch's view from seq <paramref name="from"/> on.</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>.</exception>
    Task<IReadOnlyList<StoredEvent>> ReadPageAsync(BranchRef branch, EventSeq from, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every event of the branch's view after <paramref name="after"/>, once each, in order, with no gaps: first those
    /// stored already, then each new one as it is appended. Ends only when cancelled or the store is disposed.
    /// </summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>.</exception>
    IAsyncEnumerable<StoredEvent> SubscribeAsync(BranchRef branch, EventSeq after, CancellationToken cancellationToken = default);

    /// <summary>The hash at <paramref name="at"/> in the branch's view, or at the head when null.</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.SeqBeyondHead"/>.</exception>
    Task<BranchDigest> GetDigestAsync(BranchRef branch, EventSeq? at = null, CancellationToken cancellationToken = default);

    /// <summary>Re-hashes the branch's whole view from the stored bytes and names the first broken link.</summary>
    Task<VerificationResult> VerifyAsync(BranchRef branch, CancellationToken cancellationToken = default);

    /// <summary>Stores a snapshot of the branch's view at <paramref name="seq"/> (1..head); replaces one at the same position.</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.SeqBeyondHead"/>, <see cref="EventStoreError.PayloadTooLarge"/>.</exception>
    Task<Snapshot> PutSnapshotAsync(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion, CancellationToken cancellationToken = default);

    /// <summary>The snapshot with the greatest seq ≤ <paramref name="atOrBefore"/> on the branch's view (ancestry included), or null.</summary>
    Task<Snapshot?> GetNearestSnapshotAsync(BranchRef branch, EventSeq atOrBefore, CancellationToken cancellationToken = default);

    /// <summary>The merge record stored with <paramref name="mergeEvent"/>, or null.</summary>
    Task<MergeRecord?> GetMergeRecordAsync(EventRef mergeEvent, CancellationToken cancellationToken = default);

    /// <summary>The merge records of the merge events in the branch's view (ancestry included), in seq order.</summary>
    Task<IReadOnlyList<MergeRecord>> ListMergeRecordsAsync(BranchRef branch, CancellationToken cancellationToken = default);

    /// <summary>The resolution records that refer to <paramref name="mergeEvent"/>, in the order they were stored.</summary>
    Task<IReadOnlyList<ResolutionRecord>> ListResolutionsAsync(EventRef mergeEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// At most <paramref name="maxCount"/> of the branch's own domain events with seq &gt; <paramref name="after"/> (up
    /// to its head), in seq order: every event that is not a plain client update, i.e. whose kind is not
    /// <see cref="EventKind.Update"/> or that carries a record (merges, resolutions, reverts, proposal, protection and
    /// settings events…). Backends keep an index of them, so the cost depends on how many there are, not on how many
    /// updates the branch holds. Events of the fork's ancestry are not included (ask the parent).
    /// </summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>.</exception>
    Task<IReadOnlyList<StoredEvent>> ListDomainEventsAsync(BranchRef branch, EventSeq after, int maxCount, CancellationToken cancellationToken = default) =>
        DomainEvents.ScanAsync(this, branch, after, maxCount, cancellationToken);
}
