using System.Collections.Concurrent;

namespace Collab.Server;

/// <summary>
/// Keeps refused client requests from flooding the log: per user, at most <see cref="PerWindow"/> refusals are logged in
/// each <see cref="Window"/>; the rest are counted and the count is reported with the first one logged afterwards.
/// </summary>
internal sealed class RefusalLogThrottle(TimeProvider time)
{
    public const int PerWindow = 20;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private const int PruneAbove = 10_000;
    private readonly ConcurrentDictionary<string, Counter> _users = new(StringComparer.Ordinal);
    private long _lastPrune;

    /// <summary>Users with a refusal counter (kept per account until quiet and the table passes 10,000 entries).</summary>
    public int UserCount => _users.Count;

    /// <summary>Whether to log this refusal of <paramref name="user"/>; <paramref name="suppressed"/> is how many were not logged before it.</summary>
    public bool ShouldLog(string user, out int suppressed)
    {
        var now = time.GetTimestamp();
        // At most once a window, by one caller: a table of many active users must not be walked on every refusal.
        var last = Interlocked.Read(ref _lastPrune);
        if (_users.Count > PruneAbove && time.GetElapsedTime(last, now) >= Window && Interlocked.CompareExchange(ref _lastPrune, now, last) == last)
        {
            foreach (var (key, counter) in _users)
            {
                lock (counter)
                {
                    if (time.GetElapsedTime(counter.Started, now) >= Window && counter.Suppressed == 0) _users.TryRemove(key, out _);
                }
            }
        }
        var entry = _users.GetOrAdd(user, static (_, start) => new Counter { Started = start }, now);
        lock (entry)
        {
            if (time.GetElapsedTime(entry.Started, now) >= Window)
            {
                entry.Started = now;
                entry.Logged = 0;
            }
            if (entry.Logged >= PerWindow)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }
            entry.Logged++;
            suppressed = entry.Suppressed;
            entry.Suppressed = 0;
            return true;
        }
    }

    private sealed class Counter
    {
        public long Started { get; set; }

        public int Logged { get; set; }

        public int Suppressed { get; set; }
    }
}
