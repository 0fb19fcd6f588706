using Collab.Crdt.Document;

namespace Collab.Crdt.Merging;

/// <summary>How eagerly concurrent changes are reported as conflicts (docs/branching.md, "Conflicts and decisions").</summary>
public enum MergeStrictness
{
    /// <summary>As ../shared/specs/merge-conflicts.md: map-key, sequence-overlap, delete-edit, format-overlap.</summary>
    Default,

    /// <summary>Any concurrent change inside the same text or XML element is one conflict over the whole type.</summary>
    Strict,

    /// <summary>Only map-key and delete-edit conflicts.</summary>
    Lenient,
}

/// <summary>One conflict, per ../shared/specs/merge-conflicts.md.</summary>
/// <param name="Id">
/// Stable and content-based: hex of the first 16 bytes of SHA-256 over the scope, the kind, the shared type (the id of
/// the item holding it), the key, the region's bounds (base item ids) and what each side did there (item id ranges or
/// values). The same conflict found again after events elsewhere on either branch has the same id; an edit of the
/// region gives another.
/// </param>
/// <param name="Kind"><c>map-key</c>, <c>sequence-overlap</c>, <c>delete-edit</c> or <c>format-overlap</c>.</param>
/// <param name="Root">Root type name.</param>
/// <param name="Path">Path from the root to the shared type: map keys, or <c>#index</c> for list positions.</param>
/// <param name="Key">The map key / attribute name (map-key, format-overlap attribute, delete-edit of a map entry), else null.</param>
/// <param name="Start">Relative position (yjs v1 encoding) of the region start in the merged doc; for map-key the map type itself.</param>
/// <param name="End">Relative position of the region end in the merged doc.</param>
/// <param name="Base">Base excerpt: plain text for text, JSON for values, XML for XML child lists; null when absent.</param>
/// <param name="Ours">The target's version over the region.</param>
/// <param name="Theirs">The source's version over the region.</param>
/// <param name="Merged">The merged document's version over the region.</param>
/// <param name="AutomaticOutcome">What the CRDT merge did, e.g. "both kept: dogcow", "theirs wins", "deleted with its contents".</param>
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

/// <summary>The result of <see cref="MergeAnalyzer.Analyze"/>.</summary>
/// <param name="Update">v1 update: what the source has that the target lacks (apply to the target = merged).</param>
/// <param name="Conflicts">The conflicts, ordered by root, path and position.</param>
/// <param name="BaseStateVector">v1 state vector of the common base.</param>
/// <param name="MergedJson">JSON of the merged document (YDoc.ToJsonString of target + Update).</param>
public sealed record MergeAnalysis(
    byte[] Update,
    IReadOnlyList<MergeConflictInfo> Conflicts,
    byte[] BaseStateVector,
    string MergedJson);

/// <summary>Finds the conflicts of merging one branch of a document into another.</summary>
public static class MergeAnalyzer
{
    /// <summary>Conflict kind names.</summary>
    public const string MapKey = "map-key";

    /// <summary>Conflict kind names.</summary>
    public const string SequenceOverlap = "sequence-overlap";

    /// <summary>Conflict kind names.</summary>
    public const string DeleteEdit = "delete-edit";

    /// <summary>Conflict kind names.</summary>
    public const string FormatOverlap = "format-overlap";

    /// <summary>
    /// target ("ours") and source ("theirs") are docs built with Gc = false from their full histories; neither is
    /// modified. <paramref name="scope"/> goes into every conflict id (the server uses <c>target&lt;-source</c>, so the
    /// same region conflicts under different ids in merges between other branches). Pure, deterministic, no I/O.
    /// </summary>
    public static MergeAnalysis Analyze(YDoc target, YDoc source, string scope,
        MergeStrictness strictness = MergeStrictness.Default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(scope);
        return new ConflictFinder(target, source, scope, strictness).Run();
    }
}

/// <summary>Turns a decision on a conflict into CRDT updates.</summary>
public static class ConflictResolver
{
    /// <summary>Decision names.</summary>
    public const string ChoiceMerged = "merged";

    /// <summary>Decision names.</summary>
    public const string ChoiceOurs = "ours";

    /// <summary>Decision names.</summary>
    public const string ChoiceTheirs = "theirs";

    /// <summary>Decision names.</summary>
    public const string ChoiceCustom = "custom";

    /// <summary>
    /// A v1 update that applies one decision ("merged" | "ours" | "theirs" | "custom") to <paramref name="current"/>
    /// (a Gc = false doc of the branch now, at or after the merge), written by <paramref name="clientId"/> (a fresh
    /// client id the caller picks), inside the region bounded by the conflict's relative positions (or the map key).
    /// Empty array when nothing must change ("merged", or content already equal). <paramref name="current"/> is not
    /// modified. Custom content is plain text for text regions, JSON for values and arrays, XML for XML child lists.
    /// </summary>
    public static byte[] Resolve(YDoc current, MergeConflictInfo conflict, string choice, string? customContent, uint clientId)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(conflict);
        ArgumentNullException.ThrowIfNull(choice);
        return ResolverCore.Resolve(current, conflict, choice, customContent, clientId);
    }

    /// <summary>
    /// What the conflict's region (or key) holds in <paramref name="current"/> now, in the form of the excerpts (plain
    /// text, JSON or markup; null when absent): what a decision replaces, to record when the region changed since the
    /// merge. <paramref name="current"/> is not modified.
    /// </summary>
    public static string? CurrentContent(YDoc current, MergeConflictInfo conflict)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(conflict);
        return ResolverCore.Current(current, conflict);
    }
}
