using System.Collections.Concurrent;
using Collab.Crdt;
using Collab.Crdt.History;
using Collab.Crdt.Structs;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>
/// Per document, what each event of every branch did: the clock ranges it inserted (per client, with the root they
/// went into) and deleted, its author, time, kind and record. It maps any item id to the event that first inserted it
/// (blame, diff) and any deleted id to the events that deleted it, and keeps the event summaries the activity view and
/// the filtered event log read.
/// </summary>
/// <remarks>
/// The table is filled from the log as events are appended: each history request first indexes the events stored since
/// the last one (one branch list read when nothing is new), so it sees client updates, merges, reverts and imports
/// alike, and rebuilds itself from the log after a restart. An item copied into a branch by a merge is attributed to
/// the event that inserted it on its source branch (an "original"); the merge event's copy is only a fallback.
/// (ClientClockIndex keeps only each branch's clock ends, which is all the client-id rule needs.)
/// Bounded (<see cref="CacheOptions.HistoryMaxDocuments"/>, <see cref="CacheOptions.HistoryMaxEvents"/>): beyond either
/// bound the least recently read documents are dropped and indexed again from the log when next read.
/// </remarks>
public sealed class HistoryIndex(IEventStore store, CacheOptions? options = null)
{
    private readonly ConcurrentDictionary<DocumentId, DocumentHistory> _documents = new();
    private readonly int _maxDocuments = (options ?? new CacheOptions()).HistoryMaxDocuments;
    private readonly long _maxEvents = (options ?? new CacheOptions()).HistoryMaxEvents;
    private long _clock;

    /// <summary>Documents whose index is kept now.</summary>
    public int CachedDocuments => _documents.Count;

    /// <summary>Events indexed across the kept documents.</summary>
    public long CachedEvents => _documents.Values.Sum(static d => (long)d.Events.Count);

    /// <summary>
    /// The document's history, indexed up to every branch's current head, held for the caller until it disposes the
    /// lease (reads and indexing of one document take turns).
    /// </summary>
    public async Task<HistoryLease> OpenAsync(DocumentId document, CancellationToken cancellationToken)
    {
        var history = _documents.GetOrAdd(document, static d => new DocumentHistory(d));
        history.LastUsed = Interlocked.Increment(ref _clock);
        await history.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CatchUpAsync(history, cancellationToken).ConfigureAwait(false);
            Trim(history);
            return new HistoryLease(history);
        }
        catch
        {
            history.Gate.Release();
            throw;
        }
    }

    // Drops the least recently used documents while over a bound, never the one being read. A document whose gate is
    // taken (being read or indexed) is skipped: a reader holding it finishes on its own copy either way.
    private void Trim(DocumentHistory current)
    {
        if (_documents.Count <= _maxDocuments && CachedEvents <= _maxEvents) return;
        foreach (var candidate in _documents.Values.OrderBy(static d => d.LastUsed).ToList())
        {
            if (_documents.Count <= _maxDocuments && CachedEvents <= _maxEvents) return;
            if (ReferenceEquals(candidate, current) || !candidate.Gate.Wait(0)) continue;
            try
            {
                _documents.TryRemove(new KeyValuePair<DocumentId, DocumentHistory>(candidate.Document, candidate));
            }
            finally
            {
                candidate.Gate.Release();
            }
        }
    }

    private async Task CatchUpAsync(DocumentHistory history, CancellationToken cancellationToken)
    {
        IReadOnlyList<BranchInfo> branches;
        try
        {
            branches = await store.ListBranchesAsync(history.Document, cancellationToken).ConfigureAwait(false);
        }
        catch (EventStoreException ex) when (ex.Error == EventStoreError.DocumentNotFound)
        {
            throw CollabException.NotFound($"Document '{history.Document}' does not exist.");
        }

        // Parents first: a fork's events refer to items of its ancestry.
        foreach (var info in Ordered(branches))
        {
            var log = history.Branch(info);
            log.Head = info.Head.Value;
            var from = Math.Max(info.ForkSeq.Value, log.IndexedThrough) + 1;
            if (info.Head.Value < from) continue;
            await foreach (var stored in store.ReadAsync(info.Ref, new EventSeq(from), info.Head, cancellationToken).ConfigureAwait(false))
            {
                if (stored.Branch != info.Ref) continue; // the ancestry's own events are indexed under their branch
                history.Add(log, stored);
                log.IndexedThrough = stored.Seq.Value;
            }
        }
    }

    private static List<BranchInfo> Ordered(IReadOnlyList<BranchInfo> branches)
    {
        var byName = branches.ToDictionary(static b => b.Ref.Branch);
        var result = new List<BranchInfo>(branches.Count);
        var done = new HashSet<BranchName>();
        void Visit(BranchInfo b)
        {
            if (!done.Add(b.Ref.Branch)) return;
            if (b.Parent is { } parent && byName.TryGetValue(parent.Branch, out var p)) Visit(p);
            result.Add(b);
        }
        foreach (var b in branches) Visit(b);
        return result;
    }
}

