namespace Collab.Client.Protocol;

/// <summary>One decision to take on a merge conflict.</summary>
/// <param name="ConflictId">The conflict's id.</param>
/// <param name="Choice"><c>merged</c>, <c>ours</c>, <c>theirs</c> or <c>custom</c>.</param>
/// <param name="Content">For <c>custom</c>: the region's new content.</param>
public sealed record ConflictChoice(string ConflictId, string Choice, string? Content = null);

/// <summary>A decision as recorded (in a merge record, a conflict listing or a resolution's answer).</summary>
public sealed record DecisionRecord(
    string ConflictId,
    string Choice,
    string? CustomText,
    string Author,
    DateTimeOffset RecordedAt,
    long Seq,
    string ResolutionId,
    IReadOnlyDictionary<string, string> Properties);

/// <summary>The answer to <c>POST /api/documents/{id}/merges/{mergeId}/resolutions</c>.</summary>
public sealed record ResolutionOutcome(string ResolutionId, string MergeId, long Seq, bool ContentChanged, int Attempts, IReadOnlyList<DecisionRecord> Decisions);

/// <summary>A conflict with its state (<c>open</c> or <c>decided</c>) and its decision, if any.</summary>
public sealed record ConflictState(string MergeId, string State, MergeConflictView Conflict, DecisionRecord? Decision);

/// <summary>The answer to <c>POST /api/documents/{id}/reverts</c>; <see cref="NothingToRevert"/> when nothing was written.</summary>
public sealed record RevertOutcome(string? RevertId, bool NothingToRevert, string Branch, long FromSeq, long ToSeq, long? Seq, string? Merge, string? Reverts, int Attempts);

/// <summary>A stored revert (<c>GET /api/documents/{id}/reverts</c>).</summary>
public sealed record RevertRecord(
    string Id,
    string Branch,
    long Seq,
    string EventHash,
    string Actor,
    DateTimeOffset RecordedAt,
    long FromSeq,
    long ToSeq,
    string? Merge,
    string? Reverts,
    string? Message);
