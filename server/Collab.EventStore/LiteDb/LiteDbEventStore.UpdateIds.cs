using System.Collections.Concurrent;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// The idempotency check: each branch's client update ids live in an <see cref="UpdateIdMap"/> the writer owns. A map
/// is built once per branch by reading the branch's own events (off the writer thread when an append can wait for it),
/// kept complete by the writer as it commits, and dropped least recently used first beyond
/// <see cref="LiteDbEventStoreOptions.MaxCachedUpdateIds"/>.
/// </summary>
public sealed partial class LiteDbEventStore
{
    // Writer-only.
    private readonly Dictionary<int, UpdateIdMap> _updateIdMaps = [];
    private long _cachedUpdateIds;
    private long _groupCounter;

    // Branch numbers the writer holds a map for; appends read it to decide whether to load one first.
    private readonly ConcurrentDictionary<int, byte> _mappedBranches = new();

    // Maps read by appenders' threads, waiting for the writer to take them over (and catch them up).
    private readonly ConcurrentDictionary<int, Lazy<Task<UpdateIdMap>>> _preloadedMaps = new();

    /// <summary>
    /// True when the writer would have to read the branch's ids before planning this append: then the caller reads
    /// them on its own thread first, so one long branch does not stall every other writer.
    /// </summary>
    private bool NeedsUpdateIds(BranchRef branch, IReadOnlyList<NewEvent> events, out BranchEntry entry)
    {
        entry = null!;
        if (!_options.PreloadUpdateIds || !events.Any(e => e.ClientUpdateId is not null)) return false;
        if (FindEntry(branch) is not { } found) return false;
        entry = found;
        return found.Info.Head > found.Info.ForkSeq && !_mappedBranches.ContainsKey(found.Number);
    }

    private async Task<AppendResult> PreloadThenAppendAsync(BranchRef branch, BranchEntry entry, AppendOp op, CancellationToken cancellationToken)
    {
        var info = entry.Info;
        var load = _preloadedMaps.GetOrAdd(entry.Number, number => new Lazy<Task<UpdateIdMap>>(() => Task.Run(() =>
        {
            var map = new UpdateIdMap(info.ForkSeq.Value);
            ReadUpdateIds(map, branch, number, info.Head.Value);
            return map;
        })));
        try
        {
            await load.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The writer reads the ids itself then.
            _preloadedMaps.TryRemove(new(entry.Number, load));
        }

        return await Enqueue(op, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The branch's map, built now if the writer has none (writer thread, inside the group's transaction).</summary>
    private UpdateIdMap UpdateIds(BranchRef branch, BranchEntry pending)
    {
        if (_updateIdMaps.TryGetValue(pending.Number, out var map))
        {
            map.LastUsed = _groupCounter;
            return map;
        }

        // Committed state: events of this group are not in the database yet, and the group tracks their ids itself.
        var committed = FindEntry(branch);
        if (committed is null || committed.Info.Head == committed.Info.ForkSeq)
        {
            map = new UpdateIdMap(pending.Info.ForkSeq.Value);
        }
        else
        {
            map = null;
            if (_preloadedMaps.TryRemove(pending.Number, out var load) && load.IsValueCreated && load.Value.IsCompletedSuccessfully) map = load.Value.Result;
            map ??= new UpdateIdMap(committed.Info.ForkSeq.Value);
            ReadUpdateIds(map, branch, pending.Number, committed.Info.Head.Value);
        }

        map.LastUsed = _groupCounter;
        _updateIdMaps[pending.Number] = map;
        _mappedBranches[pending.Number] = 0;
        _cachedUpdateIds += map.Count;
        return map;
    }

    /// <summary>Adds the ids of the branch's own events after the map's <see cref="UpdateIdMap.ThroughSeq"/> up to <paramref name="head"/>.</summary>
    private void ReadUpdateIds(UpdateIdMap map, BranchRef branch, int number, long head)
    {
        foreach (var e in OwnEvents(branch, number, map.ThroughSeq + 1, head))
        {
            if (e.ClientUpdateId is { } id) map.Add(id, e.Seq.Value);
        }

        map.SeenThrough(head);
    }

    /// <summary>After a durable commit: the group's ids join their maps; maps beyond the budget go, least recently used first.</summary>
    private void RememberUpdateIds(Group group)
    {
        foreach (var (number, id, seq) in group.StoredUpdateIds)
        {
            // Planning made the map of every branch whose events carry ids.
            _updateIdMaps[number].Add(id, seq);
            _cachedUpdateIds++;
        }

        _groupCounter++;
        if (_cachedUpdateIds <= _options.MaxCachedUpdateIds) return;
        foreach (var (number, map) in _updateIdMaps.OrderBy(pair => pair.Value.LastUsed).ToList())
        {
            if (_cachedUpdateIds <= _options.MaxCachedUpdateIds * 3 / 4 || map.LastUsed >= _groupCounter - 1) break;
            _updateIdMaps.Remove(number);
            _mappedBranches.TryRemove(number, out _);
            _cachedUpdateIds -= map.Count;
        }
    }
}
