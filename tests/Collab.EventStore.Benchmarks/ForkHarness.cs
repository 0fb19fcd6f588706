using System.Diagnostics;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Benchmarks;

/// <summary>Fork cost on a branch with many events against one with few: it must not depend on history length.</summary>
internal static class ForkHarness
{
    public static async Task RunAsync(int events)
    {
        Console.WriteLine($"Fork (durable, Durability.Fsync) of a branch with {events:N0} events vs one with 1,000 events; 200 forks each at random positions");
        Console.WriteLine();
        Console.WriteLine("| branch length | fork p50 ms | fork p99 ms | fork max ms | first head load after open ms | build s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var length in new[] { 1_000, events })
        {
            var (p50, p99, max, build, headLoad) = await MeasureAsync(length);
            Console.WriteLine(FormattableString.Invariant($"| {length:N0} | {p50:0.00} | {p99:0.00} | {max:0.00} | {headLoad:0.00} | {build:0.0} |"));
        }
    }

    private static async Task<(double P50, double P99, double Max, double BuildSeconds, double HeadLoadMs)> MeasureAsync(int length)
    {
        var path = Bench.TempPath();
        try
        {
            // Build the history fast (big batches, no fsync); the forks are then measured on a durable store.
            var build = Stopwatch.StartNew();
            await using (var builder = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path, Durability = Durability.OsBuffered, CheckpointBytes = 64 * 1024 * 1024 }))
            {
                await builder.CreateDocumentAsync(Bench.Doc, "bench");
                var main = BranchRef.MainOf(Bench.Doc);
                var batch = Enumerable.Range(0, 1000).Select(_ => new NewEvent(EventKind.Update, Bench.Payload, "bench-user")).ToArray();
                for (var done = 0; done < length; done += batch.Length) await builder.AppendAsync(main, batch);
            }

            var buildSeconds = build.Elapsed.TotalSeconds;
            await using var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path, Durability = Durability.Fsync });
            var load = Stopwatch.StartNew();
            var head = await store.GetHeadAsync(BranchRef.MainOf(Bench.Doc));
            var loadMs = load.Elapsed.TotalMilliseconds;
            var random = new Random(42);
            var times = new List<double>();
            for (var i = 0; i < 220; i++)
            {
                var at = new EventSeq(random.NextInt64(0, head.Seq.Value + 1));
                var started = Stopwatch.GetTimestamp();
                await store.ForkAsync(head.Branch, at, new BranchName($"fork-{i}"), "bench");
                if (i >= 20) times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            times.Sort();
            var stats = store.Statistics;
            Console.Error.WriteLine(FormattableString.Invariant(
                $"  [{length:N0} events] per fork: plan {stats.Planning.TotalMilliseconds / Math.Max(1, stats.Groups):0.00} ms, commit {stats.Committing.TotalMilliseconds / Math.Max(1, stats.Groups):0.00} ms, fsync {stats.Syncing.TotalMilliseconds / Math.Max(1, stats.Groups):0.00} ms; {stats.Checkpoints} checkpoints, {stats.Checkpointing.TotalMilliseconds / Math.Max(1, stats.Checkpoints):0.0} ms each"));
            return (Bench.Percentile(times, 0.5), Bench.Percentile(times, 0.99), times[^1], buildSeconds, loadMs);
        }
        finally
        {
            Bench.Delete(path);
        }
    }
}
