using System.Text;
using Collab.EventStore;
using Collab.EventStore.LiteDb;

// Usage: Collab.EventStore.CrashChild <data file> <round> [forks]
// Appends from several concurrent writers until killed. After each acknowledged append it prints one line
// "ACK <seq> <payload>"; the parent kills it with SIGKILL at a random moment and checks every printed event survived.
// With "forks", two more writers fork main at random positions and print "FORK <name> <seq>" for each acknowledged fork.
if (args.Length is not (2 or 3))
{
    Console.Error.WriteLine("usage: Collab.EventStore.CrashChild <data file> <round> [forks]");
    return 2;
}

var round = args[1];
// A small checkpoint threshold makes checkpoints (log copied into the data file, log truncated) frequent, so that the
// kills also land in the middle of them.
var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = args[0], Durability = Durability.Fsync, CheckpointBytes = 64 * 1024 });
var doc = new DocumentId("crash");
var main = BranchRef.MainOf(doc);
if (await store.GetDocumentAsync(doc) is null) await store.CreateDocumentAsync(doc, "crash-test");
var output = Console.Out;
var gate = new Lock();
Console.WriteLine("READY");

var forkers = args.Length == 3 && args[2] == "forks" ? 2 : 0;
var forking = Enumerable.Range(0, forkers).Select(forker => Task.Run(async () =>
{
    var random = new Random(forker);
    for (var i = 0; ; i++)
    {
        var name = $"r{round}-k{forker}-{i}";
        var head = await store.GetHeadAsync(main);
        var at = new EventSeq(random.NextInt64(0, head.Seq.Value + 1));
        await store.ForkAsync(main, at, new BranchName(name), "crash-test");
        lock (gate)
        {
            output.WriteLine($"FORK {name} {at.Value}");
            output.Flush();
        }
    }
}));

await Task.WhenAll(forking.Concat(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
{
    for (var i = 0; ; i++)
    {
        var text = $"r{round}-w{writer}-{i}";
        var stored = await store.AppendAsync(main, new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes(text), "crash-test") { ClientUpdateId = text });
        lock (gate)
        {
            output.WriteLine($"ACK {stored.Seq} {text}");
            output.Flush();
        }
    }
}))));
return 0;