/// <summary>A document's history held for reading; dispose to let others in.</summary>
public sealed class HistoryLease : IDisposable
{
    private DocumentHistory? _history;

    internal HistoryLease(DocumentHistory history) => _history = history;

    internal DocumentHistory History => _history ?? throw new ObjectDisposedException(nameof(HistoryLease));

    /// <inheritdoc />
    public void Dispose()
    {
        var history = Interlocked.Exchange(ref _history, null);
        history?.Gate.Release();
    }
}

/// <summary>What one event did, as the history views need it.</summary>
internal sealed class EventInfo
{
    public required int Index { get; init; }

    public required BranchName Branch { get; init; }

    public required long Seq { get; init; }

    public required string Kind { get; init; }

    public required string Author { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required IReadOnlyList<uint> ClientIds { get; init; }

    /// <summary>The event's hash, kept as its 32 bytes (one string per event of a long history is a lot of objects for the collector).</summary>
    public required EventHash HashValue { get; init; }

    /// <summary>The hash as shown: 64 hex digits.</summary>
    public string Hash => HashValue.ToString();

    public DomainRecord? Record { get; init; }

    public bool IsMerge => Kind == EventKind.Merge.Value;

    /// <summary>The event as views show it (made once: views compare marks by reference first).</summary>
    public EventMark Mark => _mark ??= new EventMark(Branch.Value, Seq, Author, Time, Kind);

    private EventMark? _mark;

    /// <summary>UTF-16 units of text inserted.</summary>
    public int CharsInserted { get; set; }

    /// <summary>Other units inserted (array/map values, nested types, embeds).</summary>
    public int ValuesInserted { get; set; }

    /// <summary>Units deleted.</summary>
    public int Deleted { get; set; }

    /// <summary>Indexes of the roots it touched, ascending (see <see cref="DocumentHistory.RootNames"/>).</summary>
    public IReadOnlyList<int> Roots => _roots;

    // A sorted array, shared while it holds one root: most events touch one root, and a set per event was two objects.
    private int[] _roots = [];

    private static readonly int[][] s_singleRoots = [.. Enumerable.Range(0, 64).Select(static r => new[] { r })];

    /// <summary>Notes that the event touched root <paramref name="root"/>.</summary>
    public void AddRoot(int root)
    {
        int at = Array.BinarySearch(_roots, root);
        if (at >= 0) return;
        if (_roots.Length == 0 && root < s_singleRoots.Length)
        {
            _roots = s_singleRoots[root];
            return;
        }
        at = ~at;
        var grown = new int[_roots.Length + 1];
        Array.Copy(_roots, grown, at);
        grown[at] = root;
        Array.Copy(_roots, at, grown, at + 1, _roots.Length - at);
        _roots = grown;
    }
}

/// <summary>Runs of clocks of one client, each with the event that inserted or deleted it.</summary>
internal sealed class ClockIntervals
{
    private readonly List<Interval> _items = [];
    private bool _sorted = true;
    private uint _maxEnd;

    /// <summary>Whether some intervals may overlap (then lookups scan back; otherwise one binary search answers).</summary>
    private bool _overlapping;

    /// <summary>
    /// When overlapping: the largest end of the intervals up to each index (by clock order), so that a lookup scans only
    /// the intervals that can hold a clock instead of every one within the longest interval's length.
    /// </summary>
    private uint[]? _maxEndThrough;

