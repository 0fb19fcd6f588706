using System.Diagnostics;
using System.Globalization;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Benchmarks;

/// <summary>Durable (fsync) appends of 15-byte payloads by concurrent appenders: group commit vs one transaction per append.</summary>
internal static class AppendHarness
{
    /// <summary>Without client update ids (COLLAB_BENCH_NO_IDS=1) each append skips the idempotency lookup and index.</summary>
    private static readonly bool WithIds = Environment.GetEnvironmentVariable("COLLAB_BENCH_NO_IDS") != "1";

    /// <summary>Restricts the rows (COLLAB_BENCH_APPENDERS=256) for quick experiments.</summary>
    private static readonly int[] AppenderCounts = Environment.GetEnvironmentVariable("COLLAB_BENCH_APPENDERS") is { } only ? [int.Parse(only, CultureInfo.InvariantCulture)] : [1, 16, 256];

    public static async Task RunAsync(double seconds)
    {
        Console.WriteLine($"Durable appends, 15-byte payloads{(WithIds ? " with client update ids" : "")}, Durability.Fsync, {seconds:0.#} s measured after 1 s warm-up per row (and 6 s of unreported warm-up first)");
        Console.WriteLine();
        // Unreported warm-up: without it the first rows measure the JIT (tiered compilation settles after some seconds).
        await MeasureAsync(256, 100, maxEventsPerCommit: 1024, seconds: 3);
        await MeasureAsync(256, 1, maxEventsPerCommit: 1, seconds: 1);
        Console.WriteLine("| appenders | branches | group commit appends/s | p50 ms | p99 ms | p99.9 ms | max ms | 1 tx per append appends/s | p99 ms | ratio |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var appenders in AppenderCounts)
        {
            foreach (var branches in new[] { 1, 100 })
            {
                var grouped = await MeasureAsync(appenders, branches, maxEventsPerCommit: 1024, seconds);
                var baseline = await MeasureAsync(appenders, branches, maxEventsPerCommit: 1, seconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {appenders} | {branches} | {grouped.PerSecond:N0} | {grouped.P50:0.00} | {grouped.P99:0.00} | {grouped.P999:0.0} | {grouped.Max:0.0} | {baseline.PerSecond:N0} | {baseline.P99:0.00} | {grouped.PerSecond / baseline.PerSecond:0.0}x |"));
            }
        }
    }

    private static async Task<(double PerSecond, double P50, double P99, double P999, double Max)> MeasureAsync(int appenders, int branchCount, int maxEventsPerCommit, double seconds)
    {
        var options = new LiteDbEventStoreOptions { Path = Bench.TempPath(), Durability = Durability.Fsync, MaxEventsPerCommit = maxEventsPerCommit };
        if (Environment.GetEnvironmentVariable("COLLAB_BENCH_TAIL_EVENTS") is { } tail) options.TailFlushEvents = int.Parse(tail, CultureInfo.InvariantCulture);
        if (Environment.GetEnvironmentVariable("COLLAB_BENCH_CHECKPOINT_MB") is { } mb) options.CheckpointBytes = long.Parse(mb, CultureInfo.InvariantCulture) << 20;
        try
        {
            await using var store = new LiteDbEventStore(options);
            var branches = await Bench.CreateBranchesAsync(store, branchCount);
            var measuring = false;
            var stop = false;
            var latencies = new List<double>[appenders];
            var counts = new long[appenders];
            var tasks = Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
            {
                // Small: 256 appenders × 64 Ki samples were 128 MiB of large-object heap per row, which itself drove gen 2 GCs.
                var mine = latencies[a] = new List<double>(4096);
                var branch = branches[a % branches.Count];
                for (var i = 0; !Volatile.Read(ref stop); i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await store.AppendAsync(branch, new NewEvent(EventKind.Update, Bench.Payload, "bench-user") { ClientIds = [12345u], ClientUpdateId = WithIds ? $"{a}:{i}" : null });
                    if (Volatile.Read(ref measuring))
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        counts[a]++;
                    }
                }
            })).ToArray();
            await Task.Delay(1000);
            var pausedBefore = GC.GetTotalPauseDuration();
            var allocatedBefore = GC.GetTotalAllocatedBytes();
            var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            Volatile.Write(ref measuring, true);
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            Volatile.Write(ref measuring, false);
            var elapsed = clock.Elapsed.TotalSeconds;
            var paused = GC.GetTotalPauseDuration() - pausedBefore;
            var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
            var lastGc = GC.GetGCMemoryInfo(GCKind.Any);
            var gcs = (GC.CollectionCount(0) - gcBefore.Item1, GC.CollectionCount(1) - gcBefore.Item2, GC.CollectionCount(2) - gcBefore.Item3);
            Volatile.Write(ref stop, true);
            await Task.WhenAll(tasks);
            var all = latencies.SelectMany(l => l).Order().ToList();
            var stats = store.Statistics;
            Console.Error.WriteLine(FormattableString.Invariant(
                $"  [{appenders} appenders, {branchCount} branches, max {maxEventsPerCommit}/commit] {stats.Requests / (double)Math.Max(1, stats.Groups):0.0} appends/commit; per commit: plan {stats.Planning.TotalMilliseconds / Math.Max(1, stats.Groups):0.00} ms, commit {stats.Committing.TotalMilliseconds / Math.Max(1, stats.Groups):0.00} ms, fsync {stats.Syncing.TotalMilliseconds / Math.Max(1, stats.Groups):0.00} ms; longest group {stats.LongestGroup.TotalMilliseconds:0.0} ms; {stats.Checkpoints} checkpoints, {stats.Checkpointing.TotalMilliseconds / Math.Max(1, stats.Checkpoints):0.0} ms each, {stats.CheckpointedLogBytes / (double)Math.Max(1, stats.Requests):0} log bytes per append; GC paused {paused.TotalMilliseconds:0} ms in {gcs} collections (gen 0, 1, 2), {allocated / (double)Math.Max(1, counts.Sum()):0} bytes allocated per append, last GC gen {lastGc.Generation} promoted {lastGc.PromotedBytes / 1024} KiB, heap {lastGc.HeapSizeBytes >> 20} MiB"));
            return (counts.Sum() / elapsed, Bench.Percentile(all, 0.50), Bench.Percentile(all, 0.99), Bench.Percentile(all, 0.999), all.Count > 0 ? all[^1] : 0);
        }
        finally
        {
            Bench.Delete(options.Path);
        }
    }
}
