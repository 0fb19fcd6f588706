using Collab.EventStore;
using Microsoft.Extensions.Logging;

namespace Collab.Documents;

/// <summary>Source-generated log messages of the domain layer.</summary>
internal static partial class DocumentsLog
{
    [LoggerMessage(100, LogLevel.Information, "Loaded session {Branch} at seq {Head} (snapshot at {SnapshotSeq}, replayed {Replayed} events) in {ElapsedMs} ms")]
    public static partial void SessionLoaded(ILogger logger, BranchRef branch, long head, long snapshotSeq, int replayed, long elapsedMs);

    [LoggerMessage(101, LogLevel.Information, "Unloaded session {Branch} at seq {Head}")]
    public static partial void SessionUnloaded(ILogger logger, BranchRef branch, long head);

    [LoggerMessage(102, LogLevel.Error, "Appending to {Branch} failed; the session is discarded and will reload from the log")]
    public static partial void AppendFailed(ILogger logger, BranchRef branch, Exception exception);

    [LoggerMessage(103, LogLevel.Error, "Session {Branch} failed unexpectedly and is discarded")]
    public static partial void SessionFaulted(ILogger logger, BranchRef branch, Exception exception);

    [LoggerMessage(104, LogLevel.Warning, "Broadcast on {Branch} failed")]
    public static partial void BroadcastFailed(ILogger logger, BranchRef branch, Exception exception);

    [LoggerMessage(105, LogLevel.Information, "Wrote snapshot of {Branch} at seq {Seq} ({Bytes} bytes)")]
    public static partial void SnapshotWritten(ILogger logger, BranchRef branch, long seq, int bytes);

    [LoggerMessage(106, LogLevel.Warning, "Writing a snapshot of {Branch} failed (snapshots are a cache; continuing)")]
    public static partial void SnapshotFailed(ILogger logger, BranchRef branch, Exception exception);

    [LoggerMessage(130, LogLevel.Warning, "The store refused a snapshot of {Branch} at seq {Seq}: {Reason} Next attempt after {Events} more events")]
    public static partial void SnapshotRefused(ILogger logger, BranchRef branch, long seq, string reason, long events);

    [LoggerMessage(107, LogLevel.Information, "Reloaded {Branch} after a failure; asked {Members} connections to resync")]
    public static partial void SessionReloaded(ILogger logger, BranchRef branch, int members);

    [LoggerMessage(120, LogLevel.Information, "Dropped {Count} updates of {Branch} that waited too long for content the branch never received")]
    public static partial void PendingExpired(ILogger logger, BranchRef branch, int count);

    [LoggerMessage(108, LogLevel.Warning, "The store refused one event of {Branch} ({Error}: {Reason}); only its caller is refused, its batch-mates are stored or retried, and the session reloads from the log")]
    public static partial void EventRefused(ILogger logger, BranchRef branch, EventStoreError error, string reason);
}
