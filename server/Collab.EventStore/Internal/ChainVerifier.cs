namespace Collab.EventStore.Internal;

/// <summary>Walks a branch's view in seq order (events as stored, never upcast) and remembers the first broken link.</summary>
internal sealed class ChainVerifier(BranchInfo branch, EventHash genesis)
{
    private long _expectedSeq = 1;
    private EventHash _previous = genesis;

    public long Checked { get; private set; }

    public BrokenLink? FirstBroken { get; private set; }

    /// <summary>Checks the next event; returns false once a link is broken (stop feeding then).</summary>
    public bool Next(StoredEvent stored)
    {
        if (stored.Seq.Value != _expectedSeq)
        {
            return Break(stored.Ref, $"expected seq {_expectedSeq} here but found seq {stored.Seq}: the seqs have a gap or are out of order", null, null);
        }

        if (stored.PreviousHash != _previous)
        {
            return Break(stored.Ref, "its previous-hash does not match the hash of the event before it", _previous, stored.PreviousHash);
        }

        var recomputed = EventChain.ComputeHash(stored);
        if (recomputed != stored.Hash)
        {
            return Break(stored.Ref, "its stored hash does not match the hash of its fields and payload: the event was changed after it was written", recomputed, stored.Hash);
        }

        Checked++;
        _previous = stored.Hash;
        _expectedSeq++;
        return true;
    }

    /// <summary>Checks that the branch metadata's head matches the end of the chain walked.</summary>
    public VerificationResult Finish()
    {
        if (FirstBroken is null)
        {
            var lastSeq = new EventSeq(_expectedSeq - 1);
            if (lastSeq != branch.Head)
            {
                Break(new EventRef(branch.Ref, lastSeq.Next), $"the branch head is seq {branch.Head} but the events end at seq {lastSeq}", null, null);
            }
            else if (_previous != branch.HeadHash)
            {
                Break(new EventRef(branch.Ref, branch.Head), "the branch's recorded head hash does not match the hash of its last event", _previous, branch.HeadHash);
            }
        }

        return new VerificationResult(branch.Ref, branch.HeadDigest, Checked, FirstBroken);
    }

    private bool Break(EventRef at, string reason, EventHash? expected, EventHash? actual)
    {
        FirstBroken = new BrokenLink(at, $"Event {at}: {reason}.", expected, actual);
        return false;
    }
}
