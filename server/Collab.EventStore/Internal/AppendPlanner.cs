namespace Collab.EventStore.Internal;

/// <summary>What a backend looks up while planning an append (pending, not yet committed writes included).</summary>
internal interface IAppendLookup
{
    /// <summary>The branch's own event stored with this client update id, or null.</summary>
    StoredEvent? FindByUpdateId(BranchRef branch, string clientUpdateId);

    /// <summary>The merge record of this event, or null.</summary>
    MergeRecord? FindMerge(EventRef mergeEvent);
}

/// <summary>An append worked out in full before anything is written.</summary>
internal sealed record AppendPlan(
    StoredEvent[] Results,
    List<StoredEvent> Fresh,
    List<MergeRecord> Merges,
    List<ResolutionRecord> Resolutions,
    BranchDigest Head)
{
    public AppendResult ToResult() => new(Head.Branch, Results, Fresh.Count, Head);
}

/// <summary>
/// The append rules shared by every backend: idempotency, expected head, seq assignment, hashing, records.
/// Pure: it throws or returns a plan, and never writes, so a refused request cannot disturb others.
/// </summary>
internal static class AppendPlanner
{
    public static AppendPlan Plan(BranchInfo branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead, IAppendLookup lookup, DateTimeOffset now)
    {
        var results = new StoredEvent[events.Count];
        var fresh = new List<StoredEvent>(events.Count);
        var merges = new List<MergeRecord>();
        var resolutions = new List<ResolutionRecord>();
        Dictionary<string, StoredEvent>? inBatch = null;
        var head = branch.Head;
        var headHash = branch.HeadHash;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.ClientUpdateId is { } id)
            {
                var earlier = (inBatch is not null && inBatch.TryGetValue(id, out var pending) ? pending : null) ?? lookup.FindByUpdateId(branch.Ref, id);
                if (earlier is not null)
                {
                    if (!SameContent(earlier, e))
                    {
                        throw new EventStoreException(
                            EventStoreError.IdempotencyConflict,
                            $"Client update id \"{id}\" was used before on branch {branch.Ref} (seq {earlier.Seq}) for a different event (kind, author or payload differ).");
                    }

                    results[i] = earlier;
                    continue;
                }
            }

            if (fresh.Count == 0 && expectedHead is { } expected && expected != branch.Head)
            {
                throw new EventStoreException(EventStoreError.ExpectedSeqMismatch, $"Branch {branch.Ref} is at seq {branch.Head}, not at the expected seq {expected}.");
            }

            var seq = head.Next;
            // An imported event keeps the time it has in the log it comes from (NewEvent.ServerTime).
            var time = e.ServerTime is { } given ? DateTimeOffset.FromUnixTimeMilliseconds(given.ToUnixTimeMilliseconds()) : now;
            StoredEvent stored;
            if (e.Merge is null && e.Resolution is null && e.Record is null)
            {
                var hash = EventChain.ComputeHash(headHash, branch.Ref, seq, e.Kind, e.SchemaVersion, e.Author, time, e.ClientUpdateId, e.ClientIds, e.Payload.Span);
                stored = new StoredEvent(branch.Ref, seq, e.Kind, e.Payload.ToArray(), e.Author, [.. e.ClientIds], time, e.ClientUpdateId, e.SchemaVersion, headHash, hash);
            }
            else
            {
                stored = PlanRecord(i, branch, e, seq, head, headHash, time, merges, resolutions, lookup);
            }

            results[i] = stored;
            fresh.Add(stored);
            // Only a later event of this batch can repeat the id (a single-event append, the usual case, needs no table).
            if (e.ClientUpdateId is { } freshId && i < events.Count - 1) (inBatch ??= new(StringComparer.Ordinal))[freshId] = stored;
            head = seq;
            headHash = stored.Hash;
        }

        return new AppendPlan(results, fresh, merges, resolutions, new BranchDigest(branch.Ref, head, headHash));
    }

    // An event with a record: hash encoding v2 over the event's fields and the record's canonical encoding. The store
    // keeps its own copies of the record's lists and dictionaries, so that a caller changing them later cannot make a
    // stored record disagree with its hash.
    private static StoredEvent PlanRecord(
        int i, BranchInfo branch, NewEvent e, EventSeq seq, EventSeq head, EventHash headHash, DateTimeOffset now,
        List<MergeRecord> merges, List<ResolutionRecord> resolutions, IAppendLookup lookup)
    {
        byte[] record;
        EventRecordKind kind;
        DomainRecord? domain = null;
        MergeRecord? mergeRecord = null;
        ResolutionRecord? resolutionRecord = null;
        if (e.Merge is { } merge)
        {
            var targetHead = new BranchDigest(branch.Ref, head, headHash);
            var conflicts = merge.Conflicts.Select(static c => c with { Properties = Copy(c.Properties) }).ToArray();
            var properties = Copy(merge.Properties);
            record = EventChain.EncodeMerge(targetHead, merge.Source, merge.Base, conflicts, properties);
            kind = EventRecordKind.Merge;
            mergeRecord = new MergeRecord(new EventRef(branch.Ref, seq), default, targetHead, merge.Source, merge.Base, conflicts, e.Author, now, properties);
        }
        else if (e.Resolution is { } resolution)
        {
            var target = merges.Find(m => m.Event == resolution.Merge) ?? lookup.FindMerge(resolution.Merge)
                ?? throw Validation.Record($"event #{i}: there is no merge record for {resolution.Merge}");
            foreach (var decision in resolution.Decisions)
            {
                if (!target.Conflicts.Any(c => c.Id == decision.ConflictId))
                {
                    throw Validation.Record($"event #{i}: the merge record of {resolution.Merge} has no conflict \"{decision.ConflictId}\"");
                }
            }

            var decisions = resolution.Decisions.Select(static d => d with { Properties = Copy(d.Properties) }).ToArray();
            record = EventChain.EncodeResolution(resolution.Merge, decisions);
            kind = EventRecordKind.Resolution;
            resolutionRecord = new ResolutionRecord(new EventRef(branch.Ref, seq), default, resolution.Merge, decisions, e.Author, now);
        }
        else
        {
            domain = new DomainRecord(e.Record!.Type, Copy(e.Record.Fields));
            record = EventChain.EncodeRecord(domain);
            kind = EventRecordKind.Domain;
        }

        var hash = EventChain.ComputeHash(headHash, branch.Ref, seq, e.Kind, e.SchemaVersion, e.Author, now, e.ClientUpdateId, e.ClientIds, e.Payload.Span, record);
        if (mergeRecord is not null) merges.Add(mergeRecord with { EventHash = hash });
        if (resolutionRecord is not null) resolutions.Add(resolutionRecord with { EventHash = hash });
        return new StoredEvent(branch.Ref, seq, e.Kind, e.Payload.ToArray(), e.Author, [.. e.ClientIds], now, e.ClientUpdateId, e.SchemaVersion, headHash, hash)
        {
            RecordKind = kind,
            Record = domain,
        };
    }

    /// <summary>Server time as stored: UTC, whole milliseconds (what the hash encodes).</summary>
    public static DateTimeOffset Now(TimeProvider clock) => DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());

    private static bool SameContent(StoredEvent stored, NewEvent e) =>
        stored.Kind == e.Kind && stored.Author == e.Author && stored.Payload.Span.SequenceEqual(e.Payload.Span);

    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string> source) => new(source, StringComparer.Ordinal);
}
