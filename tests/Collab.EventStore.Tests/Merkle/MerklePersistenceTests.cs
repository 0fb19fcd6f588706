using System.Reflection;
using Collab.EventStore.LiteDb;
using Collab.EventStore.Merkle;

namespace Collab.EventStore.Tests.Merkle;

/// <summary>
/// Persisted Merkle trees (<see cref="MerkleTreeFiles"/>): a restart takes them instead of reading every event, a fork
/// starts from its parent's blocks, and a corrupted, forged or foreign file is found and rebuilt from the events, so
/// every answer stays the one the events give.
/// </summary>
public sealed class MerklePersistenceTests : IDisposable
{
    private const int Block = 4;
    private readonly TempDirectory _dir = new();
    private readonly DocumentId _doc = new("merkle-persist");

    public void Dispose() => _dir.Dispose();

    private BranchRef Main => BranchRef.MainOf(_doc);

    private MerkleTreeFiles Files => new(_dir.File("merkle"));

    private LiteDbEventStore Open(string name = "log.db") => new(new LiteDbEventStoreOptions { Path = _dir.File(name) });

    private static NewEvent Event(int i) => new(new EventKind("update"), new byte[] { (byte)i, (byte)(i >> 8), 9 }, "alice");

    private async Task<LiteDbEventStore> StoreWithEventsAsync(int events, string name = "log.db", int salt = 0)
    {
        var store = Open(name);
        await store.CreateDocumentAsync(_doc, "alice");
        await store.AppendAsync(Main, [.. Enumerable.Range(salt, events).Select(Event)]);
        return store;
    }

    // RFC 9162's MTH straight from the events: the oracle every answer is checked against.
    private static async Task<EventHash> NaiveRootAsync(IEventStore store, BranchRef branch, long n)
    {
        var leaves = new List<EventHash>();
        await foreach (var e in store.ReadAsync(branch, new EventSeq(1), new EventSeq(n))) leaves.Add(MerkleHash.Leaf(e.Hash));
        return Root(leaves, 0, leaves.Count);

        static EventHash Root(List<EventHash> leaves, int lo, int hi)
        {
            if (hi == lo) return MerkleHash.EmptyRoot;
            if (hi - lo == 1) return leaves[lo];
            var k = 1;
            while (k * 2 < hi - lo) k *= 2;
            return MerkleHash.Node(Root(leaves, lo, lo + k), Root(leaves, lo + k, hi));
        }
    }

