using Collab.Crdt.Document;
using Collab.Documents.Branching;

namespace Collab.Documents.Tests.Branching;

/// <summary>Ahead/behind count the events that change content; record-only events (reviews, protection, settings) do not.</summary>
public sealed class AheadBehindTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;

    public async Task InitializeAsync() => _f = await PolicyFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task<(long? Ahead, long? Behind)> CountsAsync(string branch)
    {
        var details = await _f.Branches.GetAsync(PolicyFixture.Doc, branch, "vic", default);
        return (details.Ahead, details.Behind);
    }

    [Fact]
    public async Task records_on_either_branch_do_not_count_and_merges_do()
    {
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(main, "one"));
        await _f.SendAsync("main", "c1", TextEdits.Append(main, " two"));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "f", "main", null, null, "erin", default);
        Assert.Equal((0L, 0L), await CountsAsync("f"));

        // On main: records around two edits. On f: three edits and protection records.
        var feature = new YDoc(new YDocOptions { ClientId = 2 });
        feature.ApplyUpdate(main.EncodeStateAsUpdate());
        await _f.Settings.SetAsync(PolicyFixture.Doc, true, "alice", default);
        await _f.SendAsync("main", "c1", TextEdits.Append(main, " three"));
        await _f.SendAsync("f", "c2", TextEdits.Append(feature, " A"), "erin");
        var proposal = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("f", "main", "A", null), "erin", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, proposal.Id, new ReviewRequest("request-changes", null), "alice", default);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "f", "alice", default);
        await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "f", "alice", default);
        await _f.SendAsync("f", "c2", TextEdits.Append(feature, " B"), "erin");
        await _f.SendAsync("f", "c2", TextEdits.Append(feature, " C"), "erin");
        await _f.SendAsync("main", "c1", TextEdits.Append(main, " four"));
        await _f.Settings.SetAsync(PolicyFixture.Doc, false, "alice", default);
        Assert.Equal(8, await _f.HeadAsync("main")); // 2 + settings, edit, opened, review, edit, settings
        Assert.Equal(7, await _f.HeadAsync("f")); // 2 + A, protected, unprotected, B, C
        Assert.Equal((3L, 2L), await CountsAsync("f"));

        // A branch forked from f at a position f inherited from main counts along the chain: main's seq 2, then f's own.
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "g", "f", 1, null, "erin", default);
        Assert.Equal((0L, 4L), await CountsAsync("g"));

        // The merge into main is a content event on main; f is then 0 ahead and 3 behind (two edits and the merge).
        await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("f", "main", false, null, null), "alice", default);
        Assert.Equal((0L, 3L), await CountsAsync("f"));
        await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("main", "f", false, null, null), "alice", default);
        Assert.Equal((1L, 0L), await CountsAsync("f"));

        // Counts are kept incrementally: after a restart (nothing in memory) they are the same, and a new record does not move them.
        await _f.RestartAsync();
        Assert.Equal((1L, 0L), await CountsAsync("f"));
        await _f.Proposals.CloseAsync(PolicyFixture.Doc, proposal.Id, new CloseProposalRequest(null), "erin", default);
        Assert.Equal((1L, 0L), await CountsAsync("f"));
        Assert.Equal((0L, 5L), await CountsAsync("g")); // f's merge of main counts too
        Assert.Equal((null, null), await CountsAsync("main"));
    }
}
