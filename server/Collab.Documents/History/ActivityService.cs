using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>A run of one author's edits with no pause longer than the grouping gap.</summary>
/// <param name="Author">The author.</param>
/// <param name="FirstSeq">Seq of its first event in the branch's view.</param>
/// <param name="LastSeq">Seq of its last event.</param>
/// <param name="FirstTime">Server time of its first event.</param>
/// <param name="LastTime">Server time of its last event.</param>
/// <param name="Events">How many events.</param>
/// <param name="CharsInserted">UTF-16 units of text inserted.</param>
/// <param name="ValuesInserted">Other units inserted (array/map values, nested types, embeds).</param>
/// <param name="Deleted">Units deleted.</param>
/// <param name="Roots">Roots (types) touched.</param>
/// <param name="Kinds">Event kinds in it (update, merge, restore…).</param>
/// <param name="Branches">Branches its events were written on (a view includes its ancestry's events).</param>
public sealed record ActivitySession(
    string Author,
    long FirstSeq,
    long LastSeq,
    DateTimeOffset FirstTime,
    DateTimeOffset LastTime,
    int Events,
    int CharsInserted,
    int ValuesInserted,
    int Deleted,
    IReadOnlyList<string> Roots,
    IReadOnlyList<string> Kinds,
    IReadOnlyList<string> Branches);

/// <summary>The timeline of a branch.</summary>
/// <param name="Position">The branch and the seq it runs to.</param>
/// <param name="GroupGapSeconds">The pause that ends a session.</param>
/// <param name="Sessions">Sessions by start time.</param>
/// <param name="Versions">Named versions of the branch's view, by seq.</param>
public sealed record ActivityResult(PositionView Position, double GroupGapSeconds, IReadOnlyList<ActivitySession> Sessions, IReadOnlyList<VersionView> Versions);

/// <summary>One event of the log with what it did.</summary>
/// <param name="Seq">Seq in the branch's view.</param>
/// <param name="Branch">The branch it was written on.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Author">Who wrote it.</param>
/// <param name="ServerTime">When it was stored.</param>
/// <param name="ClientIds">The Yjs client ids it carries.</param>
/// <param name="CharsInserted">UTF-16 units of text inserted.</param>
/// <param name="ValuesInserted">Other units inserted.</param>
/// <param name="Deleted">Units deleted.</param>
/// <param name="Roots">Roots it touched.</param>
/// <param name="Hash">Its hash in the chain.</param>
/// <param name="RecordType">The type of the domain record it carries, if any.</param>
/// <param name="Record">The record's fields.</param>
public sealed record EventSummary(
    long Seq,
    string Branch,
    string Kind,
    string Author,
    DateTimeOffset ServerTime,
    IReadOnlyList<uint> ClientIds,
    int CharsInserted,
    int ValuesInserted,
    int Deleted,
    IReadOnlyList<string> Roots,
    string Hash,
    string? RecordType,
    IReadOnlyDictionary<string, string>? Record);

/// <summary>Filters of the event log; all optional.</summary>
/// <param name="Branch">The branch (default main).</param>
/// <param name="From">First seq (default 1).</param>
/// <param name="Max">Page size (default 100, at most <see cref="DocumentCatalog.MaxPage"/>).</param>
/// <param name="Author">Only this author's events.</param>
/// <param name="Kind">Only events of this kind.</param>
/// <param name="Since">Only events stored at or after this time.</param>
/// <param name="Until">Only events stored at or before this time.</param>
public sealed record EventFilter(string? Branch = null, long? From = null, int? Max = null, string? Author = null, string? Kind = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);

/// <summary>A page of the filtered log.</summary>
/// <param name="Branch">The branch.</param>
/// <param name="HeadSeq">Its head.</param>
/// <param name="Events">The matching events, by seq.</param>
/// <param name="Next">The seq to pass as <c>from</c> for the next page, or null at the end.</param>
public sealed record EventPage(string Branch, long HeadSeq, IReadOnlyList<EventSummary> Events, long? Next);

/// <summary>
/// The timeline a person reads (edits grouped into sessions by author and pause, each summarized) and the raw event log
/// filtered by author, time and kind with each event's decoded summary. Owners and auditors.
/// </summary>
public sealed class ActivityService(IEventStore store, DocumentCatalog catalog, HistoryIndex index)
{
    /// <summary>The default pause that ends a session.</summary>
    public static readonly TimeSpan DefaultGroupGap = TimeSpan.FromMinutes(5);

    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>The sessions of <paramref name="query"/>'s branch up to its position.</summary>
    public async Task<ActivityResult> ActivityAsync(string documentId, PositionQuery query, TimeSpan? groupGap, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "read the history of");
        var gap = groupGap ?? DefaultGroupGap;
        if (gap <= TimeSpan.Zero || gap > TimeSpan.FromDays(365)) throw new CollabException(CollabErrorCode.Invalid, "'groupGap' must be more than 0 and at most 365 days.");
        using var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        var history = lease.History;
        var (branch, position) = await HistoryPositions.ResolveAsync(history, _replayer, documentId, query, cancellationToken).ConfigureAwait(false);

