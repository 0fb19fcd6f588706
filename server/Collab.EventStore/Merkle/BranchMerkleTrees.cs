using System.Collections.Concurrent;
using System.Numerics;

namespace Collab.EventStore.Merkle;

/// <summary>
/// Merkle digests, inclusion proofs and consistency proofs over branch views (RFC 9162 style; docs/verification.md),
/// computed from any <see cref="IEventStore"/>. Appends are not touched: the hashes of perfect subtrees of
/// <see cref="BlockSize"/> leaves and up are cached per branch in memory, filled the first time a branch is asked
/// for (one read of its view) and extended on later calls by reading only the new events. A proof then costs
/// O(log n) cached hashes plus reading at most a few blocks of events. The cache is bounded by bytes: beyond the bound
/// the least recently used branches are dropped and filled again (one read of the view) when next asked for.
/// </summary>
public sealed class BranchMerkleTrees
{
    /// <summary>The default number of leaves under the smallest cached subtree (memory: 2 × 32 bytes per block).</summary>
    public const int DefaultBlockSize = 64;

    /// <summary>The default bound of the cache's bytes (<see cref="MaxCacheBytes"/>).</summary>
    public const long DefaultMaxCacheBytes = 64L << 20;

    /// <summary>Bytes counted for a cached branch besides its hashes (its key, lists and gate).</summary>
    public const int BranchOverheadBytes = 256;

    private readonly IEventStore _store;
    private readonly ConcurrentDictionary<BranchRef, BranchTree> _trees = new();
    private long _bytes;
    private long _clock;

