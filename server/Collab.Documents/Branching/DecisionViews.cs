namespace Collab.Documents.Branching;

/// <summary>One decision asked for.</summary>
/// <param name="ConflictId">The conflict's id in the merge record.</param>
/// <param name="Choice"><c>merged</c> (keep the automatic outcome), <c>ours</c>, <c>theirs</c> or <c>custom</c>.</param>
/// <param name="Content">For <c>custom</c>: the region's new content (plain text for text, JSON for values and arrays, markup for XML).</param>
public sealed record DecisionRequest(string? ConflictId, string? Choice, string? Content);

/// <summary>Body of <c>POST /api/documents/{id}/merges/{mergeId}/resolutions</c>.</summary>
/// <param name="Decisions">One decision per conflict (each conflict at most once).</param>
/// <param name="Message">Why (kept with every decision).</param>
public sealed record ResolveRequest(IReadOnlyList<DecisionRequest>? Decisions, string? Message);

/// <summary>What a resolution wrote.</summary>
/// <param name="ResolutionId">The resolution event's id: <c>branch@seq</c>.</param>
/// <param name="MergeId">The merge whose conflicts were decided.</param>
/// <param name="Seq">The resolution event's seq on the merge's branch.</param>
/// <param name="ContentChanged">False when every decision kept what the region holds (the event is then a record only).</param>
/// <param name="Attempts">How many computations it took (the branch moved in between the others).</param>
/// <param name="Decisions">The decisions as recorded (with what each replaced).</param>
public sealed record ResolutionResult(string ResolutionId, string MergeId, long Seq, bool ContentChanged, int Attempts, IReadOnlyList<DecisionView> Decisions);

/// <summary>A conflict with its state.</summary>
/// <param name="MergeId">The merge that found it.</param>
/// <param name="State"><c>open</c> or <c>decided</c>.</param>
/// <param name="Conflict">The conflict as the merge record holds it.</param>
/// <param name="Decision">The decision, once decided.</param>
public sealed record ConflictStateView(string MergeId, string State, ConflictView Conflict, DecisionView? Decision);

/// <summary>Body of <c>POST /api/documents/{id}/reverts</c>: a merge, or the events (fromSeq..toSeq] of a branch.</summary>
/// <param name="Branch">The branch to revert on (may be left out with <paramref name="Merge"/>: the merge's branch).</param>
/// <param name="Merge">A merge id (<c>branch@seq</c>) to undo.</param>
/// <param name="FromSeq">Undo what happened after this seq…</param>
/// <param name="ToSeq">…up to and including this one (default: the head).</param>
/// <param name="Message">Why.</param>
public sealed record RevertRequest(string? Branch, string? Merge, long? FromSeq, long? ToSeq, string? Message);

/// <summary>What a revert did.</summary>
/// <param name="RevertId">The revert event's id (<c>branch@seq</c>); null when there was nothing to undo.</param>
/// <param name="NothingToRevert">True when the branch already shows none of the range's changes: nothing was written.</param>
/// <param name="Branch">The branch.</param>
/// <param name="FromSeq">The range undone: after this seq…</param>
/// <param name="ToSeq">…up to and including this one.</param>
/// <param name="Seq">The revert event's seq; null when nothing was written.</param>
/// <param name="Merge">The merge undone, if the revert names one.</param>
/// <param name="Reverts">The revert event this one undoes, when the range is exactly one revert event.</param>
/// <param name="Attempts">How many computations it took (the branch moved in between the others).</param>
public sealed record RevertResult(string? RevertId, bool NothingToRevert, string Branch, long FromSeq, long ToSeq, long? Seq, string? Merge, string? Reverts, int Attempts);

/// <summary>A stored revert (from its <c>revert</c> record in the hash chain).</summary>
/// <param name="Id">The revert event's id: <c>branch@seq</c>.</param>
/// <param name="Branch">The branch.</param>
/// <param name="Seq">The revert event's seq.</param>
/// <param name="EventHash">The revert event's hash.</param>
/// <param name="Actor">Who reverted.</param>
/// <param name="RecordedAt">When.</param>
/// <param name="FromSeq">The range undone: after this seq…</param>
/// <param name="ToSeq">…up to and including this one.</param>
/// <param name="Merge">The merge undone, if any.</param>
/// <param name="Reverts">The revert event undone, if any.</param>
/// <param name="Message">Why.</param>
public sealed record RevertView(
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
