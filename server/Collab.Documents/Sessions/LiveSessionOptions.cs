using System.ComponentModel.DataAnnotations;

namespace Collab.Documents.Sessions;

/// <summary>Live-session settings, bound from <c>Collab:Sessions</c>.</summary>
public sealed class LiveSessionOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Collab:Sessions";

    /// <summary>Write a snapshot after this many events since the last one (and always on unload).</summary>
    [Range(1, 1_000_000)]
    public int SnapshotEvery { get; set; } = 500;

    /// <summary>Unload a session this long after its last connection left.</summary>
    public TimeSpan IdleUnloadAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often idle sessions are looked for.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many queued updates of one branch go to the store in one append (one fsync).</summary>
    [Range(1, 10_000)]
    public int MaxBatch { get; set; } = 256;

    /// <summary>How many recent update ids per branch are remembered for idempotent re-acknowledgement.</summary>
    [Range(0, 1_000_000)]
    public int RememberedUpdateIds { get; set; } = 4096;

    /// <summary>Queued work items per branch before senders wait (back-pressure).</summary>
    [Range(16, 1_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Largest size of a document (its whole state encoded as one update) in bytes. An update that could take the
    /// document past it is refused (<c>too_large</c>) and changes nothing; updates that only delete are still accepted.
    /// Snapshots may be up to twice this size (the size between snapshots is an estimate). Default 32 MiB.
    /// </summary>
    [Range(4 * 1024, 256 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 32 * 1024 * 1024;
}