    /// <summary>The last answer of <see cref="FirstAfter"/> minus one (readers take turns: see <see cref="HistoryLease"/>).</summary>
    private int _lastBefore = -1;

    public void Add(uint clock, uint length, int eventIndex, int root, bool topLevel)
    {
        if (_items.Count > 0 && _items[^1].Clock > clock) _sorted = false;
        else if (clock < _maxEnd) _overlapping = true; // in order: known at once; out of order: found when sorting
        _items.Add(new Interval(clock, clock + length, eventIndex, root, topLevel));
        _maxEnd = Math.Max(_maxEnd, clock + length);
        _maxEndThrough = null;
    }

    /// <summary>The first interval (by clock) holding <paramref name="clock"/>, or null.</summary>
    public Interval? Find(uint clock)
    {
        Sort();
        int start = FirstAfter(clock);
        // the usual case: intervals of one table do not overlap, so the last one starting at or before clock is it
        if (!_overlapping) return start > 0 && _items[start - 1].End > clock ? _items[start - 1] : null;
        for (int i = FirstReaching(clock, start); i < start; i++)
        {
            if (_items[i].End > clock) return _items[i];
        }
        return null;
    }

    /// <summary>
    /// The indexes [<paramref name="from"/>, <paramref name="to"/>) of the intervals that may hold <paramref name="clock"/>,
    /// in clock order (read them with <see cref="this[int]"/>; those ending at or before the clock do not hold it).
    /// Every interval holding the clock is among them. No allocation: lookups run once per diff segment.
    /// </summary>
    public void Candidates(uint clock, out int from, out int to)
    {
        Sort();
        to = FirstAfter(clock);
        from = !_overlapping ? Math.Max(0, to - 1) : FirstReaching(clock, to);
    }

    /// <summary>The interval at <paramref name="index"/> in clock order.</summary>
    public Interval this[int index] => _items[index];

    /// <summary>
    /// Every interval in clock order, and whether some overlap: for a reader that walks many in a row (a diff's runs).
    /// Valid until the next <see cref="Add"/> (readers and indexing take turns: see <see cref="HistoryLease"/>).
    /// </summary>
    public ReadOnlySpan<Interval> Ordered(out bool overlapping)
    {
        Sort();
        overlapping = _overlapping;
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_items);
    }

    /// <summary>The index of the first interval starting after <paramref name="clock"/>.</summary>
    private int FirstAfter(uint clock)
    {
        // Diffs and blame look up the clocks of a run one after another: the answer is usually the last one or the next.
        for (int k = _lastBefore; k <= _lastBefore + 1 && k < _items.Count; k++)
        {
            if (k >= 0 && _items[k].Clock <= clock && (k + 1 == _items.Count || _items[k + 1].Clock > clock)) return (_lastBefore = k) + 1;
        }
        int lo = 0, hi = _items.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (_items[mid].Clock <= clock) lo = mid + 1;
            else hi = mid;
        }
        _lastBefore = lo - 1;
        return lo;
    }

    /// <summary>The first index below <paramref name="limit"/> from which some interval ends after <paramref name="clock"/> (none before it can hold it).</summary>
    private int FirstReaching(uint clock, int limit)
    {
        var maxEnd = _maxEndThrough ??= MaxEnds();
        int lo = 0, hi = limit;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (maxEnd[mid] <= clock) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private uint[] MaxEnds()
    {
        var result = new uint[_items.Count];
        uint end = 0;
        for (int i = 0; i < result.Length; i++)
        {
            end = Math.Max(end, _items[i].End);
            result[i] = end;
        }
        return result;
    }

    private void Sort()
    {
        if (_sorted) return;
        _items.Sort(static (a, b) => a.Clock.CompareTo(b.Clock));
        _sorted = true;
        _lastBefore = -1;
        _maxEndThrough = null;
        uint end = 0;
        _overlapping = false;
        foreach (var x in _items)
        {
            if (x.Clock < end) _overlapping = true;
            end = Math.Max(end, x.End);
        }
    }
}

/// <summary>An interval of clocks [Clock, End) and the event it belongs to.</summary>
internal readonly record struct Interval(uint Clock, uint End, int Event, int Root, bool TopLevel);

/// <summary>A branch's own events (after its fork point) in seq order.</summary>
internal sealed class BranchLog(BranchName name, BranchName? parent, long forkSeq)
{
    public BranchName Name { get; } = name;

