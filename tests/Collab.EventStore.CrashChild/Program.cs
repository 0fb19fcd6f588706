using System.Text;
using Collab.EventStore;
using Collab.EventStore.LiteDb;

// Usage: Collab.EventStore.CrashChild <data file> <round>
// Appends from several concurrent writers until killed. After each acknowledged append it prints one line
// "ACK <seq> <payload>"; the parent kills it with SIGKILL at a random moment and checks every printed event survived.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Collab.EventStore.CrashChild <data file> <round>");
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

await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
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
})));
return 0;
