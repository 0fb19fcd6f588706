using System.Diagnostics;

namespace Collab.EventStore.LiteDb;

/// <summary>Counters of the writer thread: groups, events, and time spent planning, committing and syncing.</summary>
internal sealed class WriterStatistics
{
    private long _groups, _requests, _planTicks, _commitTicks, _syncTicks;

    public long Groups => Volatile.Read(ref _groups);

    public long Requests => Volatile.Read(ref _requests);

    public TimeSpan Planning => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _planTicks));

    public TimeSpan Committing => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _commitTicks));

    public TimeSpan Syncing => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _syncTicks));

    internal void Record(int requests, long started, long planDone, long commitDone, long syncDone)
    {
        Interlocked.Increment(ref _groups);
        Interlocked.Add(ref _requests, requests);
        Interlocked.Add(ref _planTicks, planDone - started);
        Interlocked.Add(ref _commitTicks, commitDone - planDone);
        Interlocked.Add(ref _syncTicks, syncDone - commitDone);
    }
}