    public BranchName? Parent { get; } = parent;

    public long ForkSeq { get; } = forkSeq;

    public long IndexedThrough { get; set; }

    /// <summary>The head the branch had when it was last indexed: the default position of requests.</summary>
    public long Head { get; set; }

    /// <summary>Event indexes of seqs ForkSeq + 1, ForkSeq + 2, …</summary>
    public List<int> Events { get; } = [];
}

/// <summary>A named version, as the log records it.</summary>
internal sealed record VersionEntry(string Name, BranchName Branch, long Seq, string CreatedBy, DateTimeOffset CreatedAt, long RecordSeq, BranchName RecordBranch);

/// <summary>The index of one document (see <see cref="HistoryIndex"/>).</summary>
internal sealed class DocumentHistory(DocumentId document)
{
    public const string UnknownRoot = "";

    public DocumentId Document { get; } = document;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>When it was last opened (a counter of the index; the cache drops the smallest first).</summary>
    public long LastUsed { get; set; }

    public List<EventInfo> Events { get; } = [];

    public Dictionary<BranchName, BranchLog> Branches { get; } = [];

    public List<string> RootNames { get; } = [];

    public Dictionary<string, RootKind> RootKinds { get; } = new(StringComparer.Ordinal);

    public List<VersionEntry> Versions { get; } = [];

    /// <summary>Items as first inserted (not by a merge): the event to credit.</summary>
    public Dictionary<uint, ClockIntervals> Originals { get; } = [];

    /// <summary>Items as copied by merges: a fallback, and where a root is found before the original is indexed.</summary>
    public Dictionary<uint, ClockIntervals> Copies { get; } = [];

    public Dictionary<uint, ClockIntervals> Deletions { get; } = [];

    private readonly Dictionary<string, int> _rootIds = new(StringComparer.Ordinal);

    public BranchLog Branch(BranchInfo info)
    {
        if (!Branches.TryGetValue(info.Ref.Branch, out var log))
        {
            log = new BranchLog(info.Ref.Branch, info.Parent?.Branch, info.ForkSeq.Value);
            Branches[info.Ref.Branch] = log;
        }
        return log;
    }

    /// <summary>The event at <paramref name="seq"/> of <paramref name="branch"/>'s view, or null.</summary>
    public EventInfo? At(BranchName branch, long seq)
    {
        for (var log = Branches.GetValueOrDefault(branch); log is not null; log = log.Parent is { } p ? Branches.GetValueOrDefault(p) : null)
        {
            if (seq > log.ForkSeq)
            {
                var i = seq - log.ForkSeq - 1;
                return i < log.Events.Count ? Events[log.Events[(int)i]] : null;
            }
        }
        return null;
    }

    /// <summary>The events of <paramref name="branch"/>'s view with seq in [from, to], in seq order.</summary>
    public IEnumerable<EventInfo> View(BranchName branch, long from, long to)
    {
        // segments of the view: (log, first seq, last seq), root first
        var segments = new List<(BranchLog Log, long First, long Last)>();
        long last = to;
        for (var log = Branches.GetValueOrDefault(branch); log is not null; log = log.Parent is { } p ? Branches.GetValueOrDefault(p) : null)
        {
            segments.Add((log, log.ForkSeq + 1, last));
            last = Math.Min(last, log.ForkSeq);
        }
        segments.Reverse();
        foreach (var (log, first, segmentLast) in segments)
        {
            var start = Math.Max(first, from);
            var end = Math.Min(segmentLast, log.ForkSeq + log.Events.Count);
            for (var seq = start; seq <= end; seq++) yield return Events[log.Events[(int)(seq - log.ForkSeq - 1)]];
        }
    }

    /// <summary>Whether event <paramref name="e"/> is in the view of <paramref name="branch"/> up to <paramref name="seq"/>.</summary>
    public bool InView(EventInfo e, BranchName branch, long seq)
    {
        var limit = seq;
        for (var log = Branches.GetValueOrDefault(branch); log is not null; log = log.Parent is { } p ? Branches.GetValueOrDefault(p) : null)
        {
            if (log.Name == e.Branch) return e.Seq <= limit;
            limit = Math.Min(limit, log.ForkSeq);
        }
        return false;
    }

