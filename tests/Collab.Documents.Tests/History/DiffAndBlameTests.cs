using Collab.Documents.History;
using Collab.Documents.Tests.Branching;

namespace Collab.Documents.Tests.History;

public sealed class DiffAndBlameTests : StoryTests
{
    [Fact]
    public async Task blame_after_a_merge_names_the_source_branch_author_and_event_not_the_merge()
    {
        var blame = await F.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main"), "text", "aud", default);
        Assert.Equal(4, blame.Position.Seq);
        var ranges = Assert.Single(blame.Roots).Ranges;
        Assert.Equal("The black cat slept. It purred.", string.Concat(ranges.Select(r => r.Content)));
        Assert.Equal(
            [
                ("The", "alice", "main", 1L),
                (" black", "erin", "feature", 3L),
                (" cat ", "alice", "main", 1L),
                ("slept", "alice", "main", 3L),
                (".", "alice", "main", 1L),
                (" It purred.", "erin", "main", 2L),
            ],
            ranges.Select(r => (r.Content, r.InsertedBy!.Author, r.InsertedBy.Branch, r.InsertedBy.Seq)));
        Assert.Equal([0, 3, 9, 14, 19, 20], ranges.Select(r => r.Start));
        Assert.Equal(HistoryFixture.Start.AddMinutes(2), ranges[1].InsertedBy!.Time);
        Assert.Equal([new AuthorShare("alice", 14), new AuthorShare("erin", 17)], blame.Authors.OrderBy(a => a.Author));
    }

    [Fact]
    public async Task blame_at_an_earlier_seq_shows_that_version()
    {
        var blame = await F.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main", 2), null, "alice", default);
        var ranges = Assert.Single(blame.Roots).Ranges;
        Assert.Equal([("The cat sat.", "alice"), (" It purred.", "erin")], ranges.Select(r => (r.Content, r.InsertedBy!.Author)));
    }

    [Fact]
    public async Task diff_of_one_branch_names_who_inserted_and_who_deleted_in_which_event()
    {
        var diff = await F.Diffs.CompareAsync(BranchingFixture.Doc, PositionQuery.Parse("main@2", "base"), PositionQuery.Parse("main@4", "head"), "aud", default);
        var root = Assert.Single(diff.Roots);
        Assert.Equal("text", root.Kind);
        Assert.Equal(6 + 5, root.Inserted);
        Assert.Equal(3, root.Deleted);
        Assert.Equal(
            [
                ("equal", "The", null, null),
                ("insert", " black", "erin@feature:3", null),
                ("equal", " cat ", null, null),
                ("delete", "sat", "alice@main:1", "alice@main:3"),
                ("insert", "slept", "alice@main:3", null),
                ("equal", ". It purred.", null, null),
            ],
            root.Segments.Select(s => (s.Op, s.Content, Mark(s.InsertedBy), Mark(s.DeletedBy))));
    }

    [Fact]
    public async Task diff_between_two_branches_shows_what_each_side_has()
    {
        var diff = await F.Diffs.CompareAsync(BranchingFixture.Doc, PositionQuery.Parse("main@3", "base"), PositionQuery.Parse("feature", "head"), "aud", default);
        var root = Assert.Single(diff.Roots);
        var changes = root.Segments.Where(s => s.Op != "equal").Select(s => (s.Op, s.Content, Mark(s.InsertedBy))).ToList();
        Assert.Contains(("insert", " black", "erin@feature:3"), changes);
        Assert.Contains(("delete", "slept", "alice@main:3"), changes);
        Assert.Contains(("insert", "sat", "alice@main:1"), changes);
        Assert.Equal("The black cat sat. It purred.", string.Concat(root.Segments.Where(s => s.Op != "delete").Select(s => s.Content)));
        Assert.Equal("The cat slept. It purred.", string.Concat(root.Segments.Where(s => s.Op != "insert").Select(s => s.Content)));
    }

    [Fact]
    public async Task unified_diff_shows_the_changed_line()
    {
        var unified = await F.Diffs.UnifiedAsync(BranchingFixture.Doc, PositionQuery.Parse("main@2", "base"), PositionQuery.Parse("main", "head"), "aud", default);
        Assert.Equal(
            "--- a/text\tmain@2\n+++ b/text\tmain@4\n@@ -1,1 +1,1 @@\n-The cat sat. It purred.\n\\ No newline at end of file\n+The black cat slept. It purred.\n\\ No newline at end of file\n",
            unified);
    }

    [Fact]
    public async Task a_diff_of_equal_positions_changes_nothing()
    {
        var diff = await F.Diffs.CompareAsync(BranchingFixture.Doc, PositionQuery.Parse("main@4", "base"), PositionQuery.Parse("main", "head"), "aud", default);
        Assert.All(diff.Roots, r => Assert.Equal(0, r.Inserted + r.Deleted));
        Assert.Equal("", await F.Diffs.UnifiedAsync(BranchingFixture.Doc, PositionQuery.Parse("main@4", "base"), PositionQuery.Parse("main", "head"), "aud", default));
    }

    [Fact]
    public async Task refusals_are_clear()
    {
        var missing = await Assert.ThrowsAsync<CollabException>(() => F.Diffs.CompareAsync("nope", new PositionQuery("main"), new PositionQuery("main"), "alice", default));
        Assert.Equal(CollabErrorCode.NotFound, missing.Code);
        var badSeq = await Assert.ThrowsAsync<CollabException>(() => F.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main", 99), null, "alice", default));
        Assert.Equal(CollabErrorCode.Invalid, badSeq.Code);
        var noBranch = await Assert.ThrowsAsync<CollabException>(() => F.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("ghost"), null, "alice", default));
        Assert.Equal(CollabErrorCode.NotFound, noBranch.Code);
        var viewer = await Assert.ThrowsAsync<CollabException>(() => F.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "vic", default));
        Assert.Equal(CollabErrorCode.Forbidden, viewer.Code);
        Assert.Throws<CollabException>(() => PositionQuery.Parse("main@yesterday-ish", "base"));
    }

    private static string? Mark(EventMark? e) => e is null ? null : $"{e.Author}@{e.Branch}:{e.Seq}";
}
