using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.Documents.History;
using Collab.EventStore;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// On a protected branch, decisions complete an approved proposal's merge, and nothing else changes it: reverts and
/// version restores are refused (made on a fork and proposed instead, or after lifting the protection).
/// </summary>
public sealed class ProtectedBranchPolicyTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;
    private RevertService _reverts = null!;
    private YDoc _main = null!;
    private YDoc _feature = null!;

    public async Task InitializeAsync()
    {
        _f = await PolicyFixture.CreateAsync();
        _reverts = new RevertService(_f.Store, _f.Catalog, _f.Sessions, new DecisionGate(), Options.Create(new MergeOptions()), _f.Records);
        _main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c-main", TextEdits.Append(_main, "The cat sat."));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "erin", default);
        _feature = new YDoc(new YDocOptions { ClientId = 10 });
        _feature.ApplyUpdate(_main.EncodeStateAsUpdate());
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static byte[] Replace(YDoc doc, string word) => TextEdits.Capture(doc, () =>
    {
        doc.GetText("text").Delete(4, 3);
        doc.GetText("text").Insert(4, word);
    });

    /// <summary>Proposes <paramref name="source"/> into main (by erin), approves it (alice) and merges it (alice).</summary>
    private async Task<string> MergeApprovedAsync(string source)
    {
        var p = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest(source, "main", source, null), "erin", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("approve", null), "alice", default);
        return (await _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "alice", default)).MergeId!;
    }

    [Fact]
    public async Task a_revert_on_a_protected_branch_is_refused_and_done_on_a_fork_through_an_approved_proposal()
    {
        await _f.SendAsync("feature", "c-feature", TextEdits.Append(_feature, " It purred."), "erin");
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var mergeId = await MergeApprovedAsync("feature");
        Assert.Equal("The cat sat. It purred.", await _f.LogTextAsync("main"));
        var head = await _f.HeadAsync("main");

        foreach (var request in new[] { new RevertRequest(null, mergeId, null, null, null), new RevertRequest("main", null, 0, null, null) })
        {
            var refused = await Assert.ThrowsAsync<CollabException>(() => _reverts.RevertAsync(PolicyFixture.Doc, request, "alice", default));
            Assert.Equal(CollabErrorCode.BranchProtected, refused.Code);
            Assert.Contains("Fork a branch from it, revert there", refused.Message, StringComparison.Ordinal);
        }
        Assert.Equal(head, await _f.HeadAsync("main"));

        // The reviewed way: revert the merge on a fork of main, propose the fork, approve, merge.
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "undo", "main", null, null, "erin", default);
        var reverted = await _reverts.RevertAsync(PolicyFixture.Doc, new RevertRequest("undo", mergeId, null, null, "no purring"), "alice", default);
        Assert.False(reverted.NothingToRevert);
        await MergeApprovedAsync("undo");
        Assert.Equal("The cat sat.", await _f.LogTextAsync("main"));

        // Or lift the protection first.
        await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "main", "alice", default);
        var direct = await _reverts.RevertAsync(PolicyFixture.Doc, new RevertRequest("main", null, head, null, null), "alice", default);
        Assert.False(direct.NothingToRevert);
        Assert.Equal("The cat sat. It purred.", await _f.LogTextAsync("main"));
    }

    [Fact]
    public async Task decisions_complete_an_approved_proposals_merge_but_not_a_direct_merge_made_before_the_protection()
    {
        await _f.SendAsync("feature", "c-feature", Replace(_feature, "cow"), "erin");
        await _f.SendAsync("main", "c-main", Replace(_main, "dog"));

        // A direct merge while main was unprotected, then main is protected: its conflict stays open until unprotected.
        var direct = await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("feature", "main", false, null, null), "alice", default);
        var conflict = Assert.Single(direct.Conflicts);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var head = await _f.HeadAsync("main");
        var decide = new ResolveRequest([new DecisionRequest(conflict.Id, "theirs", null)], null);
        var refused = await Assert.ThrowsAsync<CollabException>(() => _f.Resolutions.ResolveAsync(PolicyFixture.Doc, direct.MergeId!, decide, "alice", default));
        Assert.Equal(CollabErrorCode.BranchProtected, refused.Code);
        Assert.Contains($"merge {direct.MergeId} is not one", refused.Message, StringComparison.Ordinal);
        Assert.Equal(head, await _f.HeadAsync("main"));

        // The merge of an approved proposal into the protected main: its conflicts are decided there by an owner.
        await _f.SendAsync("feature", "c-feature", Replace(_feature, "owl"), "erin");
        var proposalMerge = await MergeApprovedAsync("feature");
        var open = Assert.Single(await _f.Resolutions.ListMergeConflictsAsync(PolicyFixture.Doc, proposalMerge, "alice", default));
        var decided = await _f.Resolutions.ResolveAsync(PolicyFixture.Doc, proposalMerge, new ResolveRequest([new DecisionRequest(open.Conflict.Id, "theirs", null)], null), "alice", default);
        Assert.NotNull(decided.ResolutionId);
        Assert.Equal("The owl sat.", await _f.LogTextAsync("main"));
        // Editors never decide, protected or not.
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => _f.Resolutions.ResolveAsync(PolicyFixture.Doc, direct.MergeId!, decide, "erin", default))).Code);

        await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "main", "alice", default);
        Assert.NotNull((await _f.Resolutions.ResolveAsync(PolicyFixture.Doc, direct.MergeId!, decide, "alice", default)).ResolutionId);
    }

    [Fact]
    public async Task restoring_a_version_onto_a_protected_branch_is_refused_and_works_on_a_fork()
    {
        var versions = new VersionService(_f.Store, _f.Catalog, new HistoryIndex(_f.Store), _f.Sessions, _f.Records);
        await versions.CreateAsync(PolicyFixture.Doc, new CreateVersionRequest("first", "main", null), "alice", default);
        await _f.SendAsync("main", "c-main", TextEdits.Append(_main, " Then slept."));
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var head = await _f.HeadAsync("main");

        foreach (var user in new[] { "alice", "erin" })
        {
            var refused = await Assert.ThrowsAsync<CollabException>(() => versions.RestoreAsync(PolicyFixture.Doc, "first", new RestoreRequest("main"), user, default));
            Assert.Equal(CollabErrorCode.BranchProtected, refused.Code);
        }
        Assert.Equal(head, await _f.HeadAsync("main"));

        await _f.Branches.ForkAsync(PolicyFixture.Doc, "restore", "main", null, null, "erin", default);
        Assert.True((await versions.RestoreAsync(PolicyFixture.Doc, "first", new RestoreRequest("restore"), "erin", default)).Changed);
        Assert.Equal("The cat sat.", await _f.LogTextAsync("restore"));
    }
}
