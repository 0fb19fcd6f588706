using Collab.Crdt.Document;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;

namespace Collab.Documents.Tests.History;

public sealed class StructuredDiffTests : IAsyncLifetime
{
    private HistoryFixture _f = null!;

    public async Task InitializeAsync() => _f = await HistoryFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task map_keys_and_array_elements_are_diffed_and_blamed_one_by_one()
    {
        var alice = new YDoc(new YDocOptions { ClientId = 11 });
        await _f.B.SendAsync("main", "a", TextEdits.Capture(alice, () =>
        {
            alice.GetMap("meta").Set("title", "Draft");
            alice.GetMap("meta").Set("owner", "alice");
            alice.GetArray("tags").Insert(0, ["red", "green"]);
        }), "alice");
        var erin = new YDoc(new YDocOptions { ClientId = 12 });
        erin.ApplyUpdate(alice.EncodeStateAsUpdate());
        await _f.B.SendAsync("main", "e", TextEdits.Capture(erin, () =>
        {
            erin.GetMap("meta").Set("title", "Final");
            erin.GetMap("meta").Delete("owner");
            erin.GetMap("meta").Set("pages", 2.0);
            erin.GetArray("tags").Insert(1, ["blue"]);
            erin.GetArray("tags").Delete(0, 1);
        }), "erin");

        var diff = await _f.Diffs.CompareAsync(BranchingFixture.Doc, PositionQuery.Parse("main@1", "base"), PositionQuery.Parse("main@2", "head"), "aud", default);
        var meta = diff.Roots.Single(r => r.Name == "meta");
        Assert.Equal("map", meta.Kind);
        Assert.Equal(
            [
                ("delete", "owner", "\"alice\"", null, "alice", "erin"),
                ("insert", "pages", "2", null, "erin", null),
                ("modify", "title", "\"Final\"", "\"Draft\"", "erin", "erin"),
            ],
            meta.Segments.Select(s => (s.Op, s.Key!, s.Content, s.OldContent, s.InsertedBy?.Author, s.DeletedBy?.Author)));
        var tags = diff.Roots.Single(r => r.Name == "tags");
        Assert.Equal(
            [("delete", "[\"red\"]", "alice"), ("insert", "[\"blue\"]", "erin"), ("equal", "[\"green\"]", null)],
            tags.Segments.Select(s => (s.Op, s.Content, s.InsertedBy?.Author)));
        var unified = UnifiedOf(await _f.Diffs.UnifiedAsync(BranchingFixture.Doc, PositionQuery.Parse("main@1", "base"), PositionQuery.Parse("main", "head"), "aud", default));
        Assert.Contains("-owner: \"alice\"", unified);
        Assert.Contains("+title: \"Final\"", unified);

        var blame = await _f.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "aud", default);
        Assert.Equal(
            [("pages", "erin"), ("title", "erin")],
            blame.Roots.Single(r => r.Name == "meta").Ranges.Select(r => (r.Key!, r.InsertedBy!.Author)));
        Assert.Equal(
            [("[\"blue\"]", "erin", 0), ("[\"green\"]", "alice", 1)],
            blame.Roots.Single(r => r.Name == "tags").Ranges.Select(r => (r.Content, r.InsertedBy!.Author, r.Start)));
    }

    private static List<string> UnifiedOf(string text) => [.. text.Split('\n')];
}
