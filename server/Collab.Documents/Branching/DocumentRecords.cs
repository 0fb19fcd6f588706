using System.Collections.Concurrent;
using System.Globalization;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>The kinds and record types of the review workflow's record-only events (docs/branching.md).</summary>
public static class PolicyRecords
{
    /// <summary>The kind of proposal events (written on the proposal's target branch).</summary>
    public static readonly EventKind ProposalKind = new("proposal");

    /// <summary>The kind of branch protection events (written on the branch they protect).</summary>
    public static readonly EventKind BranchKind = new("branch");

    /// <summary>The kind of document setting events (written on <c>main</c>).</summary>
    public static readonly EventKind SettingsKind = new("settings");

    /// <summary>A proposal was opened (on its target).</summary>
    public const string ProposalOpened = "proposal.opened";

    /// <summary>A reviewer approved a proposal.</summary>
    public const string ProposalApproved = "proposal.approved";

    /// <summary>A reviewer asked for changes.</summary>
    public const string ProposalChangesRequested = "proposal.changes-requested";

    /// <summary>A proposal was merged (after its merge event).</summary>
    public const string ProposalMerged = "proposal.merged";

    /// <summary>A proposal was closed without merging.</summary>
    public const string ProposalClosed = "proposal.closed";

    /// <summary>The branch the event is on was protected.</summary>
    public const string BranchProtected = "branch.protected";

    /// <summary>The branch the event is on is no longer protected.</summary>
    public const string BranchUnprotected = "branch.unprotected";

    /// <summary>A document setting changed (on main).</summary>
    public const string SettingsChanged = "settings.changed";

    /// <summary>The merge record property that names the proposal a merge was made for.</summary>
    public const string ProposalProperty = "proposal";
}

/// <summary>One entry of the audit trail: a branch creation or an event whose kind is not <c>update</c>.</summary>
/// <param name="Type">The record type (<c>proposal.opened</c>, <c>revert</c>…), the kind when the event carries no domain record (<c>merge</c>, <c>resolution</c>), or <c>branch.created</c>.</param>
/// <param name="Kind">The event kind, or <c>fork</c> for a branch creation (which is branch metadata, not an event).</param>
/// <param name="Branch">The branch the event was written to (the created branch for a fork).</param>
/// <param name="Seq">The event's seq (the fork position for a branch creation).</param>
/// <param name="By">Who.</param>
/// <param name="At">When (server time).</param>
/// <param name="Hash">The event's hash (the hash at the fork position for a branch creation): check it against <c>/events</c> or <c>/verify</c>.</param>
/// <param name="Fields">The record's fields; for merges and resolutions the facts of their records.</param>
/// <param name="Conflicts">A merge's conflicts (null for other entries).</param>
public sealed record AuditEntry(
    string Type,
    string Kind,
    string Branch,
    long Seq,
    string By,
    DateTimeOffset At,
    string Hash,
    IReadOnlyDictionary<string, string> Fields,
    IReadOnlyList<AuditConflict>? Conflicts);

/// <summary>A conflict a merge found, as the audit trail lists it.</summary>
public sealed record AuditConflict(string Id, string Kind, string AutomaticOutcome);

/// <summary>A protected branch: who protected it, when, in which event.</summary>
public sealed record ProtectionView(string Branch, string By, DateTimeOffset At, long Seq);

/// <summary>A proposal review as recorded.</summary>
/// <param name="Reviewer">Who reviewed.</param>
/// <param name="Verdict"><c>approve</c> or <c>request-changes</c>.</param>
/// <param name="Comment">The comment, if any.</param>
/// <param name="At">When.</param>
/// <param name="Seq">The review event's seq on the target.</param>
/// <param name="SourceSeq">The source head the reviewer saw (an approval covers the source up to here).</param>
public sealed record ReviewView(string Reviewer, string Verdict, string? Comment, DateTimeOffset At, long Seq, long SourceSeq);