    /// <summary>Creates the trees over <paramref name="store"/>.</summary>
    /// <param name="store">Where the events are read.</param>
    /// <param name="blockSize">Leaves under the smallest cached subtree: a power of two, at least 2.</param>
    /// <param name="maxCacheBytes">Bytes of cached hashes kept across branches, least recently used dropped first.</param>
    public BranchMerkleTrees(IEventStore store, int blockSize = DefaultBlockSize, long maxCacheBytes = DefaultMaxCacheBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (blockSize < 2 || !BitOperations.IsPow2(blockSize)) throw new ArgumentOutOfRangeException(nameof(blockSize), "A block size is a power of two, at least 2.");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCacheBytes, 1);
        _store = store;
        BlockSize = blockSize;
        MaxCacheBytes = maxCacheBytes;
    }

    /// <summary>Leaves under the smallest cached subtree.</summary>
    public int BlockSize { get; }

    /// <summary>Bytes of cached hashes kept across branches.</summary>
    public long MaxCacheBytes { get; }

    /// <summary>Bytes the cache holds now (hashes plus <see cref="BranchOverheadBytes"/> per branch).</summary>
    public long CachedBytes => Interlocked.Read(ref _bytes);

    /// <summary>Branches cached now.</summary>
    public int CachedBranches => _trees.Count;

    /// <summary>The digest at <paramref name="treeSize"/> (the head when null).</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.SeqBeyondHead"/>, <see cref="EventStoreError.InvalidArgument"/>.</exception>
    public async Task<MerkleDigest> GetDigestAsync(BranchRef branch, EventSeq? treeSize = null, CancellationToken cancellationToken = default)
    {
        if (treeSize is { Value: < 0 }) throw Invalid("A tree size is 0 or more.");
        var chain = await _store.GetDigestAsync(branch, treeSize, cancellationToken).ConfigureAwait(false);
        var n = chain.Seq.Value;
        var root = await WithTreeAsync(branch, n, [], hasher => n == 0 ? MerkleHash.EmptyRoot : hasher.Hash(0, n), cancellationToken).ConfigureAwait(false);
        return new MerkleDigest(branch, chain.Seq, chain.Hash, root);
    }

    /// <summary>The inclusion proof of the event at <paramref name="seq"/> in the tree of <paramref name="treeSize"/> leaves (the head when null).</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.SeqBeyondHead"/>, <see cref="EventStoreError.InvalidArgument"/>.</exception>
    public async Task<InclusionProof> GetInclusionProofAsync(BranchRef branch, EventSeq seq, EventSeq? treeSize = null, CancellationToken cancellationToken = default)
    {
        var chain = await _store.GetDigestAsync(branch, treeSize, cancellationToken).ConfigureAwait(false);
        var n = chain.Seq.Value;
        if (seq.Value < 1 || seq.Value > n) throw Invalid($"The event's seq must be 1 to the tree size {n} (got {seq.Value}).");
        var index = seq.Value - 1;
        var (root, path, leaf) = await WithTreeAsync(branch, n, [index / BlockSize], hasher =>
            (hasher.Hash(0, n), MerkleProofs.InclusionPath(hasher, index, n), hasher.EventHashAt(index)), cancellationToken).ConfigureAwait(false);
        return new InclusionProof(branch, seq, chain.Seq, leaf, root, path);
    }

    /// <summary>The consistency proof that the tree of <paramref name="to"/> leaves (the head when null) extends the tree of <paramref name="from"/> leaves.</summary>
    /// <exception cref="EventStoreException"><see cref="EventStoreError.BranchNotFound"/>, <see cref="EventStoreError.SeqBeyondHead"/>, <see cref="EventStoreError.InvalidArgument"/>.</exception>
    public async Task<ConsistencyProof> GetConsistencyProofAsync(BranchRef branch, EventSeq from, EventSeq? to = null, CancellationToken cancellationToken = default)
    {
        var chain = await _store.GetDigestAsync(branch, to, cancellationToken).ConfigureAwait(false);
        var n = chain.Seq.Value;
        var m = from.Value;
        if (m < 0 || m > n) throw Invalid($"The smaller tree size must be 0 to {n} (got {m}).");
        long[] blocks = m > 0 ? [(m - 1) / BlockSize, m / BlockSize] : [];
        var (fromRoot, toRoot, path) = await WithTreeAsync(branch, n, blocks, hasher =>
            (m == 0 ? MerkleHash.EmptyRoot : hasher.Hash(0, m), n == 0 ? MerkleHash.EmptyRoot : hasher.Hash(0, n), MerkleProofs.ConsistencyProof(hasher, m, n)), cancellationToken).ConfigureAwait(false);
        return new ConsistencyProof(branch, from, fromRoot, chain.Seq, toRoot, path);
    }

    /// <summary>Forgets the cached hashes of every branch of <paramref name="document"/> (for a document written anew).</summary>
    public void Forget(DocumentId document)
    {
        foreach (var (key, tree) in _trees)
        {
            if (key.Document == document) Drop(key, tree);
        }
    }

    // Removes a branch's tree from the cache and its bytes from the count (once, whoever comes first).
    private void Drop(BranchRef key, BranchTree tree)
    {
        if (_trees.TryRemove(new KeyValuePair<BranchRef, BranchTree>(key, tree))) Interlocked.Add(ref _bytes, -Interlocked.Exchange(ref tree.Bytes, 0));
    }

    // Drops the least recently used branches while over the bound, never the one just used; a branch whose gate is
    // taken is skipped (its user finishes on its own copy either way).
    private void Trim(BranchTree current)
    {
        if (CachedBytes <= MaxCacheBytes) return;
        foreach (var (key, tree) in _trees.OrderBy(static t => t.Value.LastUsed).ToList())
        {
            if (CachedBytes <= MaxCacheBytes) return;
            if (ReferenceEquals(tree, current) || !tree.Gate.Wait(0)) continue;
            try
            {
                Drop(key, tree);
            }
            finally
            {
                tree.Gate.Release();
            }
        }
    }

    // Fills the branch's cache up to the complete blocks of a tree of n leaves, loads the leaves of the blocks a
    // computation needs (the given ones and the last, partial one), and runs it under the branch's gate.
    private async Task<T> WithTreeAsync<T>(BranchRef branch, long n, long[] leafBlocks, Func<RangeHasher, T> compute, CancellationToken cancellationToken)
    {
        var tree = _trees.GetOrAdd(branch, _ => new BranchTree());
        tree.LastUsed = Interlocked.Increment(ref _clock);
        await tree.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FillAsync(tree, branch, n / BlockSize, cancellationToken).ConfigureAwait(false);
            Count(branch, tree);
            Trim(tree);
            var leaves = new Dictionary<long, EventHash[]>();
            var wanted = new List<long>(leafBlocks);
            if (n % BlockSize != 0) wanted.Add((n - 1) / BlockSize);
            foreach (var block in wanted)
            {
                if (block * BlockSize >= n || leaves.ContainsKey(block)) continue;
                leaves[block] = await ReadEventHashesAsync(branch, block * BlockSize, Math.Min((block + 1) * BlockSize, n), cancellationToken).ConfigureAwait(false);
            }
            return compute(new RangeHasher(tree.Levels, BlockSize, leaves));
        }
        finally
        {
            tree.Gate.Release();
        }
    }

    // Brings the byte count up to the tree's size (under its gate); undone if the tree was dropped meanwhile.
    private void Count(BranchRef branch, BranchTree tree)
    {
        var added = BranchOverheadBytes + tree.Levels.Sum(static l => (long)l.Count) * EventHash.Length - Interlocked.Read(ref tree.Bytes);
        if (added == 0) return;
        Interlocked.Add(ref tree.Bytes, added);
        Interlocked.Add(ref _bytes, added);
        if (!_trees.TryGetValue(branch, out var cached) || !ReferenceEquals(cached, tree)) Interlocked.Add(ref _bytes, -Interlocked.Exchange(ref tree.Bytes, 0));
    }

    private async Task FillAsync(BranchTree tree, BranchRef branch, long completeBlocks, CancellationToken cancellationToken)
    {
        var level0 = tree.Levels[0];
        if (level0.Count >= completeBlocks) return;
        var leaves = new EventHash[BlockSize];
        var filled = 0;
        var expected = level0.Count * (long)BlockSize + 1;
        await foreach (var e in _store.ReadAsync(branch, new EventSeq(expected), new EventSeq(completeBlocks * BlockSize), cancellationToken).ConfigureAwait(false))
        {
            if (e.Seq.Value != expected) throw new EventStoreException(EventStoreError.InvalidArgument, $"The view of {branch} has a gap at seq {expected}.");
            expected++;
            leaves[filled++] = MerkleHash.Leaf(e.Hash);
            if (filled < BlockSize) continue;
            tree.AddBlock(PerfectRoot(leaves));
            filled = 0;
        }
        if (level0.Count < completeBlocks) throw new EventStoreException(EventStoreError.SeqBeyondHead, $"The view of {branch} ends before seq {completeBlocks * BlockSize}.");
    }

    private async Task<EventHash[]> ReadEventHashesAsync(BranchRef branch, long lo, long hi, CancellationToken cancellationToken)
    {
        var hashes = new EventHash[hi - lo];
        var i = 0;
        await foreach (var e in _store.ReadAsync(branch, new EventSeq(lo + 1), new EventSeq(hi), cancellationToken).ConfigureAwait(false))
        {
            if (e.Seq.Value != lo + 1 + i) throw new EventStoreException(EventStoreError.InvalidArgument, $"The view of {branch} has a gap at seq {lo + 1 + i}.");
            hashes[i++] = e.Hash;
        }
        if (i != hashes.Length) throw new EventStoreException(EventStoreError.SeqBeyondHead, $"The view of {branch} ends before seq {hi}.");
        return hashes;
    }

    // Reduces a power-of-two number of leaf hashes to their root, in place.
    private static EventHash PerfectRoot(EventHash[] level)
    {
        for (var width = level.Length; width > 1; width /= 2)
        {
            for (var i = 0; i < width / 2; i++) level[i] = MerkleHash.Node(level[2 * i], level[2 * i + 1]);
        }
        return level[0];
    }

    private static EventStoreException Invalid(string message) => new(EventStoreError.InvalidArgument, message);

    // Levels[j][i] = the root of the perfect subtree over leaves [i·B·2^j, (i+1)·B·2^j).
    private sealed class BranchTree
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public List<List<EventHash>> Levels { get; } = [[]];

        // Bytes counted in the cache's total for this tree, and when it was last used (the cache's counter).
        public long Bytes;

        public long LastUsed { get; set; }

        public void AddBlock(EventHash root)
        {
            Levels[0].Add(root);
            for (var j = 0; Levels[j].Count % 2 == 0; j++)
            {
                if (Levels.Count == j + 1) Levels.Add([]);
                var level = Levels[j];
                Levels[j + 1].Add(MerkleHash.Node(level[^2], level[^1]));
            }
        }
    }

    /// <summary>MTH of any range of a tree: cached perfect subtrees where aligned, else from the loaded leaves.</summary>
    internal sealed class RangeHasher(List<List<EventHash>> levels, int blockSize, Dictionary<long, EventHash[]> eventHashes) : IRangeHasher
    {
        /// <summary>The chain hash of leaf <paramref name="index"/> (its block must be loaded).</summary>
        public EventHash EventHashAt(long index) => eventHashes.TryGetValue(index / blockSize, out var block)
            ? block[index % blockSize]
            : throw new InvalidOperationException($"Leaf {index} was not loaded.");

        /// <inheritdoc/>
        public EventHash Hash(long lo, long hi)
        {
            var size = hi - lo;
            if (size == 1) return MerkleHash.Leaf(EventHashAt(lo));
            if (size >= blockSize && BitOperations.IsPow2(size) && lo % size == 0)
            {
                var j = BitOperations.Log2((ulong)(size / blockSize));
                if (j < levels.Count && lo / size < levels[j].Count) return levels[j][(int)(lo / size)];
            }
            var k = MerkleHash.Split(size);
            return MerkleHash.Node(Hash(lo, lo + k), Hash(lo + k, hi));
        }
    }
}
