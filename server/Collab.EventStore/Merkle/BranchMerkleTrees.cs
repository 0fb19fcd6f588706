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
/// With <see cref="MerkleTreeFiles"/> the block roots are persisted, so a restart (or a dropped branch) reads only the
/// events after the persisted blocks; a fork starts from its parent's blocks before the fork point. Persisted blocks
/// are taken only when their file is intact and their anchor (the chain hash where they end) is the view's, and every
/// block a proof reads is re-hashed and compared with its root: a mismatch drops the tree and rebuilds it from the
/// events, so an answer is always the one the events give.
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
    private readonly MerkleTreeFiles? _files;
    private readonly bool _verifyLoaded;
    private readonly ConcurrentDictionary<Task, bool> _verifications = new();
    private long _persistedLoaded;
    private long _persistedRejected;
    private long _blocksFromParents;
    private readonly ConcurrentDictionary<BranchRef, BranchTree> _trees = new();
    private long _bytes;
    private long _clock;

    /// <summary>Creates the trees over <paramref name="store"/>.</summary>
    /// <param name="store">Where the events are read.</param>
    /// <param name="blockSize">Leaves under the smallest cached subtree: a power of two, at least 2.</param>
    /// <param name="maxCacheBytes">Bytes of cached hashes kept across branches, least recently used dropped first.</param>
    /// <param name="files">Where trees are persisted across restarts (null: not persisted, every start reads each branch once).</param>
    /// <param name="verifyLoaded">
    /// Whether a persisted tree, once taken, is also checked in the background against all its events (off the request
    /// path; a mismatch drops it and its file). Intact files of the right history pass the load checks anyway: this
    /// catches a file whose blocks were altered and whose checksum was recomputed.
    /// </param>
    public BranchMerkleTrees(IEventStore store, int blockSize = DefaultBlockSize, long maxCacheBytes = DefaultMaxCacheBytes, MerkleTreeFiles? files = null, bool verifyLoaded = true)
    {
        _verifyLoaded = verifyLoaded;
        ArgumentNullException.ThrowIfNull(store);
        if (blockSize < 2 || !BitOperations.IsPow2(blockSize)) throw new ArgumentOutOfRangeException(nameof(blockSize), "A block size is a power of two, at least 2.");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCacheBytes, 1);
        _store = store;
        _files = files;
        BlockSize = blockSize;
        MaxCacheBytes = maxCacheBytes;
    }

    /// <summary>Persisted trees taken on load (their checksum, branch, block size and anchor held).</summary>
    public long PersistedTreesLoaded => Interlocked.Read(ref _persistedLoaded);

    /// <summary>
    /// Persisted trees found wrong and rebuilt from the events: on load (checksum, branch, block size or anchor chain hash
    /// does not hold) or later (a block a proof read does not hash to the persisted root).
    /// </summary>
    public long PersistedTreesRejected => Interlocked.Read(ref _persistedRejected);

    /// <summary>Blocks copied from a parent's tree into a fork's (the shared prefix is not read again).</summary>
    public long BlocksCopiedFromParents => Interlocked.Read(ref _blocksFromParents);

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
            if (key.Document != document) continue;
            Drop(key, tree);
            _files?.Delete(key);
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
    // computation needs (the given ones and the last, partial one), and runs it under the branch's gate. A loaded block
    // that does not hash to the cached root (a persisted tree that lied) drops the tree and its file, and starts over
    // from the events.
    private async Task<T> WithTreeAsync<T>(BranchRef branch, long n, long[] leafBlocks, Func<RangeHasher, T> compute, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var tree = _trees.GetOrAdd(branch, _ => new BranchTree());
            tree.LastUsed = Interlocked.Increment(ref _clock);
            await tree.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Starting over: from the events only (not from a file or a parent's blocks, which may be what lied).
                if (attempt > 0 && !tree.Started) tree.Started = true;
                await FillAsync(tree, branch, n / BlockSize, cancellationToken).ConfigureAwait(false);
                Count(branch, tree);
                Trim(tree);
                var leaves = new Dictionary<long, EventHash[]>();
                var wanted = new List<long>(leafBlocks);
                if (n % BlockSize != 0) wanted.Add((n - 1) / BlockSize);
                var consistent = true;
                foreach (var block in wanted)
                {
                    if (block * BlockSize >= n || leaves.ContainsKey(block)) continue;
                    var hashes = await ReadEventHashesAsync(branch, block * BlockSize, Math.Min((block + 1) * BlockSize, n), cancellationToken).ConfigureAwait(false);
                    leaves[block] = hashes;
                    if (hashes.Length == BlockSize && block < tree.UncheckedBlocks && BlockRoot(hashes) != tree.Levels[0][(int)block]) consistent = false;
                }
                if (consistent) return compute(new RangeHasher(tree.Levels, BlockSize, leaves));
                if (attempt > 0) throw new InvalidOperationException($"The Merkle tree of {branch} rebuilt from its events does not match them.");
                Interlocked.Increment(ref _persistedRejected);
                Drop(branch, tree);
                _files?.Delete(branch);
            }
            finally
            {
                tree.Gate.Release();
            }
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
        if (!tree.Started)
        {
            await StartAsync(tree, branch, cancellationToken).ConfigureAwait(false);
            tree.Started = true;
        }
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
        await SaveAsync(tree, branch, cancellationToken).ConfigureAwait(false);
    }

    // A tree's first use: its persisted blocks when they hold, else for a fork the blocks of its parent's tree that lie
    // wholly before the fork point (the views share that prefix), so only the rest is read from the events.
    private async Task StartAsync(BranchTree tree, BranchRef branch, CancellationToken cancellationToken)
    {
        if (_files is not null && await _files.LoadAsync(branch, BlockSize, cancellationToken).ConfigureAwait(false) is (true, var persisted))
        {
            if (persisted is not null && await AnchoredAsync(branch, persisted, cancellationToken).ConfigureAwait(false))
            {
                foreach (var root in persisted.BlockRoots) tree.AddBlock(root);
                tree.SavedBlocks = persisted.BlockRoots.Count;
                tree.UncheckedBlocks = persisted.BlockRoots.Count;
                Interlocked.Increment(ref _persistedLoaded);
                if (_verifyLoaded)
                {
                    var check = Task.Run(() => VerifyLoadedAsync(branch, tree, persisted), CancellationToken.None);
                    _verifications[check] = true;
                    _ = check.ContinueWith(t => _verifications.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
                return;
            }
            Interlocked.Increment(ref _persistedRejected);
            _files.Delete(branch);
        }
        if (await _store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false) is not { Parent: { } parent } info) return;
        var shared = info.ForkSeq.Value / BlockSize;
        if (shared == 0) return;
        foreach (var root in await ParentBlocksAsync(parent, shared, cancellationToken).ConfigureAwait(false)) tree.AddBlock(root);
        tree.UncheckedBlocks = (int)shared;
        Interlocked.Add(ref _blocksFromParents, shared);
    }

    // Whether the persisted blocks end at a position of this branch's view whose chain hash is the one they were
    // computed under (one read): a file of another history (a document written anew, events lost with OsBuffered)
    // fails here. Each block is also checked against its events whenever a proof reads them (WithTreeAsync).
    private async Task<bool> AnchoredAsync(BranchRef branch, PersistedMerkleBlocks persisted, CancellationToken cancellationToken)
    {
        if (persisted.BlockRoots.Count == 0) return false;
        try
        {
            var at = await _store.GetDigestAsync(branch, new EventSeq(persisted.BlockRoots.Count * (long)BlockSize), cancellationToken).ConfigureAwait(false);
            return at.Hash == persisted.ChainHashAtEnd;
        }
        catch (EventStoreException ex) when (ex.Error is EventStoreError.SeqBeyondHead or EventStoreError.InvalidArgument)
        {
            return false;
        }
    }

    // The first `count` block roots of a parent's tree (filled as needed, under the parent's gate).
    private async Task<EventHash[]> ParentBlocksAsync(BranchRef parent, long count, CancellationToken cancellationToken)
    {
        var tree = _trees.GetOrAdd(parent, _ => new BranchTree());
        tree.LastUsed = Interlocked.Increment(ref _clock);
        await tree.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FillAsync(tree, parent, count, cancellationToken).ConfigureAwait(false);
            Count(parent, tree);
            return [.. tree.Levels[0].Take((int)count)];
        }
        finally
        {
            tree.Gate.Release();
        }
    }

    // Persists the tree's blocks once enough were added since the last write (at most 64 blocks, 4,096 events with the
    // default block, behind; a sixteenth of the tree for small trees), after the events they cover were read, so after
    // they are durable. A failed write changes no answer: the next start reads more events.
    private async Task SaveAsync(BranchTree tree, BranchRef branch, CancellationToken cancellationToken)
    {
        var count = tree.Levels[0].Count;
        if (_files is null || count - tree.SavedBlocks < Math.Clamp(tree.SavedBlocks / 16, 1, SaveEveryBlocks)) return;
        try
        {
            var end = await _store.GetDigestAsync(branch, new EventSeq(count * (long)BlockSize), cancellationToken).ConfigureAwait(false);
            await _files.SaveAsync(branch, new PersistedMerkleBlocks(BlockSize, [.. tree.Levels[0]], end.Hash), cancellationToken).ConfigureAwait(false);
            tree.SavedBlocks = count;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A cache: the tree in memory is right, only the next start reads more.
        }
    }

    /// <summary>Completes when every background check of a persisted tree started so far has finished.</summary>
    public Task WhenLoadedTreesVerifiedAsync() => Task.WhenAll(_verifications.Keys);

    // Re-hashes every block a persisted tree brought from the events; on a mismatch drops the tree (under its gate, so no
    // save writes the wrong blocks again meanwhile) and its file: the next request rebuilds it from the events.
    private async Task VerifyLoadedAsync(BranchRef branch, BranchTree tree, PersistedMerkleBlocks persisted)
    {
        try
        {
            var leaves = new EventHash[BlockSize];
            var filled = 0;
            var block = 0;
            var end = persisted.BlockRoots.Count * (long)BlockSize;
            await foreach (var e in _store.ReadAsync(branch, new EventSeq(1), new EventSeq(end)).ConfigureAwait(false))
            {
                leaves[filled++] = MerkleHash.Leaf(e.Hash);
                if (filled < BlockSize) continue;
                filled = 0;
                if (PerfectRoot(leaves) != persisted.BlockRoots[block]) break;
                block++;
            }
            if (block == persisted.BlockRoots.Count)
            {
                tree.UncheckedBlocks = 0;
                return;
            }
        }
        catch (EventStoreException)
        {
            // The branch cannot be read as far as the file says: as wrong as a mismatch.
        }
        Interlocked.Increment(ref _persistedRejected);
        await tree.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Drop(branch, tree);
            _files?.Delete(branch);
        }
        finally
        {
            tree.Gate.Release();
        }
    }

    /// <summary>Blocks added to a tree before it is written again at most (it is written sooner while small).</summary>
    public const int SaveEveryBlocks = 64;

    private EventHash BlockRoot(EventHash[] eventHashes)
    {
        var leaves = new EventHash[BlockSize];
        for (var i = 0; i < BlockSize; i++) leaves[i] = MerkleHash.Leaf(eventHashes[i]);
        return PerfectRoot(leaves);
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

        // Whether the persisted or parent's blocks were looked for; how many blocks the branch's file holds.
        public bool Started { get; set; }

        public int SavedBlocks { get; set; }

        // Blocks 0..UncheckedBlocks-1 came from a file or a parent's tree and were not yet re-hashed from this view's
        // events: a proof that reads one of them checks it (blocks computed here from the events need no check).
        private volatile int _uncheckedBlocks;

        public int UncheckedBlocks
        {
            get => _uncheckedBlocks;
            set => _uncheckedBlocks = value;
        }

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
