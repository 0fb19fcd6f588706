using System.ComponentModel.DataAnnotations;

namespace Collab.Documents.Branching;

/// <summary>Merge settings, bound from <c>Collab:Merges</c>.</summary>
public sealed class MergeOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Collab:Merges";

    /// <summary>
    /// How many times a merge is analysed against a target that moved meanwhile. The last attempt is written even if the
    /// target moved again (the record says so), so that a busy branch can always be merged into.
    /// </summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;
}
