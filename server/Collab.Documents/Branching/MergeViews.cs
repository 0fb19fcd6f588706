namespace Collab.Documents.Branching;

/// <summary>What to merge.</summary>
/// <param name="Source">The branch whose changes are brought in ("theirs").</param>
/// <param name="Target">The branch that receives them ("ours").</param>
/// <param name="DryRun">Preview only: conflicts and merged content, nothing written.</param>
/// <param name="Message">Why (kept in the merge record).</param>
/// <param name="Strictness"><c>default</c>, <c>strict</c> or <c>lenient</c>.</param>
/// <param name="Resolutions">
/// Decisions taken with the merge, by conflict id as the preview showed them: written as one <c>resolution</c> event
/// right after the merge event. When the target moved since the preview and the merge would find other conflicts, the
/// merge is refused (conflict) and nothing is written: preview again.
/// </param>
public sealed record MergeRequest(string? Source, string? Target, bool DryRun, string? Message, string? Strictness, IReadOnlyList<DecisionRequest>? Resolutions = null);

/// <summary>One conflict as the API shows it.</summary>
/// <param name="Id">Stable id (unique in the merge).</param>
/// <param name="Kind"><c>map-key</c>, <c>sequence-overlap</c>, <c>delete-edit</c> or <c>format-overlap</c>.</param>
/// <param name="Root">The root type's name.</param>
/// <param name="Path">Map keys, or <c>#index</c> for list positions, from the root to the shared type.</param>
/// <param name="Key">The map key or attribute name, if any.</param>
/// <param name="Start">Relative position (Yjs v1 encoding, base64) of the region's start in the merged document.</param>
/// <param name="End">Relative position of the region's end.</param>
/// <param name="Base">Excerpt at the common base.</param>
/// <param name="Ours">Excerpt on the target.</param>
/// <param name="Theirs">Excerpt on the source.</param>
/// <param name="Merged">Excerpt after the automatic merge.</param>
/// <param name="AutomaticOutcome">What the automatic merge did.</param>
public sealed record ConflictView(
    string Id,
    string Kind,
    string Root,
    IReadOnlyList<string> Path,
    string? Key,
    string? Start,
    string? End,
    string? Base,
    string? Ours,
    string? Theirs,
    string? Merged,
    string AutomaticOutcome);

/// <summary>A position of a branch with its hash.</summary>
public sealed record PositionView(string Branch, long Seq, string Hash);

/// <summary>The answer to a merge or a merge preview.</summary>
/// <param name="MergeId">The merge's id (<c>target@seq</c> of the merge event); null for a preview or when nothing was written.</param>
/// <param name="DryRun">Whether this was a preview.</param>
/// <param name="NothingToMerge">True when the target already holds everything the source has: no event was written.</param>
/// <param name="Seq">The merge event's seq on the target; null when nothing was written.</param>
/// <param name="Source">The source head that was merged.</param>
/// <param name="Target">The target head the analysis used (the merge event follows it, unless <paramref name="TargetMovedDuringMerge"/>).</param>
/// <param name="Base">The latest position both histories contain (see docs/branching.md).</param>
/// <param name="Attempts">How many analyses it took (the target moved in between the others).</param>
/// <param name="TargetMovedDuringMerge">The target kept moving through every attempt; the last analysis was written anyway.</param>
/// <param name="Conflicts">The conflicts found.</param>
/// <param name="MergedJson">The merged document as JSON.</param>
public sealed record MergeResult(
    string? MergeId,
    bool DryRun,
    bool NothingToMerge,
    long? Seq,
    PositionView Source,
    PositionView Target,
    PositionView Base,
    int Attempts,
    bool TargetMovedDuringMerge,
    IReadOnlyList<ConflictView> Conflicts,
    string MergedJson)
{
    /// <summary>The resolution written with the merge when the request carried decisions.</summary>
    public ResolutionResult? Resolution { get; init; }
}

/// <summary>A decision recorded on a merge's conflict.</summary>
/// <param name="ConflictId">The conflict decided.</param>
/// <param name="Choice"><c>merged</c>, <c>ours</c>, <c>theirs</c> or <c>custom</c>.</param>
/// <param name="CustomText">The content given for a custom decision.</param>
/// <param name="Author">Who decided.</param>
/// <param name="RecordedAt">When.</param>
/// <param name="Seq">The resolution event's seq.</param>
public sealed record DecisionView(string ConflictId, string Choice, string? CustomText, string Author, DateTimeOffset RecordedAt, long Seq)
{
    /// <summary>The resolution event's id: <c>branch@seq</c>.</summary>
    public string ResolutionId { get; init; } = "";

    /// <summary>Recorded facts: <c>actor</c>, <c>replaced</c> (what the region held just before), <c>message</c>…</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>A stored merge record.</summary>
/// <param name="Id">The merge's id: <c>target@seq</c>.</param>
/// <param name="Target">The target branch.</param>
/// <param name="Seq">The merge event's seq.</param>
/// <param name="EventHash">The merge event's hash.</param>
/// <param name="TargetHead">The target head just before the merge event.</param>
/// <param name="Source">The source head merged.</param>
/// <param name="Base">The common base position.</param>
/// <param name="Author">Who merged.</param>
/// <param name="RecordedAt">When.</param>
/// <param name="Message">The merge message.</param>
/// <param name="Properties">Every recorded fact (analysis id, strictness, analysed target head…).</param>
/// <param name="Conflicts">The conflicts found.</param>
/// <param name="Decisions">Decisions recorded on them so far.</param>
public sealed record MergeRecordView(
    string Id,
    string Target,
    long Seq,
    string EventHash,
    PositionView TargetHead,
    PositionView Source,
    PositionView Base,
    string Author,
    DateTimeOffset RecordedAt,
    string? Message,
    IReadOnlyDictionary<string, string> Properties,
    IReadOnlyList<ConflictView> Conflicts,
    IReadOnlyList<DecisionView> Decisions);