    // Digests, inclusion and consistency proofs at several positions, each checked against the naive roots, as text.
    private static async Task<string> CheckedAnswersAsync(BranchMerkleTrees trees, IEventStore store, BranchRef branch)
    {
        var head = (await store.GetHeadAsync(branch)).Seq.Value;
        var answers = new List<string>();
        foreach (var size in new[] { head, head - 1, head / 2, 64, 37 })
        {
            var digest = await trees.GetDigestAsync(branch, new EventSeq(size));
            Assert.Equal(await NaiveRootAsync(store, branch, size), digest.Root);
            answers.Add(digest.Root.ToString());
        }
        var root = await NaiveRootAsync(store, branch, head);
        foreach (var seq in new long[] { 1, 5, 33, 100, 130, head })
        {
            var proof = await trees.GetInclusionProofAsync(branch, new EventSeq(seq));
            Assert.True(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(proof.EventHash), seq - 1, head, proof.Path, root), $"inclusion of {seq}");
            answers.Add(string.Join(",", proof.Path));
        }
        foreach (var from in new long[] { 1, 16, 37, 101, head })
        {
            var proof = await trees.GetConsistencyProofAsync(branch, new EventSeq(from));
            Assert.True(MerkleProofs.VerifyConsistency(from, await NaiveRootAsync(store, branch, from), head, root, proof.Path), $"consistency from {from}");
            answers.Add(string.Join(",", proof.Path));
        }
        return string.Join(" ", answers);
    }

    [Fact]
    public async Task a_restart_takes_the_persisted_tree_reads_only_the_new_events_and_answers_as_the_events_do()
    {
        await using (var store = await StoreWithEventsAsync(203))
        {
            var first = new BranchMerkleTrees(store, Block, files: Files);
            await first.GetDigestAsync(Main);
            Assert.True(File.Exists(Files.PathOf(Main)));
        }

        await using var reopened = Open();
        await reopened.AppendAsync(Main, [.. Enumerable.Range(500, 10).Select(Event)]);
        var counting = CountingStore.Wrap(reopened, out var reads);
        var trees = new BranchMerkleTrees(counting, Block, files: Files, verifyLoaded: false);
        await trees.GetDigestAsync(Main);
        Assert.Equal(1, trees.PersistedTreesLoaded);
        // 50 persisted blocks (200 events); the digest of 213 reads the 13 events after them, not the 200 before.
        Assert.Equal(13, reads.Events);
        var expected = await CheckedAnswersAsync(new BranchMerkleTrees(reopened, Block), reopened, Main);
        Assert.Equal(expected, await CheckedAnswersAsync(trees, reopened, Main));
        Assert.Equal(0, trees.PersistedTreesRejected);

        // The background check of a loaded tree finds it right.
        var checkedTrees = new BranchMerkleTrees(reopened, Block, files: Files);
        await checkedTrees.GetDigestAsync(Main);
        await checkedTrees.WhenLoadedTreesVerifiedAsync();
        Assert.Equal((1, 0), (checkedTrees.PersistedTreesLoaded, checkedTrees.PersistedTreesRejected));
        Assert.Equal(expected, await CheckedAnswersAsync(checkedTrees, reopened, Main));
    }

    [Fact]
    public async Task a_corrupted_or_truncated_file_is_refused_and_the_tree_rebuilt_from_the_events()
    {
        await using var store = await StoreWithEventsAsync(203);
        await new BranchMerkleTrees(store, Block, files: Files).GetDigestAsync(Main);
        var expected = await CheckedAnswersAsync(new BranchMerkleTrees(store, Block), store, Main);
        var path = Files.PathOf(Main);
        var good = await File.ReadAllBytesAsync(path);

        foreach (var damage in new Func<byte[], byte[]>[] { b => Flip(b, b.Length / 2), b => b[..(b.Length - 40)], _ => [] })
        {
            await File.WriteAllBytesAsync(path, damage(good));
            var trees = new BranchMerkleTrees(store, Block, files: Files);
            Assert.Equal(expected, await CheckedAnswersAsync(trees, store, Main));
            Assert.Equal((0, 1), (trees.PersistedTreesLoaded, trees.PersistedTreesRejected));
            // Rebuilt and written again: the next start takes it.
            var next = new BranchMerkleTrees(store, Block, files: Files);
            Assert.Equal(expected, await CheckedAnswersAsync(next, store, Main));
            Assert.Equal(1, next.PersistedTreesLoaded);
        }
    }

    [Fact]
    public async Task a_forged_block_with_a_valid_checksum_is_found_by_the_proof_that_reads_it_and_by_the_background_check()
    {
        await using var store = await StoreWithEventsAsync(203);
        await new BranchMerkleTrees(store, Block, files: Files).GetDigestAsync(Main);
        var expected = await CheckedAnswersAsync(new BranchMerkleTrees(store, Block), store, Main);
        var persisted = MerkleTreeFiles.Decode(await File.ReadAllBytesAsync(Files.PathOf(Main)), Main, Block)!;
        var forged = persisted with { BlockRoots = [.. persisted.BlockRoots.Select((r, i) => i == 8 ? MerkleHash.Leaf(r) : r)] };

        // A proof of an event in the forged block (leaves 32..35) re-hashes that block: the tree is rebuilt before answering.
        await File.WriteAllBytesAsync(Files.PathOf(Main), MerkleTreeFiles.Encode(Main, forged));
        var trees = new BranchMerkleTrees(store, Block, files: Files, verifyLoaded: false);
        var proof = await trees.GetInclusionProofAsync(Main, new EventSeq(33));
        Assert.True(MerkleProofs.VerifyInclusion(MerkleHash.Leaf(proof.EventHash), 32, 203, proof.Path, await NaiveRootAsync(store, Main, 203)));
        Assert.Equal((1, 1), (trees.PersistedTreesLoaded, trees.PersistedTreesRejected));
        Assert.Equal(expected, await CheckedAnswersAsync(trees, store, Main));

        // A digest reads no complete block: the background check of the loaded tree finds the forgery and drops it.
        await File.WriteAllBytesAsync(Files.PathOf(Main), MerkleTreeFiles.Encode(Main, forged));
        var background = new BranchMerkleTrees(store, Block, files: Files);
        await background.GetDigestAsync(Main);
        await background.WhenLoadedTreesVerifiedAsync();
        Assert.Equal((1, 1), (background.PersistedTreesLoaded, background.PersistedTreesRejected));
        Assert.False(File.Exists(Files.PathOf(Main)));
        Assert.Equal(expected, await CheckedAnswersAsync(background, store, Main));
    }

    [Fact]
    public async Task a_file_of_another_history_fails_its_anchor_and_is_rebuilt()
    {
        await using (var other = await StoreWithEventsAsync(203, "other.db", salt: 7))
        {
            await new BranchMerkleTrees(other, Block, files: Files).GetDigestAsync(Main);
        }
        await using var store = await StoreWithEventsAsync(203);
        var trees = new BranchMerkleTrees(store, Block, files: Files);
        Assert.Equal(await CheckedAnswersAsync(new BranchMerkleTrees(store, Block), store, Main), await CheckedAnswersAsync(trees, store, Main));
        Assert.Equal((0, 1), (trees.PersistedTreesLoaded, trees.PersistedTreesRejected));

        // A file longer than the branch (events lost, say with OsBuffered) fails too.
        await using var shorter = await StoreWithEventsAsync(100, "shorter.db");
        var again = new BranchMerkleTrees(shorter, Block, files: Files);
        await again.GetDigestAsync(Main);
        Assert.Equal(await NaiveRootAsync(shorter, Main, 100), (await again.GetDigestAsync(Main)).Root);
        Assert.Equal((0, 1), (again.PersistedTreesLoaded, again.PersistedTreesRejected));
    }

    [Fact]
    public async Task a_fork_starts_from_its_parents_blocks_and_answers_as_its_events_do()
    {
        await using var store = await StoreWithEventsAsync(203);
        var fork = new BranchRef(_doc, new BranchName("feature/x"));
        await store.ForkAsync(Main, new EventSeq(150), fork.Branch, "bob");
        await store.AppendAsync(fork, [.. Enumerable.Range(900, 30).Select(Event)]);

        var counting = CountingStore.Wrap(store, out var reads);
        var trees = new BranchMerkleTrees(counting, Block);
        await trees.GetDigestAsync(Main);
        var afterMain = reads.Events;
        await trees.GetDigestAsync(fork);
        // 37 blocks (148 events) come from main's tree; the fork reads from seq 149 on.
        Assert.Equal(37, trees.BlocksCopiedFromParents);
        Assert.Equal(180 - 148, reads.Events - afterMain);
        Assert.Equal(await CheckedAnswersAsync(new BranchMerkleTrees(store, 2), store, fork), await CheckedAnswersAsync(trees, store, fork));
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x40;
        return copy;
    }

    /// <summary>Counts the events an <see cref="IEventStore"/> returns from <c>ReadAsync</c>.</summary>
    public class CountingStore : DispatchProxy
    {
        private IEventStore _inner = null!;
        private Counter _counter = null!;

        public static IEventStore Wrap(IEventStore inner, out Counter counter)
        {
            var proxy = Create<IEventStore, CountingStore>();
            var self = (CountingStore)(object)proxy;
            self._inner = inner;
            self._counter = counter = new Counter();
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(_inner, args);
            return targetMethod.Name == nameof(IEventStore.ReadAsync) && result is IAsyncEnumerable<StoredEvent> events ? Count(events) : result;
        }

        private async IAsyncEnumerable<StoredEvent> Count(IAsyncEnumerable<StoredEvent> events)
        {
            await foreach (var e in events)
            {
                Interlocked.Increment(ref _counter.Events);
                yield return e;
            }
        }
    }

    /// <summary>Events read so far.</summary>
    public sealed class Counter
    {
        public int Events;
    }
}
