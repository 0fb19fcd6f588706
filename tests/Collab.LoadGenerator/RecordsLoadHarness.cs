using System.Diagnostics;
using System.Globalization;
using Collab.Documents.Branching;
using Collab.EventStore;
using Collab.EventStore.LiteDb;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>records-load [events]</c>: the first load of the records projection (<see cref="DocumentRecords"/>: proposals,
/// protection, settings, audit) after a restart, on a LiteDB store whose <c>main</c> holds <c>events</c> updates
/// (1,000,000 by default) with a record-only event every 100,000; against reading the whole log, which is what the
/// load did before the store indexed domain events.
/// </summary>
internal static class RecordsLoadHarness
{
    private static readonly byte[] Payload = [1, 1, 171, 205, 239, 5, 0, 4, 1, 1, 116, 1, 120, 0, 0];

    public static async Task<int> RunAsync(string[] args)
    {
        int events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        string data = Path.Combine(Path.GetTempPath(), "collab-records-load-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var path = Path.Combine(data, "collab.db");
        var doc = new DocumentId("bench");
        var main = BranchRef.MainOf(doc);
        try
        {
            await using (var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path, Durability = Durability.OsBuffered, CheckpointBytes = 64 * 1024 * 1024 }))
            {
                await store.CreateDocumentAsync(doc, "bench-owner");
                var batch = Enumerable.Range(0, 1000).Select(_ => new NewEvent(EventKind.Update, Payload, "bench-owner")).ToArray();
                for (int done = 0; done < events; done += batch.Length)
                {
                    if (done % 100_000 == 0)
                    {
                        var fields = new Dictionary<string, string> { ["source"] = "feature", ["title"] = $"proposal {done}" };
                        await store.AppendAsync(main, [new NewEvent(PolicyRecords.ProposalKind, new byte[] { 0, 0 }, "bench-owner") { Record = new DomainRecord(PolicyRecords.ProposalOpened, fields) }]);
                    }

                    await store.AppendAsync(main, batch);
                }
            }

            // A restart: the store opened again, the projection empty.
            await using (var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path }))
            {
                var head = (await store.GetHeadAsync(main)).Seq.Value;
                var load = Stopwatch.StartNew();
                await new DocumentRecords(store).IsProtectedAsync(main, CancellationToken.None);
                load.Stop();

                // Once more with a fresh projection: the same load without the first call's JIT and query compilation.
                var warm = Stopwatch.StartNew();
                await new DocumentRecords(store).IsProtectedAsync(main, CancellationToken.None);
                warm.Stop();
                var listed = await store.ListDomainEventsAsync(main, EventSeq.Zero, 10_000);

                var scan = Stopwatch.StartNew();
                long read = 0, found = 0;
                await foreach (var e in store.ReadAsync(main, new EventSeq(1), EventSeq.MaxValue))
                {
                    read++;
                    if (DomainEvents.Is(e)) found++;
                }

                scan.Stop();
                Console.WriteLine(FormattableString.Invariant($"main: {head:N0} events, {listed.Count} domain events"));
                Console.WriteLine("| load | events read | ms |");
                Console.WriteLine("|---|---:|---:|");
                Console.WriteLine(FormattableString.Invariant($"| DocumentRecords first load (domain event index), first call of the process | {listed.Count:N0} | {load.Elapsed.TotalMilliseconds:0.0} |"));
                Console.WriteLine(FormattableString.Invariant($"| DocumentRecords first load (domain event index), code warm | {listed.Count:N0} | {warm.Elapsed.TotalMilliseconds:0.0} |"));
                Console.WriteLine(FormattableString.Invariant($"| reading the whole log (the load before the index) | {read:N0} | {scan.Elapsed.TotalMilliseconds:0.0} |"));
                if (found != listed.Count) throw new InvalidOperationException($"the scan found {found} domain events, the index {listed.Count}");
            }

            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
