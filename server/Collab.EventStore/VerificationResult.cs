namespace Collab.EventStore;

/// <summary>The first place where a branch's chain does not hold.</summary>
/// <param name="Event">The event at fault (or the branch head position for a head mismatch).</param>
/// <param name="Reason">What does not hold, in words.</param>
/// <param name="Expected">The hash that should be there, when the fault is a hash.</param>
/// <param name="Actual">The hash that is there, when the fault is a hash.</param>
public sealed record BrokenLink(EventRef Event, string Reason, EventHash? Expected, EventHash? Actual);

/// <summary>The outcome of <see cref="IEventStore.VerifyAsync"/>.</summary>
/// <param name="Branch">The branch verified (its whole view, ancestry included).</param>
/// <param name="Head">The head that was verified up to.</param>
/// <param name="EventsChecked">How many events were re-hashed.</param>
/// <param name="FirstBroken">The first broken link, or null when the chain holds.</param>
public sealed record VerificationResult(BranchRef Branch, BranchDigest Head, long EventsChecked, BrokenLink? FirstBroken)
{
    /// <summary>True when every event re-hashes to its stored hash, links to its predecessor, and seqs are gapless.</summary>
    public bool IsValid => FirstBroken is null;
}
