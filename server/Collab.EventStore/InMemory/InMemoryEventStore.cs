using System.Runtime.CompilerServices;
using Collab.EventStore.Internal;

namespace Collab.EventStore.InMemory;

/// <summary>
/// An event store in process memory: same rules and spec tests as the LiteDB store, no durability. For tests of the
/// layers above and for development. One lock serializes everything, which is plenty for tests.
/// </summary>
public sealed partial class InMemoryEventStore : IEventStore, IAppendLookup, IRecordLookup
{
    private readonly Lock _gate = new();
    private readonly EventStoreOptions _options;
    private readonly Upcasting _upcasting;
    private readonly SortedDictionary<string, DocumentInfo> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<BranchRef, BranchData> _branches = [];
    private readonly Dictionary<EventRef, List<ResolutionRecord>> _resolutions = [];
    private readonly HeadSignals _signals = new();
    private readonly CancellationTokenSource _disposed = new();

    /// <summary>Creates an empty store with default options.</summary>
    public InMemoryEventStore()
        : this(new EventStoreOptions())
    {
    }

    /// <summary>Creates an empty store.</summary>
    public InMemoryEventStore(EventStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _upcasting = new Upcasting(options);
    }

    /// <inheritdoc />
    public Task<DocumentInfo> CreateDocumentAsync(DocumentId id, string createdBy, CancellationToken cancellationToken = default)
    {
        Validation.Document(id);
        Validation.Actor(createdBy, "the creator");
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_documents.ContainsKey(id.Value)) throw new EventStoreException(EventStoreError.DocumentAlreadyExists, $"Document \"{id}\" exists already.");
            var now = AppendPlanner.Now(_options.TimeProvider);
            var genesis = EventChain.Genesis(id);
            var info = new DocumentInfo(id, createdBy, now, genesis);
            var main = BranchRef.MainOf(id);
            _documents.Add(id.Value, info);
            _branches.Add(main, new BranchData(new BranchInfo(main, null, EventSeq.Zero, genesis, createdBy, now, EventSeq.Zero, genesis, BranchState.Open)));
            return Task.FromResult(info);
        }
    }

    /// <inheritdoc />
    public Task<DocumentInfo?> GetDocumentAsync(DocumentId id, CancellationToken cancellationToken = default)
    {
        Validation.Document(id);
        lock (_gate)
        {
            return Task.FromResult(_documents.GetValueOrDefault(id.Value));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(DocumentId? after, int maxCount, CancellationToken cancellationToken = default)
    {
        Validation.MaxCount(maxCount);
        lock (_gate)
        {
            var page = new List<DocumentInfo>();
            foreach (var (key, info) in _documents)
            {
                if (after is { } a && string.CompareOrdinal(key, a.Value) <= 0) continue;
                page.Add(info);
                if (page.Count == maxCount) break;
            }

            return Task.FromResult<IReadOnlyList<DocumentInfo>>(page);
        }
    }

    /// <inheritdoc />
    public Task<BranchInfo?> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        lock (_gate)
        {
            return Task.FromResult(_branches.GetValueOrDefault(branch)?.Info);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(DocumentId document, CancellationToken cancellationToken = default)
    {
        Validation.Document(document);
        lock (_gate)
        {
            if (!_documents.ContainsKey(document.Value)) throw Validation.DocumentNotFound(document);
            var list = new List<BranchInfo>();
            foreach (var data in _branches.Values)
            {
                if (data.Info.Ref.Document == document) list.Add(data.Info);
            }

            list.Sort(static (x, y) => string.CompareOrdinal(x.Ref.Branch.Value, y.Ref.Branch.Value));
            return Task.FromResult<IReadOnlyList<BranchInfo>>(list);
        }
    }

    /// <inheritdoc />
    public Task<BranchInfo> ForkAsync(BranchRef source, EventSeq at, BranchName name, string createdBy, CancellationToken cancellationToken = default)
    {
        Validation.Fork(source, at, name, createdBy);
        lock (_gate)
        {
            ThrowIfDisposed();
            var parent = Branch(source).Info;
            if (at > parent.Head) throw Validation.BeyondHead(source, at, parent.Head);
            var target = new BranchRef(source.Document, name);
            if (_branches.ContainsKey(target)) throw new EventStoreException(EventStoreError.BranchAlreadyExists, $"Branch \"{name}\" exists already in document \"{source.Document}\".");
            var hash = Ancestry.HashAt(parent, at, Info, OwnHash);
            var info = new BranchInfo(target, source, at, hash, createdBy, AppendPlanner.Now(_options.TimeProvider), at, hash, BranchState.Open);
            _branches.Add(target, new BranchData(info));
            return Task.FromResult(info);
        }
    }

    /// <inheritdoc />
    public Task<BranchInfo> SetBranchStateAsync(BranchRef branch, BranchState state, CancellationToken cancellationToken = default)
    {
        Validation.StateChange(branch, state);
        lock (_gate)
        {
            ThrowIfDisposed();
            var data = Branch(branch);
            data.Info = data.Info with { State = state };
            return Task.FromResult(data.Info);
        }
    }

    /// <inheritdoc />
    public Task<AppendResult> AppendAsync(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead = null, CancellationToken cancellationToken = default)
    {
        Validation.Events(branch, events, expectedHead, _options);
        cancellationToken.ThrowIfCancellationRequested();
        AppendPlan plan;
        lock (_gate)
        {
            ThrowIfDisposed();
            var data = Branch(branch);
            plan = AppendPlanner.Plan(data.Info, events, expectedHead, this, AppendPlanner.Now(_options.TimeProvider));
            foreach (var stored in plan.Fresh)
            {
                data.Events.Add(stored);
                if (stored.ClientUpdateId is { } id) data.ByUpdateId[id] = stored;
                if (DomainEvents.Is(stored)) data.DomainSeqs.Add(stored.Seq.Value);
            }

            foreach (var merge in plan.Merges) data.Merges.Add(merge.Event.Seq.Value, merge);
            foreach (var resolution in plan.Resolutions)
            {
                if (!_resolutions.TryGetValue(resolution.Merge, out var list)) _resolutions[resolution.Merge] = list = [];
                list.Add(resolution);
                data.Resolutions.Add(resolution.Event.Seq.Value, resolution);
            }

            data.Info = data.Info with { Head = plan.Head.Seq, HeadHash = plan.Head.Hash };
        }

        if (plan.Fresh.Count > 0) _signals.Notify(branch);
        return Task.FromResult(plan.ToResult());
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadAsync(BranchRef branch, EventSeq from, EventSeq to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        List<StoredEvent> all;
        lock (_gate)
        {
            all = Collect(Branch(branch).Info, from.Value, to.Value, int.MaxValue, upcast: true);
        }

        foreach (var stored in all)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return stored;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadPageAsync(BranchRef branch, EventSeq from, int maxCount, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        Validation.MaxCount(maxCount);
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<StoredEvent>>(Collect(Branch(branch).Info, from.Value, long.MaxValue, maxCount, upcast: true));
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEvent> SubscribeAsync(BranchRef branch, EventSeq after, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        lock (_gate)
        {
            Branch(branch);
        }

        return Subscription.Run(branch, after, _signals, () => CurrentHead(branch), (from, max, ct) => ReadPageAsync(branch, from, max, ct), _disposed.Token, cancellationToken);
    }

    /// <inheritdoc />
    public Task<BranchDigest> GetDigestAsync(BranchRef branch, EventSeq? at = null, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        lock (_gate)
        {
            var info = Branch(branch).Info;
            var seq = at ?? info.Head;
            Validation.Seq(seq, "the position");
            if (seq > info.Head) throw Validation.BeyondHead(branch, seq, info.Head);
            return Task.FromResult(new BranchDigest(branch, seq, Ancestry.HashAt(info, seq, Info, OwnHash)));
        }
    }

    /// <inheritdoc />
    public Task<VerificationResult> VerifyAsync(BranchRef branch, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        lock (_gate)
        {
            var info = Branch(branch).Info;
            var verifier = new ChainVerifier(info, _documents[branch.Document.Value].Genesis, this);
            foreach (var stored in Collect(info, 1, long.MaxValue, int.MaxValue, upcast: false))
            {
                if (!verifier.Next(stored)) break;
            }

            return Task.FromResult(verifier.Finish());
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested) return ValueTask.CompletedTask;
            _disposed.Cancel();
        }

        _signals.NotifyAll();
        return ValueTask.CompletedTask;
    }

    StoredEvent? IAppendLookup.FindByUpdateId(BranchRef branch, string clientUpdateId) => _branches[branch].ByUpdateId.GetValueOrDefault(clientUpdateId);

    MergeRecord? IAppendLookup.FindMerge(EventRef mergeEvent) =>
        _branches.TryGetValue(mergeEvent.Branch, out var data) ? data.Merges.GetValueOrDefault(mergeEvent.Seq.Value) : null;

    MergeRecord? IRecordLookup.FindMergeRecord(EventRef mergeEvent) => ((IAppendLookup)this).FindMerge(mergeEvent);

    ResolutionRecord? IRecordLookup.FindResolutionRecord(EventRef resolutionEvent) =>
        _branches.TryGetValue(resolutionEvent.Branch, out var data) ? data.Resolutions.GetValueOrDefault(resolutionEvent.Seq.Value) : null;

    private List<StoredEvent> Collect(BranchInfo info, long from, long to, int maxCount, bool upcast)
    {
        var list = new List<StoredEvent>();
        foreach (var segment in Ancestry.Segments(info, Math.Max(from, 1), to, Info))
        {
            var data = _branches[segment.Owner];
            var offset = data.Info.ForkSeq.Value + 1;
            for (var seq = segment.From; seq <= segment.To && list.Count < maxCount; seq++)
            {
                var stored = data.Events[(int)(seq - offset)];
                list.Add(upcast ? _upcasting.Apply(stored) : stored);
            }
        }

        return list;
    }

    private EventSeq CurrentHead(BranchRef branch)
    {
        lock (_gate)
        {
            return _branches[branch].Info.Head;
        }
    }

    private BranchData Branch(BranchRef branch)
    {
        if (_branches.TryGetValue(branch, out var data)) return data;
        if (!_documents.ContainsKey(branch.Document.Value)) throw Validation.DocumentNotFound(branch.Document);
        throw Validation.BranchNotFound(branch);
    }

    private BranchInfo Info(BranchRef branch) => _branches[branch].Info;

    private EventHash OwnHash(BranchRef branch, EventSeq seq)
    {
        var data = _branches[branch];
        return data.Events[(int)(seq.Value - data.Info.ForkSeq.Value - 1)].Hash;
    }

    private void ThrowIfDisposed()
    {
        if (_disposed.IsCancellationRequested) throw new EventStoreException(EventStoreError.StoreUnavailable, "The event store is disposed.");
    }

    private sealed class BranchData(BranchInfo info)
    {
        public BranchInfo Info { get; set; } = info;

        public List<StoredEvent> Events { get; } = [];

        public Dictionary<string, StoredEvent> ByUpdateId { get; } = new(StringComparer.Ordinal);

        public SortedList<long, Snapshot> Snapshots { get; } = [];

        public SortedList<long, MergeRecord> Merges { get; } = [];

        public SortedList<long, ResolutionRecord> Resolutions { get; } = [];

        /// <summary>The seqs of the branch's own domain events, ascending (the index behind ListDomainEventsAsync).</summary>
        public List<long> DomainSeqs { get; } = [];
    }
}
