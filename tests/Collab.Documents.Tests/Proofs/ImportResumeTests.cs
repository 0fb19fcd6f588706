using System.Text;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Proofs;
using Collab.Documents.Sessions;
using Collab.Documents.Tests.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Collab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Tests.Proofs;

/// <summary>
/// An import interrupted while writing (the store fails mid-way, as a full disk or a kill would leave it) is resumed by
/// its importer importing the same file again, in the same process or after a restart: only the missing events are
/// written and the result is the whole log with the file's hashes. Anyone else, or another file, is refused.
/// </summary>
public sealed class ImportResumeTests : IAsyncLifetime
{
    private const string Doc = "memo";
    private readonly List<Services> _services = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var s in _services) await s.DisposeAsync();
    }

    private Services Wire(IEventStore store, string? journal = null)
    {
        var services = new Services(store, journal);
        _services.Add(services);
        return services;
    }

    /// <summary>An export of "memo": alice created it and granted bob; 1,300 updates on main, a fork at 800 with 700 more.</summary>
    private async Task<byte[]> ExportAsync(string salt)
    {
        var store = new InMemoryEventStore();
        var s = Wire(store);
        await s.Catalog.CreateAsync(Doc, "Memo", "alice", default);
        await s.Catalog.GrantAsync(Doc, "alice", "bob", "editor", default);
        var main = new BranchRef(new DocumentId(Doc), BranchName.Main);
        for (var i = 0; i < 1300; i += 100)
        {
            await store.AppendAsync(main, [.. Enumerable.Range(i, 100).Select(n => Update(salt, n))]);
            if (i == 700) await store.ForkAsync(main, new EventSeq(800), new BranchName("feature"), "bob");
        }
        await store.AppendAsync(new BranchRef(main.Document, new BranchName("feature")), [.. Enumerable.Range(5000, 700).Select(n => Update(salt, n))]);
        using var file = new MemoryStream();
        await new DocumentTransfer(store, s.Catalog, s.Directory).ExportAsync(Doc, "alice", file, default);
        return file.ToArray();
    }

    private static NewEvent Update(string salt, int n) => new(EventKind.Update, Encoding.UTF8.GetBytes($"{salt}-{n}"), n % 2 == 0 ? "alice" : "bob") { ClientUpdateId = $"{salt}-{n}" };

    private static async Task<string[]> EventLinesAsync(Services s, IEventStore store)
    {
        using var file = new MemoryStream();
        await new DocumentTransfer(store, s.Catalog, s.Directory).ExportAsync(Doc, "ivan", file, default);
        return [.. Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)];
    }

    private static string[] EventLines(byte[] export) => [.. Encoding.UTF8.GetString(export).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)];

    [Fact]
    public async Task an_import_interrupted_on_a_fork_is_resumed_by_its_importer_and_gives_the_whole_log()
    {
        var export = await ExportAsync("a");
        var inner = new InMemoryEventStore();
        var store = FailingStore.Wrap(inner, failAppend: 5); // main's 3 batches, the fork's first: the fork's second fails
        var s = Wire(store);
        var transfer = new DocumentTransfer(store, s.Catalog, s.Directory);

        await Assert.ThrowsAsync<EventStoreException>(() => transfer.ImportAsync(new MemoryStream(export), "ivan", default));
        var feature = new BranchRef(new DocumentId(Doc), new BranchName("feature"));
        Assert.Equal(1300, (await inner.GetHeadAsync(feature)).Seq.Value);
        Assert.Null(s.Directory.Find(Doc));

        // Someone else may not take it over.
        var refused = await Assert.ThrowsAsync<CollabException>(() => transfer.ImportAsync(new MemoryStream(export), "mallory", default));
        Assert.Equal(CollabErrorCode.Conflict, refused.Code);

        var result = await transfer.ImportAsync(new MemoryStream(export), "ivan", default);
        Assert.Equal(200, result.Events); // the rest of the fork only
        await CheckCompleteAsync(s, inner, export);
    }

    [Fact]
    public async Task an_import_interrupted_by_a_crash_is_resumed_after_the_restart_and_nobody_reaches_it_meanwhile()
    {
        var export = await ExportAsync("b");
        var inner = new InMemoryEventStore();
        var store = FailingStore.Wrap(inner, failAppend: 2); // main's second batch fails: no fork yet
        var s = Wire(store);
        await Assert.ThrowsAsync<EventStoreException>(() => new DocumentTransfer(store, s.Catalog, s.Directory).ImportAsync(new MemoryStream(export), "ivan", default));
        Assert.Equal(500, (await inner.GetHeadAsync(new BranchRef(new DocumentId(Doc), BranchName.Main))).Seq.Value);

        // The restart: new services over the same store; the interrupted import is nobody's.
        var restarted = Wire(inner);
        await restarted.Log.ReconcileAllAsync(default);
        Assert.Equal([(Doc, "ivan")], restarted.Log.PendingImports);
        Assert.Null(restarted.Directory.Find(Doc));
        Assert.Equal(DocumentRole.None, restarted.Directory.RoleOf(Doc, "alice"));

        var result = await new DocumentTransfer(inner, restarted.Catalog, restarted.Directory).ImportAsync(new MemoryStream(export), "ivan", default);
        Assert.Equal(1302 - 500 + 700, result.Events);
        await CheckCompleteAsync(restarted, inner, export);
        Assert.Equal(DocumentRole.None, restarted.Directory.RoleOf(Doc, "alice"));
        Assert.Equal(DocumentRole.None, restarted.Directory.RoleOf(Doc, "bob"));

        // And after another restart the directory says the same.
        var again = Wire(inner);
        await again.Log.ReconcileAllAsync(default);
        Assert.Empty(again.Log.PendingImports);
        Assert.Equal([new DocumentGrant(Doc, "ivan", DocumentRole.Owner)], again.Directory.Grants(Doc));
    }

    [Fact]
    public async Task an_import_cut_before_its_first_event_stays_an_interrupted_import_after_a_restart()
    {
        var export = await ExportAsync("e");
        var journal = Path.Combine(Path.GetTempPath(), $"collab-import-{Guid.NewGuid():N}.jsonl");
        try
        {
            var inner = new InMemoryEventStore();
            var store = FailingStore.Wrap(inner, failAppend: 1); // the store's document exists, no event was written
            var s = Wire(store, journal);
            await Assert.ThrowsAsync<EventStoreException>(() => new DocumentTransfer(store, s.Catalog, s.Directory).ImportAsync(new MemoryStream(export), "ivan", default));
            Assert.Equal(0, (await inner.GetHeadAsync(new BranchRef(new DocumentId(Doc), BranchName.Main))).Seq.Value);
            s.Directory.Dispose();

            // The restart: not repaired into an empty document of ivan's, but left for ivan to import again.
            var restarted = Wire(inner, journal);
            var (_, repaired) = await restarted.Log.ReconcileAllAsync(default);
            Assert.Equal(0, repaired);
            Assert.Equal([(Doc, "ivan")], restarted.Log.PendingImports);
            Assert.Null(restarted.Directory.Find(Doc));
            Assert.Equal(0, (await inner.GetHeadAsync(new BranchRef(new DocumentId(Doc), BranchName.Main))).Seq.Value);

            var refused = await Assert.ThrowsAsync<CollabException>(() => new DocumentTransfer(inner, restarted.Catalog, restarted.Directory).ImportAsync(new MemoryStream(export), "mallory", default));
            Assert.Equal(CollabErrorCode.Conflict, refused.Code);
            var result = await new DocumentTransfer(inner, restarted.Catalog, restarted.Directory).ImportAsync(new MemoryStream(export), "ivan", default);
            Assert.Equal(1302 + 700, result.Events);
            await CheckCompleteAsync(restarted, inner, export);
            restarted.Directory.Dispose();

            // Completed: the next restart finds an ordinary document and nothing pending.
            var again = Wire(inner, journal);
            await again.Log.ReconcileAllAsync(default);
            Assert.Empty(again.Log.PendingImports);
            Assert.Null(again.Directory.ImportBegunBy(Doc));
            Assert.Equal([new DocumentGrant(Doc, "ivan", DocumentRole.Owner)], again.Directory.Grants(Doc));
        }
        finally
        {
            File.Delete(journal);
        }
    }

    [Fact]
    public async Task a_create_cut_before_its_first_event_is_still_repaired_for_its_creator()
    {
        var journal = Path.Combine(Path.GetTempPath(), $"collab-import-{Guid.NewGuid():N}.jsonl");
        try
        {
            var inner = new InMemoryEventStore();
            await inner.CreateDocumentAsync(new DocumentId(Doc), "alice"); // a crash right after the store's document
            var restarted = Wire(inner, journal);
            var (_, repaired) = await restarted.Log.ReconcileAllAsync(default);
            Assert.Equal(1, repaired);
            Assert.Empty(restarted.Log.PendingImports);
            Assert.Equal([new DocumentGrant(Doc, "alice", DocumentRole.Owner)], restarted.Directory.Grants(Doc));
            restarted.Directory.Dispose();
        }
        finally
        {
            File.Delete(journal);
        }
    }

    [Fact]
    public async Task another_file_with_the_same_id_does_not_complete_an_interrupted_import()
    {
        var export = await ExportAsync("c");
        var other = await ExportAsync("d");
        var inner = new InMemoryEventStore();
        var store = FailingStore.Wrap(inner, failAppend: 2);
        var s = Wire(store);
        var transfer = new DocumentTransfer(store, s.Catalog, s.Directory);
        await Assert.ThrowsAsync<EventStoreException>(() => transfer.ImportAsync(new MemoryStream(export), "ivan", default));
        var head = await inner.GetHeadAsync(new BranchRef(new DocumentId(Doc), BranchName.Main));

        var refused = await Assert.ThrowsAsync<CollabException>(() => transfer.ImportAsync(new MemoryStream(other), "ivan", default));
        Assert.Equal(CollabErrorCode.Conflict, refused.Code);
        Assert.Contains("interrupted import of another file", refused.Message, StringComparison.Ordinal);
        Assert.Equal(head, await inner.GetHeadAsync(new BranchRef(new DocumentId(Doc), BranchName.Main)));

        await transfer.ImportAsync(new MemoryStream(export), "ivan", default);
        await CheckCompleteAsync(s, inner, export);
    }

    // The imported log is the file's, event for event, then one document.imported on main; ivan alone owns it.
    private static async Task CheckCompleteAsync(Services s, InMemoryEventStore inner, byte[] export)
    {
        var lines = await EventLinesAsync(s, inner);
        var expected = EventLines(export);
        var imported = Assert.Single(lines, l => l.Contains("document.imported", StringComparison.Ordinal));
        Assert.Equal(expected, lines.Where(l => l != imported).ToArray());
        Assert.Equal([new DocumentGrant(Doc, "ivan", DocumentRole.Owner)], s.Directory.Grants(Doc));
        foreach (var branch in await inner.ListBranchesAsync(new DocumentId(Doc))) Assert.True((await inner.VerifyAsync(branch.Ref)).IsValid);
    }

    /// <summary>The services as the server wires them over one store; a second instance over the same store is a restart.</summary>
    private sealed class Services : IAsyncDisposable
    {
        public Services(IEventStore store, string? journal)
        {
            Directory = new DocumentDirectory(journal);
            Records = new DocumentRecords(store);
            Sessions = new SessionManager(store, new YDocFactory(), new RecordingBroadcaster(), Options.Create(new LiveSessionOptions { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero }), TimeProvider.System, NullLogger<SessionManager>.Instance, Records);
            Log = new DirectoryLog(store, Sessions, Records, Directory);
            Catalog = new DocumentCatalog(store, Directory, TimeProvider.System, Log);
        }

        public DocumentDirectory Directory { get; }

        public DocumentRecords Records { get; }

        public SessionManager Sessions { get; }

        public DirectoryLog Log { get; }

        public DocumentCatalog Catalog { get; }

        public async ValueTask DisposeAsync()
        {
            await Sessions.DisposeAsync();
            Directory.Dispose();
        }
    }
}
