using System.Text.Json.Serialization;
using MessagePack;

namespace Collab.Client.Protocol;

/// <summary>Answer to <c>MoveToBranch</c>: the branch the connection now edits.</summary>
[MessagePackObject]
public sealed class MoveResult
{
    /// <summary>The new branch.</summary>
    [Key("branch")]
    [JsonPropertyName("branch")]
    public string Branch { get; init; } = "";

    /// <summary>The seq of the old branch it was forked at (every update the server had received by then).</summary>
    [Key("forkSeq")]
    [JsonPropertyName("forkSeq")]
    public long ForkSeq { get; init; }

    /// <summary>The new branch's head when the connection joined it.</summary>
    [Key("headSeq")]
    [JsonPropertyName("headSeq")]
    public long HeadSeq { get; init; }

    /// <summary>The caller's role on the document.</summary>
    [Key("role")]
    [JsonPropertyName("role")]
    public string Role { get; init; } = "";
}

/// <summary>A branch as <c>POST/GET /api/documents/{id}/branches…</c> return it.</summary>
public sealed record BranchDetails(
    string Name,
    string? Parent,
    long ForkSeq,
    string ForkHash,
    long HeadSeq,
    string HeadHash,
    string State,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    long? ParentHeadSeq,
    long? Ahead,
    long? Behind);

/// <summary>A branch position with its hash.</summary>
public sealed record BranchPosition(string Branch, long Seq, string Hash);

/// <summary>One conflict of a merge (relative positions as base64).</summary>
public sealed record MergeConflictView(
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

/// <summary>The answer to a merge or a merge preview (<c>POST /api/documents/{id}/merges</c>).</summary>
public sealed record MergeOutcome(
    string? MergeId,
    bool DryRun,
    bool NothingToMerge,
    long? Seq,
    BranchPosition Source,
    BranchPosition Target,
    BranchPosition Base,
    int Attempts,
    bool TargetMovedDuringMerge,
    IReadOnlyList<MergeConflictView> Conflicts,
    string MergedJson);
