using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.Documents.Tests.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// Branching services wired as the server wires them, with the records projection (proposals, protection, settings,
/// audit) as the sessions' write guard. Document "doc-1": alice owner, erin and ed editors, vic viewer, ada auditor.
/// <see cref="RestartAsync"/> builds fresh services over the same store, as a process restart would.
/// </summary>
internal sealed class PolicyFixture : IAsyncDisposable
{
    public const string Doc = "doc-1";

    private PolicyFixture()
    {
        Store = new InMemoryEventStore(new EventStoreOptions { TimeProvider = Time });
        Directory = new DocumentDirectory(null);
        Catalog = new DocumentCatalog(Store, Directory, Time);
        Build();
    }

    public ManualTime Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public InMemoryEventStore Store { get; }

    public DocumentDirectory Directory { get; }

    public DocumentCatalog Catalog { get; }

    public RecordingBroadcaster Broadcaster { get; } = new();

    public DocumentRecords Records { get; private set; } = null!;

    public SessionManager Sessions { get; private set; } = null!;

    public BranchService Branches { get; private set; } = null!;

    public MergeService Merges { get; private set; } = null!;

    public ProposalService Proposals { get; private set; } = null!;

    public ProtectionService Protection { get; private set; } = null!;

    public SettingsService Settings { get; private set; } = null!;

    public AuditService Audit { get; private set; } = null!;

    public static async Task<PolicyFixture> CreateAsync()
    {
        var fixture = new PolicyFixture();
        await fixture.Catalog.CreateAsync(Doc, "Doc", "alice", default);
        fixture.Directory.Grant(Doc, "erin", DocumentRole.Editor);
        fixture.Directory.Grant(Doc, "ed", DocumentRole.Editor);
        fixture.Directory.Grant(Doc, "vic", DocumentRole.Viewer);
        fixture.Directory.Grant(Doc, "ada", DocumentRole.Auditor);
        return fixture;
    }

    public static BranchRef Ref(string branch) => new(new DocumentId(Doc), new BranchName(branch));

    /// <summary>Stops the sessions and builds every service again over the same store (nothing kept in memory).</summary>
    public async Task RestartAsync()
    {
        await Sessions.DisposeAsync();
        Build();
    }

    /// <summary>Joins the branch and sends the update as a client with <paramref name="user"/>'s role would.</summary>
    public async Task<long?> SendAsync(string branch, string connection, byte[] update, string user = "alice")
    {
        var caller = new SessionCaller(connection, user, Directory.RoleOf(Doc, user));
        await Sessions.JoinAsync(Ref(branch), caller, default);
        var outcome = await Sessions.SyncAsync(Ref(branch), caller, SyncMessage.EncodeUpdate(update), null, 1 << 20, default);
        return outcome.Seq;
    }

    /// <summary>The text of a branch as its log says (full replay).</summary>
    public async Task<string> LogTextAsync(string branch)
    {
        var doc = new YDoc();
        await foreach (var e in Store.ReadAsync(Ref(branch), new EventSeq(1), EventSeq.MaxValue)) doc.ApplyUpdate(e.Payload.ToArray());
        return doc.GetText("text").ToString();
    }

    public async Task<long> HeadAsync(string branch) => (await Store.GetHeadAsync(Ref(branch))).Seq.Value;

    public ResolutionService Resolutions { get; private set; } = null!;

    public async ValueTask DisposeAsync()
    {
        await Sessions.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Dispose();
    }

    private void Build()
    {
        Records = new DocumentRecords(Store);
        Sessions = new SessionManager(Store, new YDocFactory(), Broadcaster, Options.Create(new LiveSessionOptions { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero }), TimeProvider.System, NullLogger<SessionManager>.Instance, Records);
        Branches = new BranchService(Store, Catalog, Sessions, Records);
        Merges = new MergeService(Store, Catalog, Sessions, Options.Create(new MergeOptions()), Records);
        Resolutions = new ResolutionService(Store, Catalog, Sessions, Merges, new DecisionGate(), Options.Create(new MergeOptions()), Records);
        Proposals = new ProposalService(Store, Catalog, Sessions, Merges, Records, Resolutions);
        Protection = new ProtectionService(Catalog, Sessions, Records);
        Settings = new SettingsService(Catalog, Sessions, Records);
        Audit = new AuditService(Catalog, Records);
    }
}
