using System.Globalization;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Benchmarks;

/// <summary>The writer thread's CPU per event (planning and LiteDB commit, no fsync): 128-event appends from one caller.</summary>
internal static class WriterHarness
{
    public static async Task RunAsync(int events)
    {
        Console.WriteLine($"Writer CPU per event: {events:N0} events of 15 bytes in 128-event appends, Durability.OsBuffered (no fsync)");
        Console.WriteLine();
        Console.WriteLine("| client update ids | plan µs/event | commit µs/event |");
        Console.WriteLine("|:---:|---:|---:|");
        foreach (var withIds in new[] { false, true })
        {
            var options = new LiteDbEventStoreOptions { Path = Bench.TempPath(), Durability = Durability.OsBuffered };
            try
            {
                await using var store = new LiteDbEventStore(options);
                var main = (await Bench.CreateBranchesAsync(store, 1))[0];
                var warm = events / 5;
                WriterStatistics? before = null;
                double planBefore = 0, commitBefore = 0;
                for (var done = 0; done < events + warm; done += 128)
                {
                    if (done >= warm && before is null)
                    {
                        before = store.Statistics;
                        planBefore = before.Planning.TotalMicroseconds;
                        commitBefore = before.Committing.TotalMicroseconds;
                    }

                    var batch = new NewEvent[128];
                    for (var i = 0; i < batch.Length; i++)
                    {
                        batch[i] = new NewEvent(EventKind.Update, Bench.Payload, "bench-user") { ClientIds = [12345u], ClientUpdateId = withIds ? $"{(done + i) % 256}:{(done + i) / 256}" : null };
                    }

                    await store.AppendAsync(main, batch);
                }

                var stats = store.Statistics;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {(withIds ? "yes" : "no")} | {(stats.Planning.TotalMicroseconds - planBefore) / events:0.0} | {(stats.Committing.TotalMicroseconds - commitBefore) / events:0.0} |"));
            }
            finally
            {
                Bench.Delete(options.Path);
            }
        }
    }
}