    /// <summary>The event that first inserted item <paramref name="id"/> (an original before a merge's copy), or null.</summary>
    public EventInfo? InsertedBy(ItemId id) => Inserted(id, id.Clock + 1).Event;

    /// <summary>
    /// The event that first inserted item <paramref name="id"/>, and where the run of clocks credited to it ends
    /// (exclusive, at most <paramref name="end"/>).
    /// </summary>
    public (EventInfo? Event, uint End) Inserted(ItemId id, uint end) =>
        Inserted(Originals.GetValueOrDefault(id.Client), Copies.GetValueOrDefault(id.Client), id.Clock, end);

    /// <summary>
    /// <see cref="Inserted(ItemId, uint)"/> with the client's tables looked up once (<see cref="Originals"/>,
    /// <see cref="Copies"/>): a diff asks for every event of a run of one client in turn.
    /// </summary>
    public (EventInfo? Event, uint End) Inserted(ClockIntervals? originals, ClockIntervals? copies, uint clock, uint end)
    {
        var found = originals?.Find(clock) ?? copies?.Find(clock);
        return found is { } i ? (Events[i.Event], Math.Min(end, i.End)) : (null, end);
    }

    /// <summary>
    /// The event that deleted item <paramref name="id"/> as far as <paramref name="branch"/> up to <paramref name="seq"/>
    /// sees it: the first such event of the view that is not a merge, else the original deletion on another branch
    /// that a merge brought in, else the merge. Also where that event's deleted run ends.
    /// </summary>
    public (EventInfo? Event, uint End) DeletedBy(ItemId id, uint end, BranchName branch, long seq)
    {
        if (!Deletions.TryGetValue(id.Client, out var intervals)) return (null, end);
        Interval? inView = null, original = null, any = null;
        intervals.Candidates(id.Clock, out var from, out var to);
        for (var k = from; k < to; k++)
        {
            var i = intervals[k];
            if (i.End <= id.Clock) continue;
            var e = Events[i.Event];
            var seen = InView(e, branch, seq);
            if (seen && !e.IsMerge && inView is null) inView = i;
            if (!e.IsMerge && original is null) original = i;
            if (seen && any is null) any = i;
        }
        var pick = inView ?? (any is not null ? original ?? any : original);
        return pick is { } p ? (Events[p.Event], Math.Min(end, p.End)) : (null, end);
    }

    /// <summary>Which root an item went into, and whether directly (not inside a nested type).</summary>
    public (int Root, bool TopLevel)? RootOf(ItemId id)
    {
        var found = Originals.GetValueOrDefault(id.Client)?.Find(id.Clock) ?? Copies.GetValueOrDefault(id.Client)?.Find(id.Clock);
        return found is { } i ? (i.Root, i.TopLevel) : null;
    }

    /// <summary>Indexes one stored event of <paramref name="log"/>'s own.</summary>
    public void Add(BranchLog log, StoredEvent stored)
    {
        var info = new EventInfo
        {
            Index = Events.Count,
            Branch = stored.Branch.Branch,
            Seq = stored.Seq.Value,
            Kind = stored.Kind.Value,
            Author = stored.Author,
            Time = stored.ServerTime,
            ClientIds = SharedClientIds(stored.ClientIds),
            HashValue = stored.Hash,
            Record = stored.Record,
        };
        Events.Add(info);
        log.Events.Add(info.Index);
        if (stored.Record is { Type: VersionRecords.Named } record) AddVersion(record, info);

        UpdateDetail detail;
        try
        {
            detail = YUpdate.Inspect(stored.Payload.Span);
        }
        catch (YjsFormatException)
        {
            return; // the replayer reports an unreadable log; the index just has nothing for this event
        }

        var table = info.IsMerge ? Copies : Originals;
        // An update lists clients in descending order, and an item may sit next to an item of a later client: retry
        // what could not be placed until nothing more can.
        var pending = new List<InsertedStruct>(detail.Inserted);
        while (pending.Count > 0)
        {
            var unresolved = new List<InsertedStruct>();
            foreach (var s in pending)
            {
                var where = Locate(s);
                if (where is null && s.Content != InsertedContent.Gc)
                {
                    unresolved.Add(s);
                    continue;
                }
                Record(info, table, s, where ?? (Root(UnknownRoot), true));
            }
            if (unresolved.Count == pending.Count)
            {
                foreach (var s in unresolved) Record(info, table, s, (Root(UnknownRoot), true));
                break;
            }
            pending = unresolved;
        }

        foreach (var (client, ranges) in detail.Deleted)
        {
            if (!Deletions.TryGetValue(client, out var deletions)) Deletions[client] = deletions = new ClockIntervals();
            foreach (var range in ranges)
            {
                var root = RootOf(new ItemId(client, range.Clock));
                deletions.Add(range.Clock, range.Length, info.Index, root?.Root ?? Root(UnknownRoot), root?.TopLevel ?? true);
                info.Deleted += (int)range.Length;
                if (root is { } r && RootNames[r.Root].Length > 0) info.AddRoot(r.Root);
            }
        }
    }

