namespace Collab.EventStore;

/// <summary>Whether a branch is being worked on. The store records the state; the domain layer decides what it allows.</summary>
public enum BranchState
{
    /// <summary>Being edited.</summary>
    Open,

    /// <summary>Merged into another branch.</summary>
    Merged,

    /// <summary>Put away.</summary>
    Archived,
}

/// <summary>A branch: where it forked from, who made it, and its head.</summary>
/// <param name="Ref">The branch.</param>
/// <param name="Parent">The branch it was forked from; null for <c>main</c>.</param>
/// <param name="ForkSeq">The parent's seq it was forked at (its view is the parent's events 1..ForkSeq, then its own); 0 for <c>main</c>.</param>
/// <param name="ForkHash">The hash at the fork position (the parent's event ForkSeq, or the document genesis when ForkSeq is 0): the first own event links to it.</param>
/// <param name="CreatedBy">Who created the branch.</param>
/// <param name="CreatedAt">Server time of creation (UTC, millisecond precision).</param>
/// <param name="Head">The seq of the last event in the branch's view (ForkSeq when it has no own events).</param>
/// <param name="HeadHash">The hash of the event at <paramref name="Head"/> (ForkHash when it has no own events).</param>
/// <param name="State">Open, merged or archived.</param>
public sealed record BranchInfo(
    BranchRef Ref,
    BranchRef? Parent,
    EventSeq ForkSeq,
    EventHash ForkHash,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    EventSeq Head,
    EventHash HeadHash,
    BranchState State)
{
    /// <summary>The head as a digest.</summary>
    public BranchDigest HeadDigest => new(Ref, Head, HeadHash);
}

/// <summary>
/// A position in a branch and the hash of the event there. Because every hash covers the previous one, the hash
/// at a seq pins the whole history up to it: an auditor who keeps a digest can later check that nothing changed.
/// </summary>
/// <param name="Branch">The branch whose view the position is in.</param>
/// <param name="Seq">The position (0 = before the first event: the hash is then the document genesis).</param>
/// <param name="Hash">The hash of the event at <paramref name="Seq"/>.</param>
public readonly record struct BranchDigest(BranchRef Branch, EventSeq Seq, EventHash Hash);