        var open = new Dictionary<string, Builder>(StringComparer.Ordinal);
        var done = new List<Builder>();
        foreach (var e in history.View(branch.Branch, 1, position.Seq))
        {
            if (e.Record is not null && e.CharsInserted == 0 && e.ValuesInserted == 0 && e.Deleted == 0) continue; // a record only: shown as a version, not an edit
            if (open.TryGetValue(e.Author, out var current) && e.Time - current.LastTime <= gap)
            {
                current.Add(e, history);
                continue;
            }
            if (current is not null) done.Add(current);
            var session = new Builder(e.Author);
            session.Add(e, history);
            open[e.Author] = session;
        }
        done.AddRange(open.Values);
        var sessions = done.OrderBy(static s => s.FirstTime).ThenBy(static s => s.FirstSeq).Select(static s => s.Build()).ToList();
        var versions = history.Versions
            .Where(v => InView(history, v, branch.Branch, position.Seq))
            .OrderBy(static v => v.Seq)
            .Select(VersionService.View)
            .ToList();
        return new ActivityResult(position, gap.TotalSeconds, sessions, versions);
    }

    /// <summary>A page of the branch's log, filtered, each event with its decoded summary.</summary>
    public async Task<EventPage> EventsAsync(string documentId, EventFilter filter, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "read the history of");
        var max = Math.Clamp(filter.Max ?? 100, 1, DocumentCatalog.MaxPage);
        using var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        var history = lease.History;
        var (branch, position) = await HistoryPositions.ResolveAsync(history, _replayer, documentId, new PositionQuery(filter.Branch), cancellationToken).ConfigureAwait(false);
        var result = new List<EventSummary>();
        long? next = null;
        foreach (var e in history.View(branch.Branch, Math.Max(1, filter.From ?? 1), position.Seq))
        {
            if (filter.Author is { } author && e.Author != author) continue;
            if (filter.Kind is { } kind && e.Kind != kind) continue;
            if (filter.Since is { } since && e.Time < since) continue;
            if (filter.Until is { } until && e.Time > until) continue;
            if (result.Count == max)
            {
                next = e.Seq;
                break;
            }
            result.Add(new EventSummary(
                e.Seq, e.Branch.Value, e.Kind, e.Author, e.Time, e.ClientIds, e.CharsInserted, e.ValuesInserted, e.Deleted,
                e.Roots.Select(r => history.RootNames[r]).ToList(), e.Hash, e.Record?.Type, e.Record?.Fields));
        }
        return new EventPage(position.Branch, position.HeadSeq, result, next);
    }

    private static bool InView(DocumentHistory history, VersionEntry v, BranchName branch, long seq)
    {
        // a version of this branch's view: its branch is this one or an ancestor, at a seq the view holds
        if (v.Seq == 0) return v.Branch == branch;
        return history.At(v.Branch, v.Seq) is { } e && history.InView(e, branch, seq);
    }

    private sealed class Builder(string author)
    {
        private readonly SortedSet<string> _roots = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _kinds = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _branches = new(StringComparer.Ordinal);
        private int _events, _chars, _values, _deleted;

        public long FirstSeq { get; private set; }

        public long LastSeq { get; private set; }

        public DateTimeOffset FirstTime { get; private set; }

        public DateTimeOffset LastTime { get; private set; }

        public void Add(EventInfo e, DocumentHistory history)
        {
            if (_events == 0)
            {
                FirstSeq = e.Seq;
                FirstTime = e.Time;
            }
            _events++;
            LastSeq = e.Seq;
            LastTime = e.Time;
            _chars += e.CharsInserted;
            _values += e.ValuesInserted;
            _deleted += e.Deleted;
            foreach (var r in e.Roots) _roots.Add(history.RootNames[r]);
            _kinds.Add(e.Kind);
            _branches.Add(e.Branch.Value);
        }

        public ActivitySession Build() => new(author, FirstSeq, LastSeq, FirstTime, LastTime, _events, _chars, _values, _deleted, [.. _roots], [.. _kinds], [.. _branches]);
    }
}
