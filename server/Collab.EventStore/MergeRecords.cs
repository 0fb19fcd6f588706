namespace Collab.EventStore;

/// <summary>One conflict a merge found. Filled by the domain layer; the store keeps it as given.</summary>
/// <param name="Id">Unique within the merge; resolutions refer to it.</param>
/// <param name="Kind">E.g. <c>map-key</c>, <c>text-overlap</c>, <c>delete-edit</c>, <c>format</c>.</param>
/// <param name="Location">Where in the document (e.g. a type name and a range).</param>
/// <param name="Base">Excerpt at the common base, if any.</param>
/// <param name="Ours">Excerpt on the target branch, if any.</param>
/// <param name="Theirs">Excerpt on the source branch, if any.</param>
/// <param name="Merged">Excerpt after the automatic merge, if any.</param>
/// <param name="AutomaticOutcome">What the CRDT merge did on its own.</param>
public sealed record MergeConflict(
    string Id,
    string Kind,
    string Location,
    string? Base,
    string? Ours,
    string? Theirs,
    string? Merged,
    string AutomaticOutcome)
{
    /// <summary>Further facts as name/value pairs.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>A merge record to store with a merge event.</summary>
/// <param name="Source">The source branch head that was merged.</param>
/// <param name="Base">The common base of source and target.</param>
/// <param name="Conflicts">The conflicts found (ids unique).</param>
public sealed record MergeRecordDraft(BranchDigest Source, BranchDigest Base, IReadOnlyList<MergeConflict> Conflicts)
{
    /// <summary>Further facts as name/value pairs (strategy, options…).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>A merge as recorded, in the same transaction as its event.</summary>
/// <param name="Event">The merge event (on the target branch).</param>
/// <param name="EventHash">Its hash.</param>
/// <param name="TargetHead">The target head just before the merge event.</param>
/// <param name="Source">The source head that was merged.</param>
/// <param name="Base">The common base.</param>
/// <param name="Conflicts">The conflicts found.</param>
/// <param name="Author">Who merged.</param>
/// <param name="RecordedAt">Server time.</param>
/// <param name="Properties">Further facts.</param>
public sealed record MergeRecord(
    EventRef Event,
    EventHash EventHash,
    BranchDigest TargetHead,
    BranchDigest Source,
    BranchDigest Base,
    IReadOnlyList<MergeConflict> Conflicts,
    string Author,
    DateTimeOffset RecordedAt,
    IReadOnlyDictionary<string, string> Properties);

/// <summary>The decision on one conflict.</summary>
/// <param name="ConflictId">The conflict's id in the merge record.</param>
/// <param name="Choice">E.g. <c>ours</c>, <c>theirs</c>, <c>custom</c>.</param>
/// <param name="CustomText">The text chosen, for a custom decision.</param>
public sealed record ConflictDecision(string ConflictId, string Choice, string? CustomText)
{
    /// <summary>Further facts as name/value pairs.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>A resolution record to store with a resolution event.</summary>
/// <param name="Merge">The merge event whose conflicts are decided; its merge record must exist in the same document.</param>
/// <param name="Decisions">The decisions; each conflict id must be in the merge record.</param>
public sealed record ResolutionRecordDraft(EventRef Merge, IReadOnlyList<ConflictDecision> Decisions);

/// <summary>A resolution as recorded, in the same transaction as its event.</summary>
/// <param name="Event">The resolution event.</param>
/// <param name="EventHash">Its hash.</param>
/// <param name="Merge">The merge event it decides on.</param>
/// <param name="Decisions">The decisions.</param>
/// <param name="Author">Who decided (the event's author).</param>
/// <param name="RecordedAt">Server time.</param>
public sealed record ResolutionRecord(
    EventRef Event,
    EventHash EventHash,
    EventRef Merge,
    IReadOnlyList<ConflictDecision> Decisions,
    string Author,
    DateTimeOffset RecordedAt);
