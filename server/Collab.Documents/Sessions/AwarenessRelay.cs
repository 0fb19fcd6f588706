using Collab.Crdt.Protocol;

namespace Collab.Documents.Sessions;

/// <summary>
/// A branch's awareness (presence) states, in memory only. It remembers which connection published each awareness
/// client id so that a connection's states can be removed when it leaves or closes, and the latest state of each id so
/// that a newcomer gets the full picture on join. Thread-safe; never awaits while holding its lock.
/// </summary>
internal sealed class AwarenessRelay
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Entry> _states = [];

    /// <summary>
    /// Validates an awareness update (throws <see cref="Crdt.YjsFormatException"/>), records its entries as owned by
    /// <paramref name="connectionId"/> (the latest publisher owns an id: a reconnecting client keeps its id), and returns
    /// whether anything in it is news. Older clocks are ignored, as the reference does.
    /// </summary>
    public bool Apply(ReadOnlySpan<byte> update, string connectionId)
    {
        var entries = AwarenessUpdate.Read(update);
        var changed = false;
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                var removal = entry.IsRemoval;
                if (_states.TryGetValue(entry.ClientId, out var current)
                    && (entry.Clock < current.Clock || (entry.Clock == current.Clock && !removal)))
                {
                    continue;
                }
                _states[entry.ClientId] = new Entry(entry.Clock, removal ? null : entry.StateJson, connectionId);
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>Every live state, encoded as one awareness update; null when there is none.</summary>
    public byte[]? EncodeAll()
    {
        var live = new List<AwarenessEntry>();
        lock (_gate)
        {
            foreach (var (clientId, entry) in _states)
            {
                if (entry.Json is { } json) live.Add(new AwarenessEntry(clientId, entry.Clock, json));
            }
        }
        return live.Count == 0 ? null : AwarenessUpdate.Write(live);
    }

    /// <summary>
    /// Forgets the states a connection published and returns the awareness update that tells the others
    /// (null state, clock + 1), or null when the connection published nothing still live.
    /// </summary>
    public byte[]? RemoveConnection(string connectionId)
    {
        var removed = new List<KeyValuePair<uint, ulong>>();
        lock (_gate)
        {
            var owned = new List<uint>();
            foreach (var (clientId, entry) in _states)
            {
                if (entry.Connection != connectionId) continue;
                owned.Add(clientId);
                if (entry.Json is not null) removed.Add(new(clientId, entry.Clock));
            }
            foreach (var id in owned) _states.Remove(id);
        }
        return removed.Count == 0 ? null : AwarenessUpdate.EncodeRemoval(removed);
    }

    /// <summary>How many live states are held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                var count = 0;
                foreach (var entry in _states.Values) if (entry.Json is not null) count++;
                return count;
            }
        }
    }

    private readonly record struct Entry(ulong Clock, string? Json, string Connection);
}
