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

    /// <summary>
    /// Most bytes of updates per branch that may wait for content the branch lacks (missing dependencies). Waiting
    /// content lives in the live document's memory only: it is not stored, served, broadcast or snapshotted, and its
    /// sender is acknowledged only once it is integrated. An update that would wait beyond this is refused
    /// (<c>too_large</c>); 0 refuses every update that would wait.
    /// </summary>
    [Range(0, 64 * 1024 * 1024)]
    public int MaxPendingBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Waiting content is dropped, and its senders refused with <c>missing_dependency</c>, once this many events were
    /// stored on the branch after it arrived without completing it.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PendingMaxEvents { get; set; } = 1000;

    /// <summary>... or once it has waited this long (checked whenever the branch does work).</summary>
    public TimeSpan PendingMaxAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Largest event payload a session writes: what one update integrates (with any waiting content it completes) is
    /// split into several events when bigger. Must not exceed the event store's payload limit (8 MiB for the server's
    /// stores); only a single unit that cannot be cut (a binary, embed or format value) bigger than this is stored
    /// whole, and such a unit is never bigger than the update that carried it.
    /// </summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxEventBytes { get; set; } = 6 * 1024 * 1024;

    /// <summary>Awareness client ids one connection may hold on one branch (a browser tab needs one per document).</summary>
    [Range(1, 1024)]
    public int MaxAwarenessClientsPerConnection { get; set; } = 4;

    /// <summary>Awareness client ids one branch holds at most (the presence of this many people at once).</summary>
    [Range(1, 1_000_000)]
    public int MaxAwarenessClientsPerBranch { get; set; } = 1000;

    /// <summary>
    /// Bytes of awareness state one branch holds at most (UTF-8 JSON plus 64 bytes per client id). It bounds the memory
    /// presence takes and the awareness message every joiner receives.
    /// </summary>
    [Range(64 * 1024, 256 * 1024 * 1024)]
    public int MaxAwarenessBytesPerBranch { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Entries a client's state vector (SyncStep1) may have. A real document's state vector has one entry per client
    /// that ever edited it; the server's answer to a much larger one would only cost every editor of the branch time.
    /// </summary>
    [Range(1024, 10_000_000)]
    public int MaxStateVectorEntries { get; set; } = 100_000;
}
