namespace Collab.EventStore.LiteDb;

/// <summary>Settings of <see cref="LiteDbEventStore"/>.</summary>
public sealed class LiteDbEventStoreOptions : EventStoreOptions
{
    /// <summary>Largest payload LiteDB can hold in one document with room to spare.</summary>
    public const int MaxPayloadLimit = 8 * 1024 * 1024;

    /// <summary>The data file. The log file lives next to it: <c>name-log.ext</c>. Required.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>What an acknowledged write survives. Default <see cref="Durability.Fsync"/>.</summary>
    public Durability Durability { get; set; } = Durability.Fsync;

    /// <summary>Most events the writer commits in one transaction (group commit). Default 1,024.</summary>
    public int MaxEventsPerCommit { get; set; } = 1024;

    /// <summary>
    /// Log size in bytes after which the writer copies the log into the data file (checkpoint). Writes wait while it
    /// runs, about 1.7 ms per MiB here, so small and frequent beats large and rare. Default 1 MiB.
    /// </summary>
    public long CheckpointBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Most client update ids the writer keeps in memory over all branches (about 28 bytes each) for the idempotency
    /// check; beyond it, the least recently used branches' ids are dropped and read again from their events when next
    /// needed. A branch in use keeps its ids even when it alone holds more. Default 2,000,000.
    /// </summary>
    public long MaxCachedUpdateIds { get; set; } = 2_000_000;

    // How long a branch's events wait in memory and the journal before they are copied into its chunks (see
    // LiteDbEventStore.Journal.cs). Internal: tests shrink them to exercise every path with few events.
    internal int TailFlushEvents { get; set; } = 32;

    internal long TailFlushBytes { get; set; } = 128 * 1024;

    internal long JournalLag { get; set; } = 1024;

    // Forks that may wait in the fork journal before the writer copies them into LiteDB in a commit of their own
    // (any other commit copies them as well). Internal: tests shrink it.
    internal int ForkJournalLimit { get; set; } = 256;

    // Whether an append reads a branch's update ids on its own thread before the writer needs them (tests turn it
    // off to make the writer read them itself, which it also does when a map was dropped between the two).
    internal bool PreloadUpdateIds { get; set; } = true;

    /// <summary>The log file belonging to <see cref="Path"/>.</summary>
    public string LogPath => System.IO.Path.Combine(
        System.IO.Path.GetDirectoryName(Path) ?? string.Empty,
        System.IO.Path.GetFileNameWithoutExtension(Path) + "-log" + System.IO.Path.GetExtension(Path));

    /// <summary>The fork journal belonging to <see cref="Path"/> (forks durable before LiteDB holds them): <c>name-forks.ext</c>.</summary>
    public string ForkJournalPath => System.IO.Path.Combine(
        System.IO.Path.GetDirectoryName(Path) ?? string.Empty,
        System.IO.Path.GetFileNameWithoutExtension(Path) + "-forks" + System.IO.Path.GetExtension(Path));

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("The data file path is required.", nameof(Path));
        if (MaxPayloadBytes > MaxPayloadLimit) throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), MaxPayloadBytes, $"must be at most {MaxPayloadLimit}");
        if (MaxEventsPerCommit < 1) throw new ArgumentOutOfRangeException(nameof(MaxEventsPerCommit), MaxEventsPerCommit, "must be at least 1");
        if (CheckpointBytes < 64 * 1024) throw new ArgumentOutOfRangeException(nameof(CheckpointBytes), CheckpointBytes, "must be at least 64 KiB");
        if (MaxCachedUpdateIds < 0) throw new ArgumentOutOfRangeException(nameof(MaxCachedUpdateIds), MaxCachedUpdateIds, "must not be negative");
        if (!Enum.IsDefined(Durability)) throw new ArgumentOutOfRangeException(nameof(Durability), Durability, "unknown durability");
    }
}
