using System.ComponentModel.DataAnnotations;

namespace Collab.Documents;

/// <summary>
/// Bounds of the in-memory caches that history and proof requests fill, bound from <c>Collab:Caches</c>
/// (docs/server.md). Each cache drops its least recently used entries beyond its bound and rebuilds them from the log
/// when asked again, so a bound changes speed, never an answer.
/// </summary>
public sealed class CacheOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Collab:Caches";

    /// <summary>Documents whose history index (what each event inserted and deleted) is kept.</summary>
    [Range(1, 1_000_000)]
    public int HistoryMaxDocuments { get; set; } = 256;

    /// <summary>
    /// Indexed events kept across those documents. The document being read is kept even when it alone is larger.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long HistoryMaxEvents { get; set; } = 2_000_000;

    /// <summary>
    /// Bytes of cached Merkle subtree hashes kept across branches (about 1 byte per event with the default block of 64
    /// events, plus a few hundred bytes per branch).
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MerkleMaxBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Documents whose records projection (proposals, protected branches, settings, audit trail) is kept in memory;
    /// the least recently used are dropped beyond it and loaded again from the store's domain-event index when used.
    /// </summary>
    [Range(1, 10_000_000)]
    public int RecordsMaxDocuments { get; set; } = 4096;
}
