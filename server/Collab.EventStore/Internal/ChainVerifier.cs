namespace Collab.EventStore.Internal;

/// <summary>Where the verifier finds the merge and resolution records that events carry in the chain (as stored).</summary>
internal interface IRecordLookup
{
    /// <summary>The merge record stored with this event, or null.</summary>
    MergeRecord? FindMergeRecord(EventRef mergeEvent);

    /// <summary>The resolution record stored with this event, or null.</summary>
    ResolutionRecord? FindResolutionRecord(EventRef resolutionEvent);
}

/// <summary>Walks a branch's view in seq order (events as stored, never upcast) and remembers the first broken link.</summary>
internal sealed class ChainVerifier(BranchInfo branch, EventHash genesis, IRecordLookup records)
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

        EventHash recomputed;
        switch (stored.RecordKind)
        {
            case EventRecordKind.None:
                recomputed = EventChain.ComputeHash(stored, []);
                break;
            case EventRecordKind.Domain when stored.Record is { } domain:
                recomputed = EventChain.ComputeHash(stored, EventChain.EncodeRecord(domain));
                break;
            case EventRecordKind.Merge when records.FindMergeRecord(stored.Ref) is { } merge:
                if (!Matches(stored, merge.Event, merge.EventHash, merge.Author, merge.RecordedAt)) return Changed(stored, "merge");
                recomputed = EventChain.ComputeHash(stored, EventChain.EncodeRecord(merge));
                break;
            case EventRecordKind.Resolution when records.FindResolutionRecord(stored.Ref) is { } resolution:
                if (!Matches(stored, resolution.Event, resolution.EventHash, resolution.Author, resolution.RecordedAt)) return Changed(stored, "resolution");
                recomputed = EventChain.ComputeHash(stored, EventChain.EncodeRecord(resolution));
                break;
            default:
                return Break(stored.Ref, $"it carries a {stored.RecordKind.ToString().ToLowerInvariant()} record in the chain, but that record is missing: it was removed after it was written", null, null);
        }

        if (recomputed != stored.Hash)
        {
            var reason = stored.RecordKind == EventRecordKind.None
                ? "its stored hash does not match the hash of its fields and payload: the event was changed after it was written"
                : $"its stored hash does not match the hash of its fields, payload and {stored.RecordKind.ToString().ToLowerInvariant()} record: the event or its record was changed after it was written";
            return Break(stored.Ref, reason, recomputed, stored.Hash);
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

    // The fields a record repeats from its event (not in the record's encoding, because the event's hash covers them).
    private static bool Matches(StoredEvent stored, EventRef recordEvent, EventHash recordHash, string author, DateTimeOffset recordedAt) =>
        recordEvent == stored.Ref && recordHash == stored.Hash && string.Equals(author, stored.Author, StringComparison.Ordinal) && recordedAt == stored.ServerTime;

    private bool Changed(StoredEvent stored, string what) =>
        Break(stored.Ref, $"its {what} record's event, hash, author or time differ from the event's: the record was changed after it was written", null, null);

    private bool Break(EventRef at, string reason, EventHash? expected, EventHash? actual)
    {
        FirstBroken = new BrokenLink(at, $"Event {at}: {reason}.", expected, actual);
        return false;
    }
}