/// <summary>A proposal as its records say (the projection); views are built from it.</summary>
internal sealed class ProposalState
{
    public required string Id { get; init; }
    public required string Source { get; init; }
    public required string Target { get; init; }
    public required string Title { get; init; }
    public required string Description { get; init; }
    public required string Author { get; init; }
    public required DateTimeOffset OpenedAt { get; init; }
    public required long OpenedSeq { get; init; }
    public string State { get; set; } = "open";
    public DateTimeOffset UpdatedAt { get; set; }
    public List<ReviewView> Reviews { get; } = [];
    public string? MergeId { get; set; }
    public string? MergedBy { get; set; }
    public DateTimeOffset? MergedAt { get; set; }
    public string? ClosedBy { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? CloseComment { get; set; }

    /// <summary>Each reviewer's latest verdict counts: changes requested by anyone wins, else approved if anyone approved.</summary>
    public (string Review, long? ApprovedSourceSeq) ReviewStatus()
    {
        var latest = new Dictionary<string, ReviewView>(StringComparer.Ordinal);
        foreach (var review in Reviews) latest[review.Reviewer] = review;
        if (latest.Values.Any(r => r.Verdict == ProposalService.RequestChanges)) return ("changes-requested", null);
        var approvals = latest.Values.Where(r => r.Verdict == ProposalService.Approve).ToList();
        return approvals.Count == 0 ? ("none", null) : ("approved", approvals.Max(r => r.SourceSeq));
    }
}

/// <summary>
/// The per-document projection of the log's records, kept in memory: protected branches, settings, proposals, and the
/// audit entries (every event whose kind is not <c>update</c>, plus every branch creation).
/// </summary>
/// <remarks>
/// Loaded lazily, on a document's first use since the process started, from every branch's own domain events (the
/// store's index of events that are not plain updates: <see cref="IEventStore.ListDomainEventsAsync"/>), so a load costs
/// as many reads as there are such events whatever the length of the log; afterwards each refresh reads only those
/// appended since the last one (a per-branch high-water mark), so the
/// projection is a pure function of the log and survives a restart by being rebuilt. Checks that must be cheap (a
/// client edit on a protected branch) read the loaded state without refreshing: protection changes only through
/// <see cref="ProtectionService"/>, which updates the state itself.
/// Bounded by <see cref="CacheOptions.RecordsMaxDocuments"/>: beyond it the least recently used documents are dropped
/// and loaded again from the index when next used, with the same answers. A document whose state is held (a read, a
/// refresh, or a change between its check and its event — a protection being written is in the state before its event,
/// and the edit check reads that state) is never dropped, and a caller that fetched a state dropped meanwhile takes the
/// new one before it reads or changes anything.
/// </remarks>
public sealed class DocumentRecords(IEventStore store, CacheOptions? options = null) : IBranchWriteGuard
{
    private const int DomainEventPage = 512;

    private readonly ConcurrentDictionary<DocumentId, DocumentState> _documents = new();
    private readonly int _maxDocuments = (options ?? new CacheOptions()).RecordsMaxDocuments;
    private long _clock;
    private long _evictions;

    /// <summary>Documents whose projection is in memory now.</summary>
    public int CachedDocuments => _documents.Count;

    /// <summary>Projections dropped beyond the bound so far.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <inheritdoc />
    public ValueTask<string?> ClientEditRefusalAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        if (_documents.TryGetValue(branch.Document, out var state) && state.Loaded)
        {
            state.LastUsed = Interlocked.Increment(ref _clock);
            return new(Refusal(state, branch));
        }
        return SlowAsync();

        async ValueTask<string?> SlowAsync()
        {
            var loaded = await LoadedAsync(branch.Document, cancellationToken).ConfigureAwait(false);
            return Refusal(loaded, branch);
        }
    }

    private static string? Refusal(DocumentState state, BranchRef branch) =>
        state.Protected.ContainsKey(branch.Branch.Value)
            ? $"Branch '{branch.Branch}' is protected: direct edits are refused; fork a branch, edit there, and open a proposal (only an owner's merge of an approved proposal changes it)."
            : null;

