using Collab.Crdt.Document;

namespace Collab.Crdt.Merging;

// TEMPORARY STAND-IN (helper `branching`): the shapes of /work/notes/merge-contract.md so that the domain compiles.
// The lead replaces this whole file with `mergecore`'s real analyzer when merging.

/// <summary>How eagerly concurrent changes are reported as conflicts.</summary>
public enum MergeStrictness
{
    /// <summary>As the spec defines.</summary>
    Default,

    /// <summary>Any concurrent change to the same paragraph or element is a conflict.</summary>
    Strict,

    /// <summary>Only map-key and delete-edit conflicts.</summary>
    Lenient,
}

/// <summary>One conflict, per shared/specs/merge-conflicts.md.</summary>
public sealed record MergeConflictInfo(
    string Id,
    string Kind,
    string Root,
    IReadOnlyList<string> Path,
    string? Key,
    byte[]? Start,
    byte[]? End,
    string? Base,
    string? Ours,
    string? Theirs,
    string? Merged,
    string AutomaticOutcome);

/// <summary>The outcome of analysing a merge.</summary>
public sealed record MergeAnalysis(
    byte[] Update,
    IReadOnlyList<MergeConflictInfo> Conflicts,
    byte[] BaseStateVector,
    string MergedJson);

/// <summary>Stand-in: the state-vector diff and no conflicts.</summary>
public static class MergeAnalyzer
{
    /// <summary>What source has that target lacks; neither document is modified.</summary>
    public static MergeAnalysis Analyze(YDoc target, YDoc source, string mergeId, MergeStrictness strictness = MergeStrictness.Default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        var update = source.EncodeStateAsUpdate(target.EncodeStateVector());
        var svT = target.GetStateVector();
        var svS = source.GetStateVector();
        var svB = new Dictionary<uint, uint>();
        foreach (var (client, clock) in svT)
        {
            if (svS.TryGetValue(client, out var other)) svB[client] = Math.Min(clock, other);
        }
        var merged = new YDoc(new YDocOptions { Gc = false });
        merged.ApplyUpdate(target.EncodeStateAsUpdate());
        merged.ApplyUpdate(update);
        return new MergeAnalysis(update, [], YDoc.EncodeStateVector(svB), merged.ToJsonString());
    }
}

/// <summary>Stand-in: decisions are not implemented here.</summary>
public static class ConflictResolver
{
    /// <summary>Not supported by the stand-in.</summary>
    public static byte[] Resolve(YDoc current, MergeConflictInfo conflict, string choice, string? customContent, uint clientId) =>
        throw new NotSupportedException("Conflict resolution is provided by the real merge analyzer.");
}
