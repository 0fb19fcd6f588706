using System.Diagnostics;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Benchmarks;

/// <summary>
/// <c>fork-ab [events]</c>: durable forks of a branch with <c>events</c> events (1,000,000 by default) committed to
/// LiteDB (a store opened without a fork journal: the code before the fork journal) against forks through the fork
/// journal, on two copies of the same file, alternating one fork on each, so that both see the same disk and the same
/// load even on a shared machine.
/// </summary>
internal static class ForkJournalHarness
{
    public static async Task RunAsync(int events)
    {
        var path = Bench.TempPath();
        var copy = Path.Combine(Path.GetDirectoryName(path)!, "copy.db");
        try
        {
            await using (var builder = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path, Durability = Durability.OsBuffered, CheckpointBytes = 64 * 1024 * 1024 }))
            {
                await builder.CreateDocumentAsync(Bench.Doc, "bench");
                var batch = Enumerable.Range(0, 1000).Select(_ => new NewEvent(EventKind.Update, Bench.Payload, "bench-user")).ToArray();
                for (var done = 0; done < events; done += batch.Length) await builder.AppendAsync(BranchRef.MainOf(Bench.Doc), batch);
            }

            File.Copy(path, copy);
            var committedOptions = new LiteDbEventStoreOptions { Path = path };
            var journaledOptions = new LiteDbEventStoreOptions { Path = copy };
            await using var committed = new LiteDbEventStore(committedOptions, new DurableFileStream(committedOptions.Path), new DurableFileStream(committedOptions.LogPath), forks: null);
            await using var journaled = new LiteDbEventStore(journaledOptions);
            var main = BranchRef.MainOf(Bench.Doc);
            var head = (await committed.GetHeadAsync(main)).Seq.Value;
            var random = new Random(42);
            var (committedTimes, journaledTimes) = (new List<double>(), new List<double>());
            for (var i = 0; i < 1020; i++)
            {
                var at = new EventSeq(random.NextInt64(0, head + 1));
                var name = new BranchName($"fork-{i}");
                var a = await TimeAsync(() => committed.ForkAsync(main, at, name, "bench"));
                var b = await TimeAsync(() => journaled.ForkAsync(main, at, name, "bench"));
                if (i < 20) continue;
                committedTimes.Add(a);
                journaledTimes.Add(b);
            }

            Console.WriteLine(FormattableString.Invariant($"Durable forks of a {head:N0}-event branch, {committedTimes.Count} each after 20 warm-up, alternating"));
            Console.WriteLine("| fork written as | p50 ms | p90 ms | p99 ms | max ms | checkpoints | fsync total ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(Row("LiteDB commit (before)", committedTimes, committed.Statistics));
            Console.WriteLine(Row("fork journal record (now)", journaledTimes, journaled.Statistics));
        }
        finally
        {
            Bench.Delete(path);
        }
    }

    private static async Task<double> TimeAsync(Func<Task> fork)
    {
        var started = Stopwatch.GetTimestamp();
        await fork();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static string Row(string name, List<double> times, WriterStatistics stats)
    {
        times.Sort();
        return FormattableString.Invariant(
            $"| {name} | {Bench.Percentile(times, 0.5):0.00} | {Bench.Percentile(times, 0.9):0.00} | {Bench.Percentile(times, 0.99):0.00} | {times[^1]:0.00} | {stats.Checkpoints} | {stats.Syncing.TotalMilliseconds:0} |");
    }
}
