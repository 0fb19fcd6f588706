using System.Runtime.CompilerServices;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// A <see cref="LiteDbEventStore"/> that recovers from a failed write (a full disk, an I/O error) by reopening its files,
/// so that writing resumes once the cause is gone, without a restart of the process.
/// </summary>
/// <remarks>
/// After a failed write whether the log holds the group is unknown and LiteDB's in-memory state is not to be trusted
/// (LiteDB 5.0.21 closes its engine on an <see cref="IOException"/> inside an operation, and leaves an explicit commit
/// half done when the write of its pages fails), so the inner store refuses every later write. This wrapper then waits
/// for the calls still running on it, disposes it and opens the files again, which recovers exactly the transactions
/// the log confirms, like a restart after a crash. The failed callers got <see cref="EventStoreError.StoreUnavailable"/>
/// and no acknowledgement: a retry with the same client update id stores the event once, whether or not the failed
/// group reached the log. While the disk stays full every write attempt fails and reopens again; reads keep working.
/// </remarks>
public sealed class ReopeningLiteDbEventStore : IEventStore
{
    private static readonly TimeSpan DrainWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxReopenBackoff = TimeSpan.FromSeconds(2);

    private readonly Func<LiteDbEventStore> _open;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private Generation? _current;
    private TaskCompletionSource _reopened = NewSignal();
    private Task _reopening = Task.CompletedTask;
    private int _reopens;

    /// <summary>Opens (or creates) the store at <see cref="LiteDbEventStoreOptions.Path"/>.</summary>
    public ReopeningLiteDbEventStore(LiteDbEventStoreOptions options)
        : this(() => new LiteDbEventStore(options))
    {
        ArgumentNullException.ThrowIfNull(options);
    }

    /// <summary>Opens the store with <paramref name="open"/>, and again with it after every failed write (tests inject faulty streams).</summary>
    internal ReopeningLiteDbEventStore(Func<LiteDbEventStore> open)
    {
        _open = open;
        _current = new Generation(open());
    }

    /// <summary>How often the files were reopened after a failed write.</summary>
    public int Reopens => Volatile.Read(ref _reopens);

