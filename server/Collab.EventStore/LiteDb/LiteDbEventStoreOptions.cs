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

    /// <summary>Log size in bytes after which the writer copies the log into the data file (checkpoint). Default 16 MiB.</summary>
    public long CheckpointBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The log file belonging to <see cref="Path"/>.</summary>
    public string LogPath => System.IO.Path.Combine(
        System.IO.Path.GetDirectoryName(Path) ?? string.Empty,
        System.IO.Path.GetFileNameWithoutExtension(Path) + "-log" + System.IO.Path.GetExtension(Path));

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("The data file path is required.", nameof(Path));
        if (MaxPayloadBytes > MaxPayloadLimit) throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), MaxPayloadBytes, $"must be at most {MaxPayloadLimit}");
        if (MaxEventsPerCommit < 1) throw new ArgumentOutOfRangeException(nameof(MaxEventsPerCommit), MaxEventsPerCommit, "must be at least 1");
        if (CheckpointBytes < 64 * 1024) throw new ArgumentOutOfRangeException(nameof(CheckpointBytes), CheckpointBytes, "must be at least 64 KiB");
        if (!Enum.IsDefined(Durability)) throw new ArgumentOutOfRangeException(nameof(Durability), Durability, "unknown durability");
    }
}
