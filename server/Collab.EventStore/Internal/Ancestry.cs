namespace Collab.EventStore.Internal;

/// <summary>A run of a branch's view that one branch owns: its own events From..To (inclusive).</summary>
internal readonly record struct Segment(BranchRef Owner, long From, long To);

/// <summary>How a branch's view maps onto the branches that own its events.</summary>
internal static class Ancestry
{
    /// <summary>The segments covering positions <paramref name="from"/>..<paramref name="to"/> of <paramref name="branch"/>'s view, oldest first.</summary>
    public static List<Segment> Segments(BranchInfo branch, long from, long to, Func<BranchRef, BranchInfo> lookup)
    {
        var segments = new List<Segment>();
        var current = branch;
        var limit = Math.Min(to, branch.Head.Value);
        while (limit >= from)
        {
            var ownFrom = current.ForkSeq.Value + 1;
            if (limit >= ownFrom) segments.Add(new Segment(current.Ref, Math.Max(ownFrom, from), limit));
            if (current.Parent is not { } parent || current.ForkSeq.Value < from) break;
            limit = Math.Min(limit, current.ForkSeq.Value);
            current = lookup(parent);
        }

        segments.Reverse();
        return segments;
    }

    /// <summary>
    /// The hash at <paramref name="seq"/> (≤ head) in the branch's view: a fork or genesis hash kept in branch
    /// metadata when one fits, else the hash of the owning branch's event, found by <paramref name="ownEventHash"/>.
    /// </summary>
    public static EventHash HashAt(BranchInfo branch, EventSeq seq, Func<BranchRef, BranchInfo> lookup, Func<BranchRef, EventSeq, EventHash> ownEventHash)
    {
        var current = branch;
        while (true)
        {
            if (seq == current.Head) return current.HeadHash;
            if (seq == current.ForkSeq) return current.ForkHash;
            if (seq > current.ForkSeq) return ownEventHash(current.Ref, seq);
            current = lookup(current.Parent!.Value);
        }
    }
}