    /// <summary>How long a call waits for a reopen in progress before it is refused with <see cref="EventStoreError.StoreUnavailable"/>.</summary>
    public TimeSpan ReopenWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public Task<DocumentInfo> CreateDocumentAsync(DocumentId id, string createdBy, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.CreateDocumentAsync(id, createdBy, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<DocumentInfo?> GetDocumentAsync(DocumentId id, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.GetDocumentAsync(id, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(DocumentId? after, int maxCount, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ListDocumentsAsync(after, maxCount, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<BranchInfo?> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.GetBranchAsync(branch, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(DocumentId document, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ListBranchesAsync(document, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<BranchInfo> ForkAsync(BranchRef source, EventSeq at, BranchName name, string createdBy, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ForkAsync(source, at, name, createdBy, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<BranchInfo> SetBranchStateAsync(BranchRef branch, BranchState state, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.SetBranchStateAsync(branch, state, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<AppendResult> AppendAsync(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead = null, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.AppendAsync(branch, events, expectedHead, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadAsync(BranchRef branch, EventSeq from, EventSeq to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var generation = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var events = generation.Store.ReadAsync(branch, from, to, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                StoredEvent next;
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false)) yield break;
                    next = events.Current;
                }
                catch (Exception ex) when (IsStoreFailure(generation, ex))
                {
                    throw Retire(generation, ex);
                }

                yield return next;
            }
        }
        finally
        {
            Release(generation);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadPageAsync(BranchRef branch, EventSeq from, int maxCount, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ReadPageAsync(branch, from, maxCount, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> SubscribeAsync(BranchRef branch, EventSeq after, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A subscription outlives a reopen: the old store ends it (normally) when disposed, and it goes on with the new
        // one after the last event it yielded. It does not hold a reopen back, so it is not counted as a running call.
        while (!_disposed.IsCancellationRequested)
        {
            var generation = await AcquireAsync(cancellationToken).ConfigureAwait(false);
            Release(generation);
            await using var events = generation.Store.SubscribeAsync(branch, after, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                StoredEvent next;
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false)) break;
                    next = events.Current;
                }
                catch (EventStoreException ex) when (ex.Error == EventStoreError.StoreUnavailable && !_disposed.IsCancellationRequested)
                {
                    break;
                }

                after = next.Seq;
                yield return next;
            }
        }
    }

    /// <inheritdoc />
    public Task<BranchDigest> GetDigestAsync(BranchRef branch, EventSeq? at = null, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.GetDigestAsync(branch, at, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<VerificationResult> VerifyAsync(BranchRef branch, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.VerifyAsync(branch, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<Snapshot> PutSnapshotAsync(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.PutSnapshotAsync(branch, seq, state, formatVersion, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<Snapshot?> GetNearestSnapshotAsync(BranchRef branch, EventSeq atOrBefore, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.GetNearestSnapshotAsync(branch, atOrBefore, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<MergeRecord?> GetMergeRecordAsync(EventRef mergeEvent, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.GetMergeRecordAsync(mergeEvent, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<MergeRecord>> ListMergeRecordsAsync(BranchRef branch, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ListMergeRecordsAsync(branch, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ResolutionRecord>> ListResolutionsAsync(EventRef mergeEvent, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ListResolutionsAsync(mergeEvent, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ListDomainEventsAsync(BranchRef branch, EventSeq after, int maxCount, CancellationToken cancellationToken = default) =>
        CallAsync(s => s.ListDomainEventsAsync(branch, after, maxCount, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Generation? current;
        Task reopening;
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested) return;
            _disposed.Cancel();
            current = _current;
            _current = null;
            reopening = _reopening;
            _reopened.TrySetResult();
        }

        await reopening.ConfigureAwait(false);
        if (current is not null) await current.Store.DisposeAsync().ConfigureAwait(false);
        lock (_lock)
        {
            // A reopen that finished after the first look has left its store here.
            current = _current;
            _current = null;
        }

        if (current is not null) await current.Store.DisposeAsync().ConfigureAwait(false);

        // _disposed is not disposed: running subscriptions may still read its token.
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<T> CallAsync<T>(Func<LiteDbEventStore, Task<T>> call, CancellationToken cancellationToken)
    {
        var generation = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call(generation.Store).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(generation, ex))
        {
            throw Retire(generation, ex);
        }
        finally
        {
            Release(generation);
        }
    }

    /// <summary>A failure that reopening the files may cure: the store gave up writing, or LiteDB failed at the file level.</summary>
    private static bool IsStoreFailure(Generation generation, Exception ex) => ex switch
    {
        EventStoreException store => store.Error == EventStoreError.StoreUnavailable && generation.Store.IsFaulted,
        IOException or LiteException or ObjectDisposedException => true,
        _ => false,
    };

    private async ValueTask<Generation> AcquireAsync(CancellationToken cancellationToken)
    {
        var waited = false;
        while (true)
        {
            Task reopened;
            lock (_lock)
            {
                if (_disposed.IsCancellationRequested) throw new EventStoreException(EventStoreError.StoreUnavailable, "The event store is disposed.");
                if (_current is { } generation)
                {
                    generation.Running++;
                    return generation;
                }

                reopened = _reopened.Task;
            }

            if (waited) throw Reopening();
            try
            {
                await reopened.WaitAsync(ReopenWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw Reopening();
            }

            waited = true;
        }
    }

    private static EventStoreException Reopening() =>
        new(EventStoreError.StoreUnavailable, "The event store is reopening its files after a failed write (is the disk full?); try again.");

    private void Release(Generation generation)
    {
        lock (_lock)
        {
            if (--generation.Running == 0 && generation.Retired) generation.Drained.TrySetResult();
        }
    }

    /// <summary>Takes the failed store out of use, starts reopening the files, and gives the caller a retryable error.</summary>
    private EventStoreException Retire(Generation generation, Exception failure)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_current, generation) && !_disposed.IsCancellationRequested)
            {
                _current = null;
                generation.Retired = true;
                _reopened = NewSignal();
                _reopening = Task.Run(() => ReopenAsync(generation, _reopened));
            }
        }

        return failure is EventStoreException store
            ? store
            : new EventStoreException(EventStoreError.StoreUnavailable, "The event store failed to read or write its files (is the disk full?); try again.", failure);
    }

    private async Task ReopenAsync(Generation failed, TaskCompletionSource reopened)
    {
        // Calls still running on the failed store finish first (reads); the store then releases its files.
        try
        {
            await failed.Drained.Task.WaitAsync(DrainWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A reader that does not finish (a slow consumer of ReadAsync) cannot hold writing back for ever.
        }

        await failed.Store.DisposeAsync().ConfigureAwait(false);
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!_disposed.IsCancellationRequested)
        {
            try
            {
                var store = _open();
                lock (_lock)
                {
                    if (_disposed.IsCancellationRequested)
                    {
                        _current = null;
                    }
                    else
                    {
                        _current = new Generation(store);
                        Interlocked.Increment(ref _reopens);
                        reopened.TrySetResult();
                        return;
                    }
                }

                await store.DisposeAsync().ConfigureAwait(false);
                return;
            }
#pragma warning disable CA1031 // Opening fails for as long as the cause lasts; keep trying, callers meanwhile get StoreUnavailable.
            catch (Exception) when (!_disposed.IsCancellationRequested)
#pragma warning restore CA1031
            {
                await Task.Delay(backoff).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxReopenBackoff.Ticks));
            }
        }
    }

    private sealed class Generation(LiteDbEventStore store)
    {
        public LiteDbEventStore Store { get; } = store;

        /// <summary>Calls running on <see cref="Store"/> (under the wrapper's lock).</summary>
        public int Running { get; set; }

        public bool Retired { get; set; }

        public TaskCompletionSource Drained { get; } = NewSignal();
    }
}
