namespace Collab.EventStore.LiteDb;

/// <summary>
/// Every client update id of one branch's own events, in memory, so that the idempotency check needs no database
/// index (a LiteDB index on random keys cost more per event than the rest of an append). Ids are kept as their
/// 32-bit hash and seq: a hit is confirmed by reading the event, and an id whose hash an earlier id already holds is
/// kept by its full text, so every answer is exact. The table is split in shards so that growing it never rehashes a
/// whole big branch at once (one 400,000-id table resizing was a 25 ms pause of the writer). A small branch — most of
/// the branches a server has open — keeps one small table until <see cref="SplitAt"/> ids (the 64-slot shard array
/// alone was an eighth of an idle open document's memory, issue 11).
/// </summary>
internal sealed class UpdateIdMap(long throughSeq)
{
    /// <summary>Ids kept in one table before it is split into shards.</summary>
    internal const int SplitAt = 4096;

    private const int ShardCount = 64;
    private Dictionary<int, long>? _small;
    private Dictionary<int, long>?[]? _shards;
    private Dictionary<string, long>? _collided;

    /// <summary>The branch's own events up to this seq are in the map.</summary>
    public long ThroughSeq { get; private set; } = throughSeq;

    public int Count { get; private set; }

    /// <summary>The writer's group counter when the map was last used (least recently used maps are dropped first).</summary>
    public long LastUsed { get; set; }

    public void Add(string id, long seq)
    {
        var hash = Hash(id);
        if (!TableFor(hash).TryAdd(hash, seq)) (_collided ??= new(StringComparer.Ordinal))[id] = seq;
        Count++;
        if (_small is { Count: >= SplitAt }) Split();
        if (seq > ThroughSeq) ThroughSeq = seq;
    }

    /// <summary>Marks the branch's events up to <paramref name="seq"/> as seen (they carried no update ids).</summary>
    public void SeenThrough(long seq)
    {
        if (seq > ThroughSeq) ThroughSeq = seq;
    }

    /// <summary>The seq of the event that may carry <paramref name="id"/> (the caller confirms it), or null when no event does.</summary>
    public long? Candidate(string id)
    {
        if (_collided is not null && _collided.TryGetValue(id, out var exact)) return exact;
        var hash = Hash(id);
        var table = _shards is null ? _small : _shards[hash & (ShardCount - 1)];
        return table is not null && table.TryGetValue(hash, out var seq) ? seq : null;
    }

    /// <summary>Whether the ids are kept in shards (past <see cref="SplitAt"/>).</summary>
    internal bool IsSharded => _shards is not null;

    private Dictionary<int, long> TableFor(int hash) =>
        _shards is null ? _small ??= [] : _shards[hash & (ShardCount - 1)] ??= [];

    private void Split()
    {
        var shards = new Dictionary<int, long>?[ShardCount];
        foreach (var (hash, seq) in _small!) (shards[hash & (ShardCount - 1)] ??= []).Add(hash, seq);
        _shards = shards;
        _small = null;
    }

    // Randomised per process, which is what a table that lives only in memory wants.
    private static int Hash(string id) => id.GetHashCode(StringComparison.Ordinal);
}
