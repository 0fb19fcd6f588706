using System.Runtime.CompilerServices;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>
/// Recently built states of documents without garbage collection (deleted content kept), per store: the last few
/// positions built of each branch. A log never changes, so the state at <c>(branch, seq)</c> stays true forever,
/// and a later build of the same branch — or of a fork at or after that position — starts from it instead of replaying
/// every event since seq 1 (merges, decisions and history views rebuild the same branches again and again). Bounded by
/// bytes, least recently used first out.
/// </summary>
internal sealed class FullStateCache
{
    /// <summary>Total bytes of states kept per store.</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>Builds that replayed fewer events than this are cheap enough not to be kept.</summary>
    public const int MinReplayedToKeep = 64;

    /// <summary>Positions kept per branch (a fork or a merge often needs a position a little behind the head).</summary>
    public const int MaxPerBranch = 4;

    private static readonly ConditionalWeakTable<IEventStore, FullStateCache> s_perStore = [];

    private readonly Lock _gate = new();
    private readonly Dictionary<BranchRef, List<LinkedListNode<Entry>>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();
    private long _bytes;

    /// <summary>The cache of <paramref name="store"/>'s documents (one per store instance).</summary>
    public static FullStateCache Of(IEventStore store) => s_perStore.GetValue(store, static _ => new FullStateCache());

    /// <summary>The latest state kept for <paramref name="branch"/> at or before <paramref name="limit"/>.</summary>
    public bool TryGet(BranchRef branch, EventSeq limit, out EventSeq seq, out byte[] state)
    {
        lock (_gate)
        {
            LinkedListNode<Entry>? best = null;
            if (_entries.TryGetValue(branch, out var nodes))
            {
                foreach (var node in nodes)
                {
                    if (node.Value.Seq <= limit && (best is null || node.Value.Seq > best.Value.Seq)) best = node;
                }
            }
            if (best is not null)
            {
                _recency.Remove(best);
                _recency.AddFirst(best);
                seq = best.Value.Seq;
                state = best.Value.State;
                return true;
            }
        }
        seq = EventSeq.Zero;
        state = [];
        return false;
    }

    /// <summary>Keeps <paramref name="state"/> as the branch's state at <paramref name="seq"/> (the oldest position of the branch makes room).</summary>
    public void Put(BranchRef branch, EventSeq seq, byte[] state)
    {
        if (state.Length > MaxBytes / 4) return;
        lock (_gate)
        {
            if (!_entries.TryGetValue(branch, out var nodes)) _entries[branch] = nodes = [];
            if (nodes.Exists(n => n.Value.Seq == seq)) return;
            if (nodes.Count >= MaxPerBranch) Remove(nodes.MinBy(n => n.Value.Seq)!);
            var node = _recency.AddFirst(new Entry(branch, seq, state));
            _entries[branch].Add(node);
            _bytes += state.Length;
            while (_bytes > MaxBytes && _recency.Last is { } oldest) Remove(oldest);
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        var nodes = _entries[node.Value.Branch];
        nodes.Remove(node);
        if (nodes.Count == 0) _entries.Remove(node.Value.Branch);
        _bytes -= node.Value.State.Length;
    }

    private sealed record Entry(BranchRef Branch, EventSeq Seq, byte[] State);
}
