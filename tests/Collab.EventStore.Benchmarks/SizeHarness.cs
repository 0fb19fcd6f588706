using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Benchmarks;

/// <summary>Bytes on disk per stored event (data file + log after a checkpoint).</summary>
internal static class SizeHarness
{
    public static async Task RunAsync(int events)
    {
        Console.WriteLine($"Bytes on disk per event: {events:N0} events of 15 bytes, 64 per append, after a final checkpoint");
        Console.WriteLine();
        Console.WriteLine("| branches | client update id | bytes/event |");
        Console.WriteLine("|---:|:---:|---:|");
        foreach (var branches in new[] { 1, 100 })
        {
            foreach (var withId in new[] { true, false })
            {
                var bytes = await MeasureAsync(events, branches, withId);
                Console.WriteLine(FormattableString.Invariant($"| {branches} | {(withId ? "yes" : "no")} | {bytes:0} |"));
            }
        }
    }

    private static async Task<double> MeasureAsync(int events, int branchCount, bool withId)
    {
        var options = new LiteDbEventStoreOptions { Path = Bench.TempPath(), Durability = Durability.OsBuffered };
        try
        {
            await using (var store = new LiteDbEventStore(options))
            {
                var branches = await Bench.CreateBranchesAsync(store, branchCount);
                for (var done = 0; done < events; done += 64)
                {
                    var batch = Enumerable.Range(done, 64).Select(i => new NewEvent(EventKind.Update, Bench.Payload, "bench-user") { ClientIds = [12345u], ClientUpdateId = withId ? $"client-7:{i}" : null }).ToArray();
                    await store.AppendAsync(branches[done / 64 % branches.Count], batch);
                }
            }

            return (double)Bench.SizeOnDisk(options) / events;
        }
        finally
        {
            Bench.Delete(options.Path);
        }
    }
}