    /// <summary>Whether the branch is protected (loads the document's records on first use).</summary>
    public async ValueTask<bool> IsProtectedAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        var state = await LoadedAsync(branch.Document, cancellationToken).ConfigureAwait(false);
        return state.Protected.ContainsKey(branch.Branch.Value);
    }

    /// <summary>The document's "editors may merge into unprotected branches" setting.</summary>
    public async ValueTask<bool> EditorsMayMergeAsync(DocumentId document, CancellationToken cancellationToken)
    {
        var state = await LoadedAsync(document, cancellationToken).ConfigureAwait(false);
        return state.EditorsMayMerge;
    }

    /// <summary>The state, loaded on first use (not refreshed afterwards).</summary>
    internal async ValueTask<DocumentState> LoadedAsync(DocumentId document, CancellationToken cancellationToken)
    {
        var state = Touch(document);
        if (state.Loaded && !state.Evicted) return state;
        return await ReadAsync(document, static s => s, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Brings the projection up to the log's heads, then runs <paramref name="read"/> under the projection's lock.</summary>
    internal async Task<T> ReadAsync<T>(DocumentId document, Func<DocumentState, T> read, CancellationToken cancellationToken)
    {
        var state = await AcquireAsync(document, cancellationToken).ConfigureAwait(false);
        try
        {
            await RefreshAsync(document, state, cancellationToken).ConfigureAwait(false);
            return read(state);
        }
        finally
        {
            state.Scan.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="change"/> alone among the document's state changes (proposal transitions, protection,
    /// settings), so that a check and the event it leads to cannot interleave with another change.
    /// </summary>
    internal async Task<T> ChangeAsync<T>(DocumentId document, Func<DocumentState, Task<T>> change, CancellationToken cancellationToken)
    {
        var state = await AcquireAsync(document, cancellationToken).ConfigureAwait(false);
        try
        {
            await RefreshAsync(document, state, cancellationToken).ConfigureAwait(false);
            var result = await change(state).ConfigureAwait(false);
            // What the change wrote is in the projection before the next change or read looks.
            await RefreshAsync(document, state, CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        finally
        {
            state.Scan.Release();
        }
    }

    // The document's state with its lock held, never one dropped from the cache (a caller that fetched it before it
    // was dropped takes the new one).
    private async Task<DocumentState> AcquireAsync(DocumentId document, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = Touch(document);
            await state.Scan.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!state.Evicted) return state;
            state.Scan.Release();
        }
    }

    // The document's state (a new, unloaded one if it is not cached), marked as just used; beyond the bound the least
    // recently used others are dropped.
    private DocumentState Touch(DocumentId document)
    {
        var state = _documents.GetOrAdd(document, static d => new DocumentState { Document = d });
        state.LastUsed = Interlocked.Increment(ref _clock);
        if (_documents.Count > _maxDocuments) Trim(state);
        return state;
    }

    // Drops least recently used states until within the bound; never `current`, never one whose lock is held (being
    // read, refreshed or changed: a change may hold a protection not yet in the log).
    private void Trim(DocumentState current)
    {
        foreach (var state in _documents.Values.OrderBy(static s => s.LastUsed).ToList())
        {
            if (_documents.Count <= _maxDocuments) return;
            if (ReferenceEquals(state, current) || !state.Scan.Wait(0)) continue;
            try
            {
                if (_documents.TryRemove(new KeyValuePair<DocumentId, DocumentState>(state.Document, state)))
                {
                    state.Evicted = true;
                    Interlocked.Increment(ref _evictions);
                }
            }
            finally
            {
                state.Scan.Release();
            }
        }
    }

    private async Task RefreshAsync(DocumentId document, DocumentState state, CancellationToken cancellationToken)
    {
        var branches = await store.ListBranchesAsync(document, cancellationToken).ConfigureAwait(false);
        var resolutionsToDescribe = false;
        foreach (var info in branches)
        {
            var name = info.Ref.Branch.Value;
            if (!state.Branches.TryGetValue(name, out var log))
            {
                log = new BranchLog(info.ForkSeq.Value);
                log.Entries.Add(Created(info));
                state.Branches[name] = log;
            }
            if (info.Head.Value <= log.Scanned) continue;

            // Only the branch's domain events, through the store's index: a load does not read the updates between them.
            for (var done = false; !done;)
            {
                var page = await store.ListDomainEventsAsync(info.Ref, new EventSeq(log.Scanned), DomainEventPage, cancellationToken).ConfigureAwait(false);
                done = page.Count < DomainEventPage;
                foreach (var e in page)
                {
                    // Beyond the head listed above: the next refresh takes it, with its branch's new head.
                    if (e.Seq > info.Head)
                    {
                        done = true;
                        break;
                    }

                    log.Scanned = e.Seq.Value;
                    if (e.Kind == EventKind.Update) continue;
                    var entry = await EntryAsync(e, state, cancellationToken).ConfigureAwait(false);
                    log.Entries.Add(entry);
                    resolutionsToDescribe |= e.Kind == EventKind.Resolution;
                }
            }

            log.Scanned = info.Head.Value;
        }
        if (resolutionsToDescribe) await DescribeResolutionsAsync(state, cancellationToken).ConfigureAwait(false);
        state.Loaded = true;
    }

    private static AuditEntry Created(BranchInfo info)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (info.Parent is { } parent)
        {
            fields["from"] = parent.Branch.Value;
            fields["fromSeq"] = info.ForkSeq.Value.ToString(CultureInfo.InvariantCulture);
        }
        return new AuditEntry("branch.created", "fork", info.Ref.Branch.Value, info.ForkSeq.Value, info.CreatedBy, info.CreatedAt, info.ForkHash.ToString(), fields, null);
    }

    private async Task<AuditEntry> EntryAsync(StoredEvent e, DocumentState state, CancellationToken cancellationToken)
    {
        var branch = e.Branch.Branch.Value;
        IReadOnlyDictionary<string, string> fields = e.Record?.Fields ?? new Dictionary<string, string>();
        IReadOnlyList<AuditConflict>? conflicts = null;
        if (e.Record is { } record)
        {
            Apply(state, e, record);
        }
        else if (e.RecordKind == EventRecordKind.Merge || e.Kind == EventKind.Merge)
        {
            if (await store.GetMergeRecordAsync(e.Ref, cancellationToken).ConfigureAwait(false) is { } merge)
            {
                var facts = new Dictionary<string, string>(merge.Properties, StringComparer.Ordinal)
                {
                    ["mergeId"] = $"{branch}@{e.Seq.Value}",
                    ["source"] = Position(merge.Source),
                    ["sourceHash"] = merge.Source.Hash.ToString(),
                    ["base"] = Position(merge.Base),
                    ["targetHeadBefore"] = Position(merge.TargetHead),
                    ["conflicts"] = merge.Conflicts.Count.ToString(CultureInfo.InvariantCulture),
                };
                facts.Remove(MergeService.Keys.BaseStateVector); // bytes for the machine, not the auditor
                fields = facts;
                conflicts = merge.Conflicts.Select(c => new AuditConflict(c.Id, c.Kind, c.AutomaticOutcome)).ToList();
                if (merge.Properties.TryGetValue(PolicyRecords.ProposalProperty, out var proposalId) && state.Proposals.TryGetValue(proposalId, out var proposal) && proposal.State == "open")
                {
                    // The merge of a proposal counts even if the process stopped before proposal.merged was written.
                    proposal.State = "merged";
                    proposal.MergeId = $"{branch}@{e.Seq.Value}";
                    proposal.MergedBy = e.Author;
                    proposal.MergedAt = e.ServerTime;
                    proposal.UpdatedAt = e.ServerTime;
                }
            }
        }
        var type = e.Record?.Type ?? e.Kind.Value;
        return new AuditEntry(type, e.Kind.Value, branch, e.Seq.Value, e.Author, e.ServerTime, e.Hash.ToString(), fields, conflicts);
    }

    /// <summary>Fills in what each resolution decided (its record is found through the merge it refers to).</summary>
    private async Task DescribeResolutionsAsync(DocumentState state, CancellationToken cancellationToken)
    {
        var merges = state.Branches.Values.SelectMany(b => b.Entries).Where(x => x.Kind == EventKind.Merge.Value).ToList();
        var byEvent = new Dictionary<(string, long), ResolutionRecord>();
        foreach (var merge in merges)
        {
            var mergeRef = new EventRef(new BranchRef(state.Document, new BranchName(merge.Branch)), new EventSeq(merge.Seq));
            foreach (var resolution in await store.ListResolutionsAsync(mergeRef, cancellationToken).ConfigureAwait(false))
            {
                byEvent[(resolution.Event.Branch.Branch.Value, resolution.Event.Seq.Value)] = resolution;
            }
        }
        foreach (var (name, log) in state.Branches)
        {
            for (var i = 0; i < log.Entries.Count; i++)
            {
                var entry = log.Entries[i];
                if (entry.Kind != EventKind.Resolution.Value || entry.Fields.ContainsKey("merge")) continue;
                if (!byEvent.TryGetValue((name, entry.Seq), out var resolution)) continue;
                var fields = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["merge"] = $"{resolution.Merge.Branch.Branch}@{resolution.Merge.Seq.Value}",
                    ["decisions"] = string.Join(",", resolution.Decisions.Select(d => $"{d.ConflictId}={d.Choice}")),
                };
                log.Entries[i] = entry with { Fields = fields };
            }
        }
    }

    private static void Apply(DocumentState state, StoredEvent e, DomainRecord record)
    {
        var fields = record.Fields;
        var branch = e.Branch.Branch.Value;
        switch (record.Type)
        {
            case PolicyRecords.BranchProtected:
                state.Protected[branch] = new ProtectionView(branch, e.Author, e.ServerTime, e.Seq.Value);
                break;
            case PolicyRecords.BranchUnprotected:
                state.Protected.TryRemove(branch, out _);
                break;
            case PolicyRecords.SettingsChanged:
                if (fields.TryGetValue(SettingsService.EditorsMayMergeField, out var value) && bool.TryParse(value, out var may)) state.EditorsMayMerge = may;
                break;
            case PolicyRecords.ProposalOpened:
                var id = ProposalService.IdOf(branch, e.Seq.Value);
                state.Proposals[id] = new ProposalState
                {
                    Id = id,
                    Source = fields.GetValueOrDefault("source", ""),
                    Target = branch,
                    Title = fields.GetValueOrDefault("title", ""),
                    Description = fields.GetValueOrDefault("description", ""),
                    Author = e.Author,
                    OpenedAt = e.ServerTime,
                    OpenedSeq = e.Seq.Value,
                    UpdatedAt = e.ServerTime,
                };
                break;
            case PolicyRecords.ProposalApproved or PolicyRecords.ProposalChangesRequested:
                if (Proposal(state, fields) is { State: "open" } reviewed)
                {
                    var verdict = record.Type == PolicyRecords.ProposalApproved ? ProposalService.Approve : ProposalService.RequestChanges;
                    var sourceSeq = long.TryParse(fields.GetValueOrDefault("sourceSeq"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
                    reviewed.Reviews.Add(new ReviewView(e.Author, verdict, fields.GetValueOrDefault("comment"), e.ServerTime, e.Seq.Value, sourceSeq));
                    reviewed.UpdatedAt = e.ServerTime;
                }
                break;
            case PolicyRecords.ProposalMerged:
                if (Proposal(state, fields) is { } merged)
                {
                    merged.State = "merged";
                    merged.MergeId = fields.GetValueOrDefault("mergeId") ?? merged.MergeId;
                    merged.MergedBy ??= e.Author;
                    merged.MergedAt ??= e.ServerTime;
                    merged.UpdatedAt = e.ServerTime;
                }
                break;
            case PolicyRecords.ProposalClosed:
                if (Proposal(state, fields) is { State: "open" } closed)
                {
                    closed.State = "closed";
                    closed.ClosedBy = e.Author;
                    closed.ClosedAt = e.ServerTime;
                    closed.CloseComment = fields.GetValueOrDefault("comment");
                    closed.UpdatedAt = e.ServerTime;
                }
                break;
        }
    }

    /// <summary>Writes a record-only event through the branch's single writer and returns its seq.</summary>
    internal static async Task<long> WriteAsync(SessionManager sessions, BranchRef branch, EventKind kind, string type, Dictionary<string, string> fields, string user, CancellationToken cancellationToken)
    {
        var written = await sessions.WriteDomainEventAsync(branch, DomainEvent.RecordOnly(kind, new DomainRecord(type, fields), user), cancellationToken).ConfigureAwait(false);
        return written.Seq ?? throw new InvalidOperationException($"The {type} event was not written.");
    }

    private static ProposalState? Proposal(DocumentState state, IReadOnlyDictionary<string, string> fields) =>
        fields.TryGetValue("proposal", out var id) && state.Proposals.TryGetValue(id, out var proposal) ? proposal : null;

    private static string Position(BranchDigest digest) => $"{digest.Branch.Branch}@{digest.Seq.Value}";

    /// <summary>
    /// One document's projection. <see cref="Scan"/> guards it (reads, refreshes and changes take turns), except the
    /// lock-free reads of protection and settings that admission checks make.
    /// </summary>
    internal sealed class DocumentState
    {
        public SemaphoreSlim Scan { get; } = new(1, 1);

        private volatile bool _loaded;
        private volatile bool _editorsMayMerge;
        private volatile bool _evicted;
        private long _lastUsed;

        public required DocumentId Document { get; init; }

        /// <summary>Whether the first full read of the log is done.</summary>
        public bool Loaded
        {
            get => _loaded;
            set => _loaded = value;
        }

        /// <summary>Dropped from the cache (set under <see cref="Scan"/>): whoever holds it takes the new state instead.</summary>
        public bool Evicted
        {
            get => _evicted;
            set => _evicted = value;
        }

        /// <summary>When it was last used (the cache's counter).</summary>
        public long LastUsed
        {
            get => Interlocked.Read(ref _lastUsed);
            set => Interlocked.Exchange(ref _lastUsed, value);
        }

        public bool EditorsMayMerge
        {
            get => _editorsMayMerge;
            set => _editorsMayMerge = value;
        }

        /// <summary>Protected branches by name: the hub's per-update check is one lookup here.</summary>
        public ConcurrentDictionary<string, ProtectionView> Protected { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, BranchLog> Branches { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, ProposalState> Proposals { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A branch's audit entries in seq order (its creation first) and the last own seq read.</summary>
    internal sealed class BranchLog(long forkSeq)
    {
        public long Scanned { get; set; } = forkSeq;

        public List<AuditEntry> Entries { get; } = [];
    }
}
