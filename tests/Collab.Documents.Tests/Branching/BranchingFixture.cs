using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.Documents.Tests.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Branching;

/// <summary>A time source the tests move by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Sessions, branches and merges over one in-memory store, with a document "doc-1" owned by alice.</summary>
internal sealed class BranchingFixture : IAsyncDisposable
{
    public const string Doc = "doc-1";

    private BranchingFixture(ManualTime time)
    {
        Time = time;
        Store = new InMemoryEventStore(new EventStoreOptions { TimeProvider = time });
        Directory = new DocumentDirectory(null);
        Catalog = new DocumentCatalog(Store, Directory, time);
        Sessions = new SessionManager(Store, new YDocFactory(), Broadcaster, Microsoft.Extensions.Options.Options.Create(new LiveSessionOptions { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero }), TimeProvider.System, NullLogger<SessionManager>.Instance);
        Branches = new BranchService(Store, Catalog, Sessions);
        Merges = new MergeService(Store, Catalog, Sessions, Microsoft.Extensions.Options.Options.Create(new MergeOptions()));
    }

    public ManualTime Time { get; }

    public InMemoryEventStore Store { get; }

    public DocumentDirectory Directory { get; }

    public DocumentCatalog Catalog { get; }

    public RecordingBroadcaster Broadcaster { get; } = new();

    public SessionManager Sessions { get; }

    public BranchService Branches { get; }

    public MergeService Merges { get; }

    public static async Task<BranchingFixture> CreateAsync()
    {
        var fixture = new BranchingFixture(new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await fixture.Catalog.CreateAsync(Doc, "Doc", "alice", default);
        fixture.Directory.Grant(Doc, "erin", DocumentRole.Editor);
        fixture.Directory.Grant(Doc, "vic", DocumentRole.Viewer);
        return fixture;
    }

    public static BranchRef Ref(string branch) => new(new DocumentId(Doc), new BranchName(branch));

    /// <summary>Joins <paramref name="connection"/> to the branch and sends the update as a client would.</summary>
    public async Task<long?> SendAsync(string branch, string connection, byte[] update, string user = "alice")
    {
        var branchRef = Ref(branch);
        var caller = Caller(connection, user);
        await Sessions.JoinAsync(branchRef, caller, default);
        var outcome = await Sessions.SyncAsync(branchRef, caller, SyncMessage.EncodeUpdate(update), null, 1 << 20, default);
        return outcome.Seq;
    }

    /// <summary>A writing caller.</summary>
    public static SessionCaller Caller(string connection, string user = "alice") => new(connection, user, DocumentRole.Owner);

    /// <summary>The text of a branch as its log says (full replay).</summary>
    public async Task<string> LogTextAsync(string branch, long? at = null)
    {
        var doc = new YDoc();
        await foreach (var e in Store.ReadAsync(Ref(branch), new EventSeq(1), at is { } a ? new EventSeq(a) : EventSeq.MaxValue)) doc.ApplyUpdate(e.Payload.ToArray());
        return doc.GetText("text").ToString();
    }

    /// <summary>The text of a branch's live session.</summary>
    public async Task<string> LiveTextAsync(string branch)
    {
        var (_, content) = await Sessions.ReadContentAsync(Ref(branch), default);
        var doc = new YDoc();
        doc.ApplyUpdate(content);
        return doc.GetText("text").ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Sessions.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Dispose();
    }
}
