using Collab.EventStore.InMemory;
using Collab.EventStore.Merkle;

namespace Collab.EventStore.Tests.Merkle;

/// <summary>The Merkle cache stays within its byte bound, least recently used branches first out, and answers the same after refilling.</summary>
public sealed class MerkleCacheTests
{
    private static NewEvent Event(int i) => new(new EventKind("update"), new byte[] { (byte)i, (byte)(i >> 8), 7 }, "alice");

    private static async Task<(InMemoryEventStore Store, BranchRef[] Branches)> StoreAsync(int documents, int events)
    {
        var store = new InMemoryEventStore(new EventStoreOptions());
        var branches = new BranchRef[documents];
        for (var d = 0; d < documents; d++)
        {
            var doc = new DocumentId($"merkle-cache-{d}");
            await store.CreateDocumentAsync(doc, "alice");
            branches[d] = BranchRef.MainOf(doc);
            await store.AppendAsync(branches[d], [.. Enumerable.Range(d * 1000, events).Select(Event)]);
        }
        return (store, branches);
    }

    // Everything a proof request returns, as text, for comparing two caches.
    private static async Task<string> AnswersAsync(BranchMerkleTrees trees, BranchRef branch)
    {
        var digest = await trees.GetDigestAsync(branch);
        var inclusion = await trees.GetInclusionProofAsync(branch, new EventSeq(37), new EventSeq(90));
        var consistency = await trees.GetConsistencyProofAsync(branch, new EventSeq(33));
        return string.Join(" ", [digest.Root.ToString(), digest.ChainHash.ToString(), inclusion.Root.ToString(), .. inclusion.Path.Select(h => h.ToString()),
            consistency.FromRoot.ToString(), consistency.ToRoot.ToString(), .. consistency.Path.Select(h => h.ToString())]);
    }

    [Fact]
    public async Task beyond_the_byte_bound_least_recently_used_branches_are_dropped_and_refilled_with_the_same_answers()
    {
        var (store, branches) = await StoreAsync(documents: 4, events: 130);
        await using var _ = store;
        var unbounded = new BranchMerkleTrees(store, 4);
        var expected = new List<string>();
        foreach (var b in branches) expected.Add(await AnswersAsync(unbounded, b));
        // 130 events in blocks of 4: 32 blocks, 63 cached subtree hashes of 32 bytes, plus the branch overhead.
        var oneBranch = BranchMerkleTrees.BranchOverheadBytes + (32 + 16 + 8 + 4 + 2 + 1) * EventHash.Length;
        Assert.Equal(4 * oneBranch, unbounded.CachedBytes);

        var trees = new BranchMerkleTrees(store, 4, maxCacheBytes: 2 * oneBranch);
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < branches.Length; i++)
            {
                Assert.Equal(expected[i], await AnswersAsync(trees, branches[i]));
                Assert.True(trees.CachedBytes <= trees.MaxCacheBytes, $"{trees.CachedBytes} bytes cached");
            }
        }
        Assert.Equal(2, trees.CachedBranches);
        Assert.Equal(2 * oneBranch, trees.CachedBytes);

        // Using branch 2 makes branch 3 the least recently used: branch 0 comes back in its place.
        await trees.GetDigestAsync(branches[2]);
        Assert.Equal(expected[0], await AnswersAsync(trees, branches[0]));
        Assert.Equal(expected[3], await AnswersAsync(trees, branches[3]));
        Assert.Equal(expected[2], await AnswersAsync(trees, branches[2]));
    }

    [Fact]
    public async Task a_branch_larger_than_the_bound_is_still_answered_and_not_kept_after_the_next_one()
    {
        var (store, branches) = await StoreAsync(documents: 2, events: 130);
        await using var _ = store;
        var unbounded = new BranchMerkleTrees(store, 4);
        var trees = new BranchMerkleTrees(store, 4, maxCacheBytes: 100);

        Assert.Equal(await AnswersAsync(unbounded, branches[0]), await AnswersAsync(trees, branches[0]));
        Assert.Equal(1, trees.CachedBranches); // the one just used stays
        Assert.Equal(await AnswersAsync(unbounded, branches[1]), await AnswersAsync(trees, branches[1]));
        Assert.Equal(1, trees.CachedBranches);
        Assert.Equal(await AnswersAsync(unbounded, branches[0]), await AnswersAsync(trees, branches[0]));
    }

    [Fact]
    public async Task a_growing_branch_counts_its_new_blocks()
    {
        var (store, branches) = await StoreAsync(documents: 1, events: 8);
        await using var _ = store;
        var trees = new BranchMerkleTrees(store, 4);
        await trees.GetDigestAsync(branches[0]);
        Assert.Equal(BranchMerkleTrees.BranchOverheadBytes + 3 * EventHash.Length, trees.CachedBytes);
        await store.AppendAsync(branches[0], [.. Enumerable.Range(8, 8).Select(Event)]);
        await trees.GetDigestAsync(branches[0]);
        Assert.Equal(BranchMerkleTrees.BranchOverheadBytes + 7 * EventHash.Length, trees.CachedBytes);
    }
}
