using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.Documents.Tests.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Tests.Access;

/// <summary>Creation, titles and roles as <c>directory</c> events in the document's log, and the directory rebuilt from them.</summary>
public sealed class DirectoryLogTests : IAsyncLifetime
{
    private const string Doc = "doc-dir";
    private static readonly BranchRef Main = new(new DocumentId(Doc), new BranchName("main"));

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "collab-directory-log-tests", Guid.NewGuid().ToString("N"));
    private readonly InMemoryEventStore _store = new();
    private Services _s = null!;

    private string JournalPath => Path.Combine(_folder, "directory.jsonl");

    public Task InitializeAsync()
    {
        _s = new Services(_store, JournalPath);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _s.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task creating_retitling_granting_and_revoking_each_write_a_directory_event_and_the_chain_stays_valid()
    {
        await _s.Catalog.CreateAsync(Doc, "Plan", "alice", default);
        await _s.Catalog.RetitleAsync(Doc, "Plan v2", "alice", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "bob", "editor", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "carol", "viewer", default);
        Assert.True(await _s.Catalog.RevokeAsync(Doc, "alice", "carol", default));

        var events = await _store.ReadPageAsync(Main, new EventSeq(1), 100);
        Assert.All(events, e => Assert.Equal("directory", e.Kind.Value));
        Assert.Equal(
            ["document.created", "document.retitled", "role.granted", "role.granted", "role.revoked"],
            events.Select(e => e.Record!.Type).ToArray());
        Assert.Equal(1, events[0].Seq.Value);
        Assert.Equal("Plan", events[0].Record!.Fields["title"]);
        Assert.Equal("alice", events[0].Record!.Fields["owner"]);
        Assert.Equal("Plan v2", events[1].Record!.Fields["title"]);
        Assert.Equal("bob", events[2].Record!.Fields["user"]);
        Assert.Equal("editor", events[2].Record!.Fields["role"]);
        Assert.Equal("carol", events[4].Record!.Fields["user"]);
        Assert.All(events, e => Assert.Equal("alice", e.Author));

        Assert.True((await _store.VerifyAsync(Main)).IsValid);
        Assert.Equal(DocumentRole.Editor, _s.Directory.RoleOf(Doc, "bob"));
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "carol"));
        Assert.Equal("Plan v2", _s.Directory.Find(Doc)!.Title);
    }

    [Fact]
    public async Task refused_changes_write_no_event()
    {
        await _s.Catalog.CreateAsync(Doc, "Plan", "alice", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "bob", "editor", default);

        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => _s.Catalog.GrantAsync(Doc, "bob", "eve", "owner", default))).Code);
        Assert.Equal(CollabErrorCode.Conflict, (await Assert.ThrowsAsync<CollabException>(() => _s.Catalog.RevokeAsync(Doc, "alice", "alice", default))).Code);
        Assert.Equal(CollabErrorCode.Conflict, (await Assert.ThrowsAsync<CollabException>(() => _s.Catalog.GrantAsync(Doc, "alice", "alice", "viewer", default))).Code);
        Assert.Equal(CollabErrorCode.Invalid, (await Assert.ThrowsAsync<CollabException>(() => _s.Catalog.GrantAsync(Doc, "alice", "eve", "admin", default))).Code);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => _s.Catalog.RetitleAsync(Doc, "Mine", "bob", default))).Code);
        Assert.False(await _s.Catalog.RevokeAsync(Doc, "alice", "nobody", default));

        Assert.Equal(2, (await _store.GetHeadAsync(Main)).Seq.Value);
    }

    [Fact]
    public async Task two_owners_revoking_each_other_at_once_leave_one_owner_in_the_log_and_the_directory()
    {
        await _s.Catalog.CreateAsync(Doc, "Plan", "alice", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "bob", "owner", default);

        var outcomes = await Task.WhenAll(
            Outcome(() => _s.Catalog.RevokeAsync(Doc, "bob", "alice", default)),
            Outcome(() => _s.Catalog.RevokeAsync(Doc, "alice", "bob", default)));
        Assert.Single(outcomes, o => o is null); // one succeeded; the other was refused (no longer an owner, or the last one)

        var owners = _s.Catalog.Grants(Doc, _s.Directory.RoleOf(Doc, "alice") == DocumentRole.Owner ? "alice" : "bob");
        Assert.Single(owners);
        var revoked = (await _store.ReadPageAsync(Main, new EventSeq(1), 100)).Count(e => e.Record!.Type == DirectoryRecords.RoleRevoked);
        Assert.Equal(1, revoked);

        static async Task<CollabErrorCode?> Outcome(Func<Task<bool>> revoke)
        {
            try
            {
                Assert.True(await revoke());
                return null;
            }
            catch (CollabException ex)
            {
                return ex.Code;
            }
        }
    }

    [Fact]
    public async Task the_directory_is_rebuilt_from_the_log_after_a_restart_with_the_journal_deleted()
    {
        await _s.Catalog.CreateAsync(Doc, "Plan", "alice", default);
        await _s.Catalog.RetitleAsync(Doc, "Plan v2", "alice", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "bob", "owner", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "carol", "auditor", default);
        Assert.True(await _s.Catalog.RevokeAsync(Doc, "bob", "alice", default));

        await _s.DisposeAsync();
        File.Delete(JournalPath);
        _s = new Services(_store, JournalPath);
        Assert.Null(_s.Directory.Find(Doc));

        var (documents, repaired) = await _s.Log.ReconcileAllAsync(default);
        Assert.Equal((1, 0), (documents, repaired));
        Assert.Equal("Plan v2", _s.Directory.Find(Doc)!.Title);
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "alice"));
        Assert.Equal(DocumentRole.Owner, _s.Directory.RoleOf(Doc, "bob"));
        Assert.Equal(DocumentRole.Auditor, _s.Directory.RoleOf(Doc, "carol"));

        // Access checks answer as before the restart.
        Assert.Equal(CollabErrorCode.Forbidden, Assert.Throws<CollabException>(() => _s.Catalog.Grants(Doc, "alice")).Code);
        Assert.Equal(2, _s.Catalog.Grants(Doc, "bob").Count);
        Assert.Equal(CollabErrorCode.Forbidden, Assert.Throws<CollabException>(() => _s.Catalog.Grants(Doc, "carol")).Code);
        Assert.Equal("auditor", _s.Catalog.Get(Doc, "carol").Role);

        // The rebuilt journal is the projection again: a second restart without reconciling sees the same.
        await _s.DisposeAsync();
        _s = new Services(_store, JournalPath);
        Assert.Equal(DocumentRole.Owner, _s.Directory.RoleOf(Doc, "bob"));
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "alice"));
    }

    [Fact]
    public async Task a_change_in_the_log_that_the_journal_missed_wins_at_startup()
    {
        await _s.Catalog.CreateAsync(Doc, "Plan", "alice", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "bob", "editor", default);
        // A crash after the revoke event was durable but before the journal line: the log has it, the journal does not.
        await _s.Log.WriteAsync(Doc, DirectoryRecords.RoleRevoked, new() { ["user"] = "bob" }, "alice", default);
        Assert.Equal(DocumentRole.Editor, _s.Directory.RoleOf(Doc, "bob"));

        await _s.DisposeAsync();
        _s = new Services(_store, JournalPath);
        Assert.Equal(DocumentRole.Editor, _s.Directory.RoleOf(Doc, "bob")); // the journal's (stale) cache
        await _s.Log.ReconcileAllAsync(default);
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "bob"));
    }

    [Fact]
    public async Task a_crash_between_creating_the_document_and_its_first_event_is_repaired_with_the_creator_as_owner()
    {
        await _store.CreateDocumentAsync(new DocumentId(Doc), "alice");
        Assert.Null(_s.Directory.Find(Doc));

        var (_, repaired) = await _s.Log.ReconcileAllAsync(default);
        Assert.Equal(1, repaired);
        Assert.Equal(DocumentRole.Owner, _s.Directory.RoleOf(Doc, "alice"));
        var first = (await _store.ReadPageAsync(Main, new EventSeq(1), 1)).Single();
        Assert.Equal("document.created", first.Record!.Type);
        Assert.Equal("true", first.Record!.Fields["repaired"]);

        // Repaired once: a later startup finds the event and writes nothing.
        Assert.Equal(0, (await _s.Log.ReconcileAllAsync(default)).Repaired);
        Assert.Equal(1, (await _store.GetHeadAsync(Main)).Seq.Value);
    }

    [Fact]
    public async Task a_document_without_a_created_event_keeps_its_journal_state()
    {
        // Older data: created before directory events existed (journal only, no directory events in the log).
        await _store.CreateDocumentAsync(new DocumentId(Doc), "alice");
        _s.Directory.Add(new DocumentEntry(Doc, "Old", "alice", DateTimeOffset.UnixEpoch));
        _s.Directory.Grant(Doc, "bob", DocumentRole.Viewer);

        var (_, repaired) = await _s.Log.ReconcileAllAsync(default);
        Assert.Equal(0, repaired);
        Assert.Equal(DocumentRole.Viewer, _s.Directory.RoleOf(Doc, "bob"));
        Assert.Equal(0, (await _store.GetHeadAsync(Main)).Seq.Value);
    }

    [Fact]
    public async Task the_audit_trail_lists_directory_events_with_who_when_and_hash()
    {
        await _s.Catalog.CreateAsync(Doc, "Plan", "alice", default);
        await _s.Catalog.GrantAsync(Doc, "alice", "audrey", "auditor", default);

        var page = await _s.Audit.ReadAsync(Doc, null, null, "audrey", default);
        var grant = page.Entries.Single(e => e.Type == "role.granted");
        Assert.Equal("directory", grant.Kind);
        Assert.Equal("alice", grant.By);
        Assert.Equal("audrey", grant.Fields["user"]);
        Assert.Equal("auditor", grant.Fields["role"]);
        var stored = (await _store.ReadPageAsync(Main, new EventSeq(grant.Seq), 1)).Single();
        Assert.Equal(stored.Hash.ToString(), grant.Hash);
        Assert.Equal(stored.ServerTime, grant.At);
        Assert.Contains(page.Entries, e => e.Type == "document.created" && e.By == "alice");
    }

    [Fact]
    public async Task an_import_makes_the_importer_the_only_owner_and_later_changes_apply_after_a_restart()
    {
        // The imported log: alice created it and gave bob owner; ivan imports it.
        var (id, title) = await _s.Catalog.BeginImportAsync(Doc, "Plan", "ivan", default);
        await _store.AppendAsync(Main, [
            new NewEvent(DirectoryRecords.Kind, DomainEvent.EmptyUpdate, "alice") { Record = new DomainRecord(DirectoryRecords.DocumentCreated, new Dictionary<string, string> { ["title"] = "Plan", ["owner"] = "alice" }) },
            new NewEvent(DirectoryRecords.Kind, DomainEvent.EmptyUpdate, "alice") { Record = new DomainRecord(DirectoryRecords.RoleGranted, new Dictionary<string, string> { ["user"] = "bob", ["role"] = "owner" }) },
        ]);
        Assert.Null(_s.Directory.Find(Doc)); // nobody reaches it while its events are written

        var view = await _s.Catalog.CompleteImportAsync(id, title, "ivan", new Dictionary<string, string> { ["exportedSeq"] = "2" }, default);
        Assert.Equal(("owner", "Plan", "ivan"), (view.Role, view.Title, view.CreatedBy));
        var imported = (await _store.ReadPageAsync(Main, new EventSeq(3), 1)).Single();
        Assert.Equal((DirectoryRecords.DocumentImported, "ivan", "ivan", "2"), (imported.Record!.Type, imported.Author, imported.Record.Fields["owner"], imported.Record.Fields["exportedSeq"]));
        Assert.Equal([new DocumentGrant(Doc, "ivan", DocumentRole.Owner)], _s.Directory.Grants(Doc));
        await _s.Catalog.GrantAsync(Doc, "ivan", "judy", "viewer", default);

        await _s.DisposeAsync();
        File.Delete(JournalPath);
        _s = new Services(_store, JournalPath);
        Assert.Equal((1, 0), await _s.Log.ReconcileAllAsync(default));
        Assert.Equal(
            [new DocumentGrant(Doc, "ivan", DocumentRole.Owner), new DocumentGrant(Doc, "judy", DocumentRole.Viewer)],
            _s.Directory.Grants(Doc).OrderBy(g => g.User, StringComparer.Ordinal));
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "alice"));
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "bob"));
        Assert.True((await _store.VerifyAsync(Main)).IsValid);
    }

    [Fact]
    public async Task an_import_a_crash_interrupted_is_given_to_nobody_and_left_as_it_is_for_its_importer_to_resume()
    {
        await _s.Catalog.BeginImportAsync(Doc, "Plan", "ivan", default);
        await _store.AppendAsync(Main, [new NewEvent(DirectoryRecords.Kind, DomainEvent.EmptyUpdate, "alice") { Record = new DomainRecord(DirectoryRecords.DocumentCreated, new Dictionary<string, string> { ["title"] = "Plan", ["owner"] = "alice" }) }]);

        await _s.DisposeAsync();
        _s = new Services(_store, JournalPath);
        Assert.Equal((1, 0), await _s.Log.ReconcileAllAsync(default));
        Assert.Equal([(Doc, "ivan")], _s.Log.PendingImports);
        // Neither the imported log's owner nor the importer can reach it, and nothing was written to it.
        Assert.Null(_s.Directory.Find(Doc));
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "alice"));
        Assert.Equal(DocumentRole.None, _s.Directory.RoleOf(Doc, "ivan"));
        Assert.Equal(1, (await _store.GetHeadAsync(Main)).Seq.Value);
        Assert.Equal((1, 0), await _s.Log.ReconcileAllAsync(default));
        Assert.Equal(1, (await _store.GetHeadAsync(Main)).Seq.Value);
    }

    /// <summary>The services as the server wires them; a new instance over the same store is a restart.</summary>
    private sealed class Services : IAsyncDisposable
    {
        public Services(InMemoryEventStore store, string journalPath)
        {
            Directory = new DocumentDirectory(journalPath);
            Records = new DocumentRecords(store);
            Sessions = new SessionManager(store, new YDocFactory(), new RecordingBroadcaster(), Options.Create(new LiveSessionOptions { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero }), TimeProvider.System, NullLogger<SessionManager>.Instance, Records);
            Log = new DirectoryLog(store, Sessions, Records, Directory);
            Catalog = new DocumentCatalog(store, Directory, TimeProvider.System, Log);
            Audit = new AuditService(Catalog, Records);
        }

        public DocumentDirectory Directory { get; }

        public DocumentRecords Records { get; }

        public SessionManager Sessions { get; }

        public DirectoryLog Log { get; }

        public DocumentCatalog Catalog { get; }

        public AuditService Audit { get; }

        public async ValueTask DisposeAsync()
        {
            await Sessions.DisposeAsync();
            Directory.Dispose();
        }
    }
}
