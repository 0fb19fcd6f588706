using System.IO.Compression;
using System.Text;
using Collab.EventStore.LiteDb;
using LiteDB;

namespace Collab.EventStore.Tests;

/// <summary>The LiteDB domain event index (LiteDbEventStore.DomainEvents.cs) on files written before it existed.</summary>
public sealed class LiteDbDomainEventIndexTests : IDisposable
{
    private static readonly DocumentId Doc = new("indexed");
    private static readonly BranchRef Main = BranchRef.MainOf(Doc);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NewEvent Update(string text) => new(EventKind.Update, Encoding.UTF8.GetBytes(text), "alice");

    private static NewEvent RecordOnly(string type) =>
        new(new EventKind("proposal"), new byte[] { 0, 0 }, "erin") { Record = new DomainRecord(type, new Dictionary<string, string> { ["n"] = type }) };

    private static MemoryStream Resizable(byte[] bytes)
    {
        var stream = new MemoryStream();
        stream.Write(bytes);
        stream.Position = 0;
        return stream;
    }

    private static async Task<List<string>> ScanAsync(IEventStore store, BranchRef branch)
    {
        var list = new List<string>();
        await foreach (var e in store.ReadAsync(branch, new EventSeq(1), EventSeq.MaxValue))
        {
            if (e.Branch == branch && DomainEvents.Is(e)) list.Add($"{e.Ref} {e.Kind} {e.Hash}");
        }

        return list;
    }

    private static async Task<List<string>> ListedAsync(IEventStore store, BranchRef branch) =>
        (await store.ListDomainEventsAsync(branch, EventSeq.Zero, 1000)).Select(e => $"{e.Ref} {e.Kind} {e.Hash}").ToList();

    [Fact]
    public async Task a_log_written_before_the_index_gets_it_on_open()
    {
        // Fixtures/v1-records.db.gz (see LiteDbRecordChainTests): main = 3 updates, a merge (4) and a resolution (5), unchained.
        var options = new LiteDbEventStoreOptions { Path = _dir.File("v1.db") };
        using (var source = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1-records.db.gz")))
        using (var gzip = new GZipStream(source, CompressionMode.Decompress))
        using (var target = File.Create(options.Path))
        {
            gzip.CopyTo(target);
        }

        var main = BranchRef.MainOf(new DocumentId("legacy"));
        var feature = new BranchRef(main.Document, new BranchName("feature"));
        await using var store = new LiteDbEventStore(options);
        Assert.Equal([4L, 5], (await store.ListDomainEventsAsync(main, EventSeq.Zero, 10)).Select(e => e.Seq.Value));
        Assert.Equal(await ScanAsync(store, main), await ListedAsync(store, main));
        Assert.Empty(await store.ListDomainEventsAsync(feature, EventSeq.Zero, 10));
        Assert.True((await store.VerifyAsync(main)).IsValid);
    }

    [Fact]
    public async Task an_index_lost_or_never_written_is_rebuilt_from_chunks_and_journal_tails()
    {
        var options = new LiteDbEventStoreOptions { Path = _dir.File("lost.db"), TailFlushEvents = 4 };
        var data = new CrashableStream();
        var log = new CrashableStream();
        var store = new LiteDbEventStore(options, data, log);
        await store.CreateDocumentAsync(Doc, "alice");
        var fork = await store.ForkAsync(Main, EventSeq.Zero, new BranchName("side"), "bob");
        for (var i = 0; i < 10; i++) await store.AppendAsync(Main, i % 4 == 1 ? RecordOnly($"r{i}") : Update($"u{i}"));
        await store.AppendAsync(fork.Ref, [Update("s0"), RecordOnly("s1")]);
        var expectedMain = await ListedAsync(store, Main);
        var expectedFork = await ListedAsync(store, fork.Ref);
        Assert.Equal(3, expectedMain.Count);
        Assert.True(store.TailEventCount > 0, "some events should still wait in the journal");

        // A power cut (the journal keeps the tails), then the index and its marker removed as in a file written before it.
        var dataImage = Resizable(data.DurableImage);
        var logImage = Resizable(log.DurableImage);
        await store.DisposeAsync();
        using (var db = new LiteDatabase(dataImage, BsonMapper.Global, logImage))
        {
            Assert.Equal(4, db.GetCollection("domain_events").DeleteAll());
            Assert.True(db.GetCollection("meta").Delete("domain-event-index"));
            db.Checkpoint();
        }

        await using var reopened = new LiteDbEventStore(options, new CrashableStream(dataImage.ToArray()), new CrashableStream(logImage.ToArray()));
        Assert.True(reopened.TailEventCount > 0);
        Assert.Equal(expectedMain, await ListedAsync(reopened, Main));
        Assert.Equal(expectedFork, await ListedAsync(reopened, fork.Ref));
        Assert.Equal(await ScanAsync(reopened, Main), await ListedAsync(reopened, Main));
    }
}
