namespace Collab.EventStore.LiteDb;

/// <summary>What an acknowledged write survives.</summary>
public enum Durability
{
    /// <summary>
    /// Default. A write completes only after the LiteDB log holding it was fsynced (<c>FileStream.Flush(true)</c>), and
    /// checkpoints fsync the data file before the log is truncated: an acknowledged write survives a process kill,
    /// an OS crash and a power cut (as far as the disk honours fsync).
    /// </summary>
    Fsync,

    /// <summary>
    /// A write completes once it was handed to the OS (written to the page cache) without fsync: it survives a process
    /// kill but may be lost in an OS crash or power cut. For benchmarks and throw-away environments.
    /// </summary>
    OsBuffered,
}