    // Events of one client carry equal one-element lists: keep one of each (an array per event is an object per event).
    private readonly Dictionary<uint, uint[]> _singleClientIds = [];

    private IReadOnlyList<uint> SharedClientIds(IReadOnlyList<uint> ids)
    {
        if (ids.Count != 1) return ids;
        if (!_singleClientIds.TryGetValue(ids[0], out var shared)) _singleClientIds[ids[0]] = shared = [ids[0]];
        return shared;
    }

    private (int Root, bool TopLevel)? Locate(InsertedStruct s)
    {
        if (s.RootKey is { } key) return (Root(key), true);
        if (s.Parent is { } parent) return RootOf(parent) is { } p ? (p.Root, false) : null;
        if (s.Origin is { } origin && RootOf(origin) is { } o) return o;
        if (s.RightOrigin is { } right && RootOf(right) is { } r) return r;
        return null;
    }

    private void Record(EventInfo info, Dictionary<uint, ClockIntervals> table, InsertedStruct s, (int Root, bool TopLevel) where)
    {
        if (!table.TryGetValue(s.Client, out var intervals)) table[s.Client] = intervals = new ClockIntervals();
        intervals.Add(s.Clock, s.Length, info.Index, where.Root, where.TopLevel);
        switch (s.Content)
        {
            case InsertedContent.Text:
                info.CharsInserted += (int)s.Length;
                break;
            case InsertedContent.Embed or InsertedContent.Type or InsertedContent.Value:
                info.ValuesInserted += (int)s.Length;
                break;
        }
        if (s.Content is InsertedContent.Gc or InsertedContent.Deleted) return;
        var rootName = RootNames[where.Root];
        if (rootName.Length == 0) return;
        info.AddRoot(where.Root);
        if (where.TopLevel && s.TypeKind is { } kind && !RootKinds.ContainsKey(rootName)) RootKinds[rootName] = kind;
    }

    private void AddVersion(DomainRecord record, EventInfo info)
    {
        var fields = record.Fields;
        if (!fields.TryGetValue(VersionRecords.Name, out var name) || !fields.TryGetValue(VersionRecords.Seq, out var seqText) || !long.TryParse(seqText, out var seq)) return;
        var branch = fields.TryGetValue(VersionRecords.Branch, out var b) && NameRules.BranchNameError(b) is null ? new BranchName(b) : info.Branch;
        if (Versions.Exists(v => v.Name == name)) return; // the first record of a name wins
        Versions.Add(new VersionEntry(name, branch, seq, info.Author, info.Time, info.Seq, info.Branch));
    }

    private int Root(string name)
    {
        if (!_rootIds.TryGetValue(name, out var id))
        {
            id = RootNames.Count;
            RootNames.Add(name);
            _rootIds[name] = id;
        }
        return id;
    }
}

/// <summary>Names of the records history writes.</summary>
public static class VersionRecords
{
    /// <summary>Record type of a named version.</summary>
    public const string Named = "version.named";

    /// <summary>Record type of a restore.</summary>
    public const string Restored = "version.restored";

    /// <summary>Field: the version's name.</summary>
    public const string Name = "name";

    /// <summary>Field: the branch the version is a position of.</summary>
    public const string Branch = "branch";

    /// <summary>Field: the seq the version is a position of.</summary>
    public const string Seq = "seq";
}
