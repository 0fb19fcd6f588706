using System.Security.Cryptography;
using Collab.EventStore.InMemory;
using Collab.EventStore.LiteDb;
using Collab.EventStore.Merkle;

namespace Collab.EventStore.Tests.Merkle;

/// <summary>Digests and proofs of <see cref="BranchMerkleTrees"/> against a naive RFC 9162 recomputation, on both backends.</summary>
public sealed class MerkleTreeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NewEvent Event(int i) => new(new EventKind("update"), new byte[] { (byte)i, (byte)(i >> 8), 7 }, "alice");

    private async Task<IEventStore> NewStoreAsync(string backend) => backend switch
    {
        "memory" => new InMemoryEventStore(new EventStoreOptions()),
        _ => await Task.FromResult<IEventStore>(new LiteDbEventStore(new LiteDbEventStoreOptions { Path = _dir.File($"{Guid.NewGuid():N}.db") })),
    };

    // MTH(D[n]) exactly as RFC 9162 §2.1.1 writes it, straight from the raw bytes.
    private static byte[] NaiveRoot(IReadOnlyList<byte[]> leaves, int lo, int hi)
    {
        var n = hi - lo;
        if (n == 0) return SHA256.HashData(Array.Empty<byte>());
        if (n == 1) return SHA256.HashData([0, .. leaves[lo]]);
        var k = 1;
        while (k * 2 < n) k *= 2;
        return SHA256.HashData([1, .. NaiveRoot(leaves, lo, lo + k), .. NaiveRoot(leaves, lo + k, hi)]);
    }

    private static List<byte[]> NaivePath(IReadOnlyList<byte[]> leaves, int m, int lo, int hi)
    {
        var n = hi - lo;
        if (n <= 1) return [];
        var k = 1;
        while (k * 2 < n) k *= 2;
        if (m < k) return [.. NaivePath(leaves, m, lo, lo + k), NaiveRoot(leaves, lo + k, hi)];
        return [.. NaivePath(leaves, m - k, lo + k, hi), NaiveRoot(leaves, lo, lo + k)];
    }

    private static List<byte[]> NaiveSubProof(IReadOnlyList<byte[]> leaves, int m, int lo, int hi, bool whole)
    {
        var n = hi - lo;
        if (m == n) return whole ? [] : [NaiveRoot(leaves, lo, hi)];
        var k = 1;
        while (k * 2 < n) k *= 2;
        if (m <= k) return [.. NaiveSubProof(leaves, m, lo, lo + k, whole), NaiveRoot(leaves, lo + k, hi)];
        return [.. NaiveSubProof(leaves, m - k, lo + k, hi, false), NaiveRoot(leaves, lo, lo + k)];
    }

    private static string[] Hex(IEnumerable<byte[]> hashes) => [.. hashes.Select(Convert.ToHexStringLower)];

    private static string[] Hex(IEnumerable<EventHash> hashes) => [.. hashes.Select(h => h.ToString())];

    [Theory]
    [InlineData("memory", 2)]
    [InlineData("memory", 4)]
    [InlineData("memory", 64)]
    [InlineData("litedb", 4)]
    public async Task digests_and_proofs_equal_a_naive_recomputation_for_every_size(string backend, int blockSize)
    {
        await using var store = await NewStoreAsync(backend);
        var doc = new DocumentId("merkle-doc");
        await store.CreateDocumentAsync(doc, "alice");
        var main = BranchRef.MainOf(doc);
        var trees = new BranchMerkleTrees(store, blockSize);
        var leaves = new List<byte[]>();
        const int Max = 70;

        Assert.Equal(MerkleHash.EmptyRoot, (await trees.GetDigestAsync(main)).Root);
        for (var n = 1; n <= Max; n++)
        {
            // Appends of 1 to 3 events, so the cache is extended between calls, sometimes by several blocks.
            if (leaves.Count < n)
            {
                var batch = Enumerable.Range(leaves.Count, Math.Min(1 + n % 3, Max - leaves.Count)).Select(Event).ToList();
                foreach (var stored in (await store.AppendAsync(main, batch)).Events) leaves.Add(stored.Hash.ToArray());
            }
            var digest = await trees.GetDigestAsync(main, new EventSeq(n));
            Assert.Equal(Convert.ToHexStringLower(NaiveRoot(leaves, 0, n)), digest.Root.ToString());
            Assert.Equal(Convert.ToHexStringLower(leaves[n - 1]), digest.ChainHash.ToString());

            for (var k = 1; k <= n; k++)
            {
                var proof = await trees.GetInclusionProofAsync(main, new EventSeq(k), new EventSeq(n));
                Assert.Equal(Hex(NaivePath(leaves, k - 1, 0, n)), Hex(proof.Path));
                Assert.Equal(digest.Root, proof.Root);
                Assert.True(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(proof.EventHash), k - 1, n, proof.Path, proof.Root));
            }
            for (var m = 0; m <= n; m++)
            {
                var proof = await trees.GetConsistencyProofAsync(main, new EventSeq(m), new EventSeq(n));
                var expected = m == 0 || m == n ? [] : NaiveSubProof(leaves, m, 0, n, true);
                Assert.Equal(Hex(expected), Hex(proof.Path));
                Assert.Equal(Convert.ToHexStringLower(NaiveRoot(leaves, 0, m)), proof.FromRoot.ToString());
                Assert.True(MerkleProofs.VerifyConsistency(m, proof.FromRoot, n, proof.ToRoot, proof.Path), $"consistency {m} → {n}");
            }
        }
    }

    [Fact]
    public async Task a_fork_shares_its_parents_tree_up_to_the_fork_and_proves_its_own_events()
    {
        await using var store = new InMemoryEventStore(new EventStoreOptions());
        var doc = new DocumentId("merkle-fork");
        await store.CreateDocumentAsync(doc, "alice");
        var main = BranchRef.MainOf(doc);
        await store.AppendAsync(main, [.. Enumerable.Range(0, 40).Select(Event)]);
        var fork = (await store.ForkAsync(main, new EventSeq(30), new BranchName("fork"), "bob")).Ref;
        await store.AppendAsync(fork, [.. Enumerable.Range(100, 9).Select(Event)]);
        var trees = new BranchMerkleTrees(store, 4);

        Assert.Equal((await trees.GetDigestAsync(main, new EventSeq(30))).Root, (await trees.GetDigestAsync(fork, new EventSeq(30))).Root);
        var own = await trees.GetInclusionProofAsync(fork, new EventSeq(35));
        Assert.Equal(new EventSeq(39), own.TreeSize);
        Assert.True(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(own.EventHash), 34, 39, own.Path, own.Root));
        var extends = await trees.GetConsistencyProofAsync(fork, new EventSeq(30));
        Assert.True(MerkleProofs.VerifyConsistency(30, (await trees.GetDigestAsync(main, new EventSeq(30))).Root, 39, extends.ToRoot, extends.Path));
        // The fork's later tree does not extend main's later tree.
        var mainHead = await trees.GetDigestAsync(main);
        Assert.False(MerkleProofs.VerifyConsistency(40, mainHead.Root, 39, extends.ToRoot, extends.Path));
    }

    [Fact]
    public async Task an_altered_byte_of_a_proof_or_an_edited_event_fails_verification()
    {
        await using var store = new InMemoryEventStore(new EventStoreOptions());
        var doc = new DocumentId("merkle-tamper");
        await store.CreateDocumentAsync(doc, "alice");
        var main = BranchRef.MainOf(doc);
        await store.AppendAsync(main, [.. Enumerable.Range(0, 50).Select(Event)]);
        var trees = new BranchMerkleTrees(store, 4);
        var inclusion = await trees.GetInclusionProofAsync(main, new EventSeq(23));
        var consistency = await trees.GetConsistencyProofAsync(main, new EventSeq(21));
        Assert.True(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(inclusion.EventHash), 22, 50, inclusion.Path, inclusion.Root));

        for (var i = 0; i < inclusion.Path.Count; i++)
        {
            var altered = inclusion.Path.ToArray();
            altered[i] = Flip(altered[i]);
            Assert.False(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(inclusion.EventHash), 22, 50, altered, inclusion.Root));
        }
        for (var i = 0; i < consistency.Path.Count; i++)
        {
            var altered = consistency.Path.ToArray();
            altered[i] = Flip(altered[i]);
            Assert.False(MerkleProofs.VerifyConsistency(21, consistency.FromRoot, 50, consistency.ToRoot, altered));
        }
        Assert.False(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(inclusion.EventHash), 21, 50, inclusion.Path, inclusion.Root));
        Assert.False(MerkleProofs.VerifyConsistency(21, Flip(consistency.FromRoot), 50, consistency.ToRoot, consistency.Path));

        // An event edited behind the store's back: its hash, recomputed from what is stored, is no leaf of the tree.
        store.TamperForTests(new EventRef(main, new EventSeq(23)), [9, 9, 9]);
        var edited = (await store.ReadPageAsync(main, new EventSeq(23), 1))[0];
        var recomputed = EventChain.ComputeHash(edited);
        Assert.NotEqual(inclusion.EventHash, recomputed);
        Assert.False(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(recomputed), 22, 50, inclusion.Path, inclusion.Root));
    }

    [Fact]
    public async Task bad_positions_are_refused_with_the_stores_errors()
    {
        await using var store = new InMemoryEventStore(new EventStoreOptions());
        var doc = new DocumentId("merkle-bad");
        await store.CreateDocumentAsync(doc, "alice");
        var main = BranchRef.MainOf(doc);
        await store.AppendAsync(main, [.. Enumerable.Range(0, 5).Select(Event)]);
        var trees = new BranchMerkleTrees(store);

        Assert.Equal(EventStoreError.SeqBeyondHead, (await Assert.ThrowsAsync<EventStoreException>(() => trees.GetDigestAsync(main, new EventSeq(6)))).Error);
        Assert.Equal(EventStoreError.InvalidArgument, (await Assert.ThrowsAsync<EventStoreException>(() => trees.GetInclusionProofAsync(main, new EventSeq(0)))).Error);
        Assert.Equal(EventStoreError.InvalidArgument, (await Assert.ThrowsAsync<EventStoreException>(() => trees.GetInclusionProofAsync(main, new EventSeq(5), new EventSeq(4)))).Error);
        Assert.Equal(EventStoreError.InvalidArgument, (await Assert.ThrowsAsync<EventStoreException>(() => trees.GetConsistencyProofAsync(main, new EventSeq(5), new EventSeq(4)))).Error);
        Assert.Equal(EventStoreError.BranchNotFound, (await Assert.ThrowsAsync<EventStoreException>(() => trees.GetDigestAsync(new BranchRef(doc, new BranchName("nope"))))).Error);
    }

    private static EventHash Flip(EventHash hash)
    {
        var bytes = hash.ToArray();
        bytes[7] ^= 0x10;
        return EventHash.FromBytes(bytes);
    }
}
