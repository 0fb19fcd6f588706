namespace Collab.EventStore.Internal;

/// <summary>Checks that need no stored state. Run before anything is written, so that a bad request fails alone.</summary>
internal static class Validation
{
    public static void Actor(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value)) throw Invalid($"{what} must not be empty");
        if (value.Length > NewEvent.MaxAuthorLength) throw Invalid($"{what} must be at most {NewEvent.MaxAuthorLength} characters (got {value.Length})");
    }

    public static void Document(DocumentId id)
    {
        if (id.Value is null) throw new EventStoreException(EventStoreError.InvalidName, "The document id is missing (default value).");
    }

    public static void Branch(BranchRef branch)
    {
        Document(branch.Document);
        if (branch.Branch.Value is null) throw new EventStoreException(EventStoreError.InvalidName, "The branch name is missing (default value).");
    }

    public static void Fork(BranchRef source, EventSeq at, BranchName name, string createdBy)
    {
        Branch(source);
        Branch(new BranchRef(source.Document, name));
        Seq(at, "the fork position");
        Actor(createdBy, "the creator");
    }

    public static void Snapshot(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, EventStoreOptions options)
    {
        Branch(branch);
        State(state, options);
        if (seq.Value < 1) throw Invalid($"a snapshot position must be at least 1 (got {seq})");
    }

    public static void StateChange(BranchRef branch, BranchState state)
    {
        Branch(branch);
        if (!Enum.IsDefined(state)) throw Invalid($"unknown branch state {state}");
    }

    public static void Seq(EventSeq seq, string what)
    {
        if (seq.Value < 0) throw Invalid($"{what} must not be negative (got {seq})");
    }

    public static void MaxCount(int maxCount)
    {
        if (maxCount < 1) throw Invalid($"maxCount must be at least 1 (got {maxCount})");
    }

    private static void State(ReadOnlyMemory<byte> state, EventStoreOptions options)
    {
        if (state.IsEmpty) throw Invalid("a snapshot state must not be empty");
        if (state.Length > options.MaxSnapshotBytes) throw TooLarge("snapshot state", state.Length, options.MaxSnapshotBytes);
    }

    public static void Events(BranchRef branch, IReadOnlyList<NewEvent>? events, EventSeq? expectedHead, EventStoreOptions options)
    {
        Branch(branch);
        if (events is null || events.Count == 0) throw Invalid("an append needs at least one event");
        if (events.Count > options.MaxEventsPerAppend) throw Invalid($"an append may carry at most {options.MaxEventsPerAppend} events (got {events.Count})");
        if (expectedHead is { } expected) Seq(expected, "the expected head");
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] ?? throw Invalid($"event #{i} is null");
            if (e.Kind.Value is null) throw new EventStoreException(EventStoreError.InvalidName, $"event #{i}: the kind is missing (default value).");
            if (e.Payload.IsEmpty) throw Invalid($"event #{i}: the payload must not be empty");
            if (e.Payload.Length > options.MaxPayloadBytes) throw TooLarge($"event #{i}: payload", e.Payload.Length, options);
            Actor(e.Author, $"event #{i}: the author");
            if (e.ClientIds is null) throw Invalid($"event #{i}: client ids must not be null (use an empty list)");
            if (e.ClientIds.Count > NewEvent.MaxClientIds) throw Invalid($"event #{i}: at most {NewEvent.MaxClientIds} client ids (got {e.ClientIds.Count})");
            if (e.ClientUpdateId is { } id && (id.Length == 0 || id.Length > NewEvent.MaxClientUpdateIdLength))
            {
                throw Invalid($"event #{i}: a client update id must have 1–{NewEvent.MaxClientUpdateIdLength} characters (got {id.Length})");
            }

            if (e.SchemaVersion < 1 || e.SchemaVersion > options.SchemaVersion)
            {
                throw Invalid($"event #{i}: schema version must be 1–{options.SchemaVersion} (got {e.SchemaVersion})");
            }

            if ((e.Merge is null ? 0 : 1) + (e.Resolution is null ? 0 : 1) + (e.Record is null ? 0 : 1) > 1)
            {
                throw Record($"event #{i}: an event carries at most one record (a merge record, a resolution record or a domain record)");
            }

            if (e.Merge is { } merge) MergeDraft(i, branch, merge);
            if (e.Resolution is { } resolution) ResolutionDraft(i, branch, resolution);
            if (e.Record is { } record) DomainRecord(i, record, options);
        }
    }

    private static void MergeDraft(int i, BranchRef target, MergeRecordDraft merge)
    {
        if (merge.Source.Branch.Document != target.Document || merge.Base.Branch.Document != target.Document)
        {
            throw Record($"event #{i}: a merge record's source and base must be in document {target.Document}");
        }

        if (merge.Conflicts is null || merge.Properties is null) throw Record($"event #{i}: a merge record's conflicts and properties must not be null");
        Map(i, merge.Properties, "the merge record's properties");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var conflict in merge.Conflicts)
        {
            if (conflict is null || string.IsNullOrEmpty(conflict.Id)) throw Record($"event #{i}: every merge conflict needs an id");
            if (!ids.Add(conflict.Id)) throw Record($"event #{i}: merge conflict id \"{conflict.Id}\" appears twice");
            if (conflict.Kind is null || conflict.Location is null || conflict.AutomaticOutcome is null || conflict.Properties is null)
            {
                throw Record($"event #{i}: merge conflict \"{conflict.Id}\" needs a kind, a location and an automatic outcome");
            }

            Map(i, conflict.Properties, $"the properties of merge conflict \"{conflict.Id}\"");
        }
    }

    private static void ResolutionDraft(int i, BranchRef target, ResolutionRecordDraft resolution)
    {
        if (resolution.Merge.Branch.Document != target.Document) throw Record($"event #{i}: a resolution must refer to a merge in document {target.Document}");
        if (resolution.Decisions is null || resolution.Decisions.Count == 0) throw Record($"event #{i}: a resolution record needs at least one decision");
        foreach (var decision in resolution.Decisions)
        {
            if (decision is null || string.IsNullOrEmpty(decision.ConflictId) || string.IsNullOrEmpty(decision.Choice) || decision.Properties is null)
            {
                throw Record($"event #{i}: every decision needs a conflict id and a choice");
            }

            Map(i, decision.Properties, $"the properties of the decision on \"{decision.ConflictId}\"");
        }
    }

    private static void DomainRecord(int i, DomainRecord record, EventStoreOptions options)
    {
        if (NameRules.KindError(record.Type) is { } error) throw Record($"event #{i}: invalid domain record type \"{record.Type}\": {error}");
        if (record.Fields is null) throw Record($"event #{i}: a domain record's fields must not be null (use an empty dictionary)");
        Map(i, record.Fields, "the domain record's fields");
        var length = EventChain.EncodeRecord(record).Length;
        if (length > options.MaxPayloadBytes) throw TooLarge($"event #{i}: domain record", length, options);
    }

    private static void Map(int i, IReadOnlyDictionary<string, string>? map, string what)
    {
        if (map is null) throw Record($"event #{i}: {what} must not be null");
        foreach (var (name, value) in map)
        {
            if (string.IsNullOrEmpty(name) || value is null) throw Record($"event #{i}: {what} need non-empty names and non-null values");
        }
    }

    public static EventStoreException Invalid(string message) => new(EventStoreError.InvalidArgument, Sentence(message));

    public static EventStoreException Record(string message) => new(EventStoreError.InvalidRecord, Sentence(message));

    public static EventStoreException TooLarge(string what, int length, EventStoreOptions options) => TooLarge(what, length, options.MaxPayloadBytes);

    public static EventStoreException TooLarge(string what, int length, int limit) =>
        new(EventStoreError.PayloadTooLarge, $"The {what} has {length} bytes; the limit is {limit} bytes.");

    public static EventStoreException DocumentNotFound(DocumentId id) => new(EventStoreError.DocumentNotFound, $"Document \"{id}\" does not exist.");

    public static EventStoreException BranchNotFound(BranchRef branch) => new(EventStoreError.BranchNotFound, $"Branch \"{branch.Branch}\" of document \"{branch.Document}\" does not exist.");

    public static EventStoreException BeyondHead(BranchRef branch, EventSeq seq, EventSeq head) =>
        new(EventStoreError.SeqBeyondHead, $"Seq {seq} is beyond the head ({head}) of branch {branch}.");

    private static string Sentence(string message) => char.ToUpperInvariant(message[0]) + message[1..] + ".";
}
