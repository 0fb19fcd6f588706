using System.Collections.Concurrent;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>
/// Counts the events of a branch view that change content (updates, merges, resolutions, reverts, restores whose update
/// is not empty), for the ahead/behind counts of <see cref="BranchService"/>. Record-only events (proposal, protection,
/// settings, version, directory records: the empty update <c>00 00</c>) do not count.
/// </summary>
/// <remarks>
/// Kept in memory per branch: the seqs of its own events that change nothing (few: records are rare next to
/// keystrokes) and how far its own events were read. The first count on a branch reads its domain events from the
/// store's index (<see cref="IEventStore.ListDomainEventsAsync"/>), not every keystroke; later counts read only what
/// was appended since, and a count is then a few binary searches along the fork chain. Events never change, so what
/// was read stays true.
/// </remarks>
public sealed class ContentEventCounts(IEventStore store)
{
    private const int DomainEventPage = 1024;

    private readonly ConcurrentDictionary<(BranchRef Branch, EventHash ForkHash), Marks> _branches = new();

    /// <summary>The content events of <paramref name="branch"/>'s view at seqs (<paramref name="after"/>, <paramref name="upTo"/>].</summary>
    /// <param name="branch">The branch; <paramref name="upTo"/> must not be beyond its durable head.</param>
    /// <param name="after">Exclusive lower bound.</param>
    /// <param name="upTo">Inclusive upper bound.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<long> CountAsync(BranchInfo branch, long after, long upTo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(branch);
        long count = 0;
        var current = branch;
        // Walk up the fork chain: each branch holds its own events after its fork seq; below that, its parent's view.
        for (var depth = 0; current is not null && upTo > after && depth < 10_000; depth++)
        {
            var fork = current.Parent is null ? 0 : current.ForkSeq.Value;
            if (upTo > fork)
            {
                var from = Math.Max(after, fork);
                var marks = await ReadOwnAsync(current, fork, upTo, cancellationToken).ConfigureAwait(false);
                count += upTo - from - marks.EmptyIn(from, upTo);
                upTo = fork;
            }
            if (upTo <= after || current.Parent is not { } parent) break;
            current = await store.GetBranchAsync(parent, cancellationToken).ConfigureAwait(false);
        }
        return count;
    }

    /// <summary>Whether an event's payload changes content: anything but the empty update (and an empty payload).</summary>
    public static bool ChangesContent(ReadOnlySpan<byte> payload) => payload.Length > 2 || (payload.Length == 2 && (payload[0] != 0 || payload[1] != 0));

    /// <summary>The branch's marks, its own events read at least up to <paramref name="upTo"/>.</summary>
    private async Task<Marks> ReadOwnAsync(BranchInfo branch, long fork, long upTo, CancellationToken cancellationToken)
    {
        var marks = _branches.GetOrAdd((branch.Ref, branch.ForkHash), _ => new Marks(fork));
        if (Volatile.Read(ref marks.Scanned) >= upTo) return marks;
        await marks.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (marks.Scanned >= upTo) return marks;
            // Only domain events can be empty (a client update that changes nothing is never stored), so the store's
            // index of domain events is enough: a long branch of keystrokes costs nothing to count.
            var after = marks.Scanned;
            while (after < upTo)
            {
                var page = await store.ListDomainEventsAsync(branch.Ref, new EventSeq(after), DomainEventPage, cancellationToken).ConfigureAwait(false);
                foreach (var e in page)
                {
                    if (e.Seq.Value > upTo) break;
                    if (!ChangesContent(e.Payload.Span)) marks.AddEmpty(e.Seq.Value);
                }
                if (page.Count < DomainEventPage || page[^1].Seq.Value >= upTo) break;
                after = page[^1].Seq.Value;
            }
            Volatile.Write(ref marks.Scanned, upTo);
            return marks;
        }
        finally
        {
            marks.Gate.Release();
        }
    }

    /// <summary>One branch's own events read so far (up to <see cref="Scanned"/>) and the seqs among them that change nothing.</summary>
    private sealed class Marks(long fork)
    {
        private long[] _empty = [];
        private int _count;

        public long Scanned = fork;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Appends in seq order; readers see a consistent prefix (the array is replaced, never shrunk).</summary>
        public void AddEmpty(long seq)
        {
            if (_count == _empty.Length)
            {
                var grown = new long[Math.Max(8, _count * 2)];
                Array.Copy(_empty, grown, _count);
                _empty = grown;
            }
            _empty[_count] = seq;
            Volatile.Write(ref _count, _count + 1);
        }

        /// <summary>How many of the seqs that change nothing lie in (after, upTo].</summary>
        public long EmptyIn(long after, long upTo)
        {
            var count = Volatile.Read(ref _count);
            var empty = _empty;
            if (count > empty.Length) count = empty.Length;
            return UpperBound(empty, count, upTo) - UpperBound(empty, count, after);
        }

        private static int UpperBound(long[] values, int count, long value)
        {
            int lo = 0, hi = count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (values[mid] <= value) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }
    }
}
