using Collab.Crdt.Document;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;

namespace Collab.Documents.Tests.History;

/// <summary>
/// The branching fixture plus the history services, with an auditor ("aud") on doc-1, and a known small history:
/// <code>
/// main     1 alice  "The cat sat."                       (client 1, 00:00)
/// main     2 erin   + " It purred."                       (client 2, 00:01)
/// feature  forked at main@2
/// feature  3 erin   + " black" after "The"               (client 3, 00:02)
/// main     3 alice  "sat" → "slept"                       (client 1, 00:20)
/// main     4 alice  merge feature → main                  (00:21)  "The black cat slept. It purred."
/// </code>
/// </summary>
internal sealed class HistoryFixture : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private HistoryFixture(BranchingFixture branching)
    {
        B = branching;
        Index = new HistoryIndex(B.Store);
        Content = new ContentService(B.Store, B.Catalog, Index);
        Diffs = new DiffService(B.Store, B.Catalog, Index);
        Blame = new BlameService(B.Store, B.Catalog, Index);
        Activity = new ActivityService(B.Store, B.Catalog, Index);
        Versions = new VersionService(B.Store, B.Catalog, Index, B.Sessions);
    }

    public BranchingFixture B { get; }

    public HistoryIndex Index { get; }

    public ContentService Content { get; }

    public DiffService Diffs { get; }

    public BlameService Blame { get; }

    public ActivityService Activity { get; }

    public VersionService Versions { get; }

    public YDoc Alice { get; } = new(new YDocOptions { ClientId = 1 });

    public YDoc Erin { get; } = new(new YDocOptions { ClientId = 2 });

    public YDoc ErinOnFeature { get; } = new(new YDocOptions { ClientId = 3 });

    public static async Task<HistoryFixture> CreateAsync()
    {
        var f = new HistoryFixture(await BranchingFixture.CreateAsync());
        f.B.Directory.Grant(BranchingFixture.Doc, "aud", DocumentRole.Auditor);
        return f;
    }

    /// <summary>Writes the small history of the class comment.</summary>
    public async Task WriteStoryAsync()
    {
        At(0);
        await B.SendAsync("main", "alice-1", TextEdits.Append(Alice, "The cat sat."), "alice");
        At(1);
        Erin.ApplyUpdate(Alice.EncodeStateAsUpdate());
        await B.SendAsync("main", "erin-1", TextEdits.Append(Erin, " It purred."), "erin");
        Alice.ApplyUpdate(Erin.EncodeStateAsUpdate());
        await B.Branches.ForkAsync(BranchingFixture.Doc, "feature", "main", 2, null, "erin", default);
        At(2);
        ErinOnFeature.ApplyUpdate(Erin.EncodeStateAsUpdate());
        await B.SendAsync("feature", "erin-2", TextEdits.Capture(ErinOnFeature, () => ErinOnFeature.GetText("text").Insert(3, " black")), "erin");
        At(20);
        await B.SendAsync("main", "alice-1", TextEdits.Capture(Alice, () =>
        {
            Alice.GetText("text").Delete(8, 3);
            Alice.GetText("text").Insert(8, "slept");
        }), "alice");
        At(21);
        var merged = await B.Merges.MergeAsync(BranchingFixture.Doc, new MergeRequest("feature", "main", false, "black cat", null), "alice", default);
        Assert.NotNull(merged.MergeId);
    }

    /// <summary>Moves the store's clock to <paramref name="minutes"/> after the start.</summary>
    public void At(double minutes) => B.Time.Now = Start.AddMinutes(minutes);

    public async ValueTask DisposeAsync() => await B.DisposeAsync();
}

/// <summary>Tests that start from <see cref="HistoryFixture.WriteStoryAsync"/>'s small history.</summary>
public abstract class StoryTests : IAsyncLifetime
{
    private HistoryFixture? _fixture;

    internal HistoryFixture F => _fixture ?? throw new InvalidOperationException("not initialized");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _fixture = await HistoryFixture.CreateAsync();
        await _fixture.WriteStoryAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_fixture is not null) await _fixture.DisposeAsync();
    }
}
