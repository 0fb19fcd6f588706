using System.Runtime.CompilerServices;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>
/// The lookups one diff's attribution makes, answered as <see cref="DocumentHistory.Inserted(ClockIntervals, ClockIntervals, uint, uint)"/>
/// and <see cref="DocumentHistory.DeletedBy"/> answer them, but for clocks walked in order along a run: the client's
/// tables are looked up once per run, the interval that inserted a clock is found from the last one (usually the next
/// interval) instead of by a search each time, and the head's view of the branches is worked out once per diff
/// instead of once per deletion looked at. A diff between distant versions asks once per segment (up to 120,000).
/// </summary>
internal sealed class DiffLookup
{
    private readonly DocumentHistory _history;

    /// <summary>The head's view: each branch of its ancestry and the last seq of it the view holds (see <see cref="DocumentHistory.InView"/>).</summary>
    private readonly (BranchName Name, long Limit)[] _view;

    // The run being attributed: its client's tables, and where the last insertion lookup ended in Originals.
    private ClockIntervals? _originals;
    private ClockIntervals? _copies;
    private ClockIntervals? _deletions;
    private int _at = -1;

    public DiffLookup(DocumentHistory history, BranchName branch, long seq)
    {
        _history = history;
        var view = new List<(BranchName, long)>();
        var limit = seq;
        for (var log = history.Branches.GetValueOrDefault(branch); log is not null; log = log.Parent is { } p ? history.Branches.GetValueOrDefault(p) : null)
        {
            view.Add((log.Name, limit));
            limit = Math.Min(limit, log.ForkSeq);
        }
        _view = [.. view];
    }

    /// <summary>
    /// Starts a run of <paramref name="client"/>'s clocks; returns the client's original insertions in clock order (and
    /// whether they overlap), to be handed to <see cref="Inserted"/> for each clock of the run.
    /// </summary>
    public ReadOnlySpan<Interval> StartRun(uint client, out bool overlapping, out ReadOnlySpan<Interval> deletions)
    {
        _originals = _history.Originals.GetValueOrDefault(client);
        _copies = _history.Copies.GetValueOrDefault(client);
        _deletions = _history.Deletions.GetValueOrDefault(client);
        _at = -1;
        deletions = _deletions is null ? default : _deletions.Ordered(out _);
        overlapping = false;
        return _originals is null ? default : _originals.Ordered(out overlapping);
    }

    /// <summary>
    /// The event that first inserted <paramref name="clock"/> of the run's client, and where its run of clocks ends (at
    /// most <paramref name="end"/>); <paramref name="items"/> and <paramref name="overlapping"/> as <see cref="StartRun"/> gave them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (EventInfo? Event, uint End) Inserted(ReadOnlySpan<Interval> items, bool overlapping, uint clock, uint end)
    {
        // The usual case along a run: the clock is in the interval after the last one found (typing: one per event).
        int k = _at + 1;
        if (!overlapping && (uint)k < (uint)items.Length)
        {
            ref readonly var next = ref items[k];
            if (next.Clock <= clock && clock < next.End && (k + 1 == items.Length || items[k + 1].Clock > clock))
            {
                _at = k;
                return (_history.Events[next.Event], Math.Min(end, next.End));
            }
        }
        return InsertedSearched(items, overlapping, clock, end);
    }

    private (EventInfo? Event, uint End) InsertedSearched(ReadOnlySpan<Interval> items, bool overlapping, uint clock, uint end)
    {
        if (_originals is not null)
        {
            if (overlapping)
            {
                if (_originals.Find(clock) is { } found) return (_history.Events[found.Event], Math.Min(end, found.End));
            }
            else
            {
                // Intervals that do not overlap: the one holding the clock is the last one starting at or before it.
                int k = LastStartingAtOrBefore(items, clock);
                _at = k;
                if (k >= 0 && items[k].End > clock) return (_history.Events[items[k].Event], Math.Min(end, items[k].End));
            }
        }
        return _copies?.Find(clock) is { } copy ? (_history.Events[copy.Event], Math.Min(end, copy.End)) : (null, end);
    }

    /// <summary>
    /// The event that deleted <paramref name="clock"/> of the run's client as the head sees it, and where that event's
    /// deleted run ends (at most <paramref name="end"/>): <see cref="DocumentHistory.DeletedBy"/>. <paramref name="items"/>:
    /// the client's deletions as <see cref="StartRun"/> gave them.
    /// </summary>
    public (EventInfo? Event, uint End) DeletedBy(ReadOnlySpan<Interval> items, uint clock, uint end)
    {
        if (_deletions is null) return (null, end);
        int inView = -1, original = -1, any = -1;
        _deletions.Candidates(clock, out var from, out var to);
        for (var k = from; k < to; k++)
        {
            ref readonly var i = ref items[k];
            if (i.End <= clock) continue;
            var e = _history.Events[i.Event];
            var seen = InView(e);
            if (seen && !e.IsMerge && inView < 0) inView = k;
            if (!e.IsMerge && original < 0) original = k;
            if (seen && any < 0) any = k;
        }
        var pick = inView >= 0 ? inView : any >= 0 ? (original >= 0 ? original : any) : original;
        return pick >= 0 ? (_history.Events[items[pick].Event], Math.Min(end, items[pick].End)) : (null, end);
    }

    private bool InView(EventInfo e)
    {
        foreach (var (name, limit) in _view)
        {
            if (name == e.Branch) return e.Seq <= limit;
        }
        return false;
    }

    /// <summary>The index of the last interval starting at or before <paramref name="clock"/> (-1 if none): from the last answer when the clock follows it.</summary>
    private int LastStartingAtOrBefore(ReadOnlySpan<Interval> items, uint clock)
    {
        int k = _at;
        if (k >= 0 && k < items.Length && items[k].Clock <= clock)
        {
            for (int step = 0; step < 4; step++)
            {
                if (k + 1 == items.Length || items[k + 1].Clock > clock) return k;
                k++;
            }
        }
        int lo = 0, hi = items.Length; // first starting after clock
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (items[mid].Clock <= clock) lo = mid + 1;
            else hi = mid;
        }
        return lo - 1;
    }
}
