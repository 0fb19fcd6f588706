using System.Diagnostics;

namespace Collab.EventStore.LiteDb;

/// <summary>Counters of the writer thread: groups, events, and time spent planning, committing, syncing and checkpointing.</summary>
internal sealed class WriterStatistics
{
    private long _groups, _requests, _planTicks, _commitTicks, _syncTicks, _checkpoints, _checkpointTicks, _longestGroupTicks, _checkpointedLogBytes;

    public long Groups => Volatile.Read(ref _groups);

    public long Requests => Volatile.Read(ref _requests);

    public TimeSpan Planning => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _planTicks));

    public TimeSpan Committing => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _commitTicks));

    public TimeSpan Syncing => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _syncTicks));

    public long Checkpoints => Volatile.Read(ref _checkpoints);

    public TimeSpan Checkpointing => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _checkpointTicks));

    /// <summary>The longest plan + commit + sync of one group.</summary>
    public TimeSpan LongestGroup => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _longestGroupTicks));

    /// <summary>Log bytes copied into the data file by the checkpoints so far.</summary>
    public long CheckpointedLogBytes => Volatile.Read(ref _checkpointedLogBytes);

    internal void RecordCheckpoint(long started, long done, long logBytes)
    {
        Interlocked.Add(ref _checkpointedLogBytes, logBytes);
        Interlocked.Increment(ref _checkpoints);
        Interlocked.Add(ref _checkpointTicks, done - started);
    }

    internal void Record(int requests, long started, long planDone, long commitDone, long syncDone)
    {
        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _requests, requests);
        Interlocked.Add(ref _planTicks, planDone - started);
        Interlocked.Add(ref _commitTicks, commitDone - planDone);
        Interlocked.Add(ref _syncTicks, syncDone - commitDone);
        if (syncDone - started > _longestGroupTicks) Volatile.Write(ref _longestGroupTicks, syncDone - started);
    }
}
