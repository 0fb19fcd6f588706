using Collab.Documents.Access;
using Collab.Documents.Proofs;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;
using Collab.EventStore.Merkle;

namespace Collab.Documents.Tests.Proofs;

public sealed class ProofServiceTests
{
    [Fact]
    public async Task verify_all_names_the_first_broken_event_with_the_branch_it_was_appended_to()
    {
        await using var fixture = await BranchingFixture.CreateAsync();
        var main = BranchingFixture.Ref("main");
        for (var i = 0; i < 10; i++) await fixture.Store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 1, (byte)i }, "alice"));
        await fixture.Store.ForkAsync(main, new EventSeq(6), new BranchName("a/fork"), "alice");
        await fixture.Store.AppendAsync(BranchingFixture.Ref("a/fork"), new NewEvent(EventKind.Update, new byte[] { 2 }, "alice"));
        fixture.Directory.Grant(BranchingFixture.Doc, "audrey", DocumentRole.Auditor);
        var proofs = new ProofService(fixture.Store, new BranchMerkleTrees(fixture.Store, 4), fixture.Catalog);

        var before = await proofs.VerifyAllAsync(BranchingFixture.Doc, "audrey", default);
        Assert.True(before.Valid);
        Assert.Equal(["main", "a/fork"], before.Branches.Select(b => b.Branch).ToArray());
        var inclusion = await proofs.InclusionAsync(BranchingFixture.Doc, "a/fork", 4, null, "audrey", default);

        fixture.Store.TamperForTests(new EventRef(main, new EventSeq(4)), [1, 99]);

        var after = await proofs.VerifyAllAsync(BranchingFixture.Doc, "audrey", default);
        Assert.False(after.Valid);
        Assert.Equal("main", after.FirstBrokenBranch);
        Assert.Equal(4, after.FirstBrokenSeq);
        Assert.NotNull(after.FirstBrokenReason);
        // The fork's view holds the edited event too, and names it by the branch it was appended to.
        var fork = after.Branches.Single(b => b.Branch == "a/fork");
        Assert.False(fork.Valid);
        Assert.Equal(("main", 4L), (fork.FirstBrokenBranch, fork.FirstBrokenSeq));
        // The edited event's hash, recomputed, no longer proves inclusion under the digest taken before.
        var edited = (await fixture.Store.ReadPageAsync(main, new EventSeq(4), 1))[0];
        Assert.False(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(EventChain.ComputeHash(edited)), 3, inclusion.TreeSize,
            [.. inclusion.Path.Select(EventHash.Parse)], EventHash.Parse(inclusion.RootHash)));
    }

    [Fact]
    public async Task proofs_and_verify_all_are_for_owners_and_auditors_only()
    {
        await using var fixture = await BranchingFixture.CreateAsync();
        var proofs = new ProofService(fixture.Store, new BranchMerkleTrees(fixture.Store), fixture.Catalog);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => proofs.VerifyAllAsync(BranchingFixture.Doc, "erin", default))).Code);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => proofs.DigestAsync(BranchingFixture.Doc, null, null, "vic", default))).Code);
        Assert.Equal(0, (await proofs.DigestAsync(BranchingFixture.Doc, null, null, "alice", default)).TreeSize);
    }
}
