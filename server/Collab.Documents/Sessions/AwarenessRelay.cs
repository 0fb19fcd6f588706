using Collab.Crdt.Protocol;

namespace Collab.Documents.Sessions;

/// <summary>
/// A branch's awareness (presence) states, in memory only, bounded. Each awareness client id belongs to the connection
/// that first published it, until that connection leaves: others cannot overwrite or remove it (another connection of
/// the same user may take it over, which is what a reconnecting client does). Limits: client ids per connection,
/// client ids per branch, and state bytes per branch. Only accepted entries are relayed, so a newcomer's full picture
/// and every relay stay within those limits. Thread-safe; never awaits while holding its lock.
/// </summary>
internal sealed class AwarenessRelay(LiveSessionOptions options)
{
    // What an entry costs beyond its JSON text: id, clock, owner and dictionary overhead, roughly.
    private const int EntryOverhead = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Entry> _states = [];
    private readonly Dictionary<string, int> _owned = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>
    /// Validates an awareness update (throws <see cref="Crdt.YjsFormatException"/>), applies the entries the caller may
    /// publish and returns them encoded for relaying, or null when nothing in it is news. Entries for client ids owned by
    /// another user's connection are ignored (stock clients re-send others' states; a forger gets nothing). Older clocks
    /// are ignored, as the reference does. An update that would take the caller or the branch past a limit is refused
    /// as a whole (<see cref="CollabErrorCode.TooLarge"/>) and changes nothing.
    /// </summary>
    public byte[]? Apply(ReadOnlySpan<byte> update, SessionCaller caller)
    {
        var entries = AwarenessUpdate.Read(update);
        var accepted = new List<AwarenessEntry>(entries.Count);
        lock (_gate)
        {
            var owned = _owned.GetValueOrDefault(caller.ConnectionId);
            var branchIds = _states.Count;
            var bytes = _bytes;
            var seen = new HashSet<uint>();
            // First pass: decide, and check the limits, without changing anything.
            foreach (var entry in entries)
            {
                if (!seen.Add(entry.ClientId)) continue; // a repeated id in one update: the first one counts
                var removal = entry.IsRemoval;
                if (_states.TryGetValue(entry.ClientId, out var current))
                {
                    if (current.Connection != caller.ConnectionId && current.User != caller.User) continue;
                    if (entry.Clock < current.Clock || (entry.Clock == current.Clock && !removal)) continue;
                    if (current.Connection != caller.ConnectionId) owned++; // taken over from the same user's old connection
                    if (removal)
                    {
                        owned--;
                        branchIds--;
                        bytes -= Cost(current.Json);
                    }
                    else
                    {
                        bytes += Cost(entry.StateJson) - Cost(current.Json);
                    }
                }
                else
                {
                    if (removal) continue; // nothing to remove (or not ours to remove)
                    owned++;
                    branchIds++;
                    bytes += Cost(entry.StateJson);
                }
                accepted.Add(entry);
            }
            if (accepted.Count == 0) return null;
            if (owned > options.MaxAwarenessClientsPerConnection)
            {
                throw new CollabException(CollabErrorCode.TooLarge, $"A connection may publish presence for at most {options.MaxAwarenessClientsPerConnection} awareness client ids per branch.");
            }
            if (branchIds > options.MaxAwarenessClientsPerBranch)
            {
                throw new CollabException(CollabErrorCode.TooLarge, $"This branch already holds presence for {options.MaxAwarenessClientsPerBranch} awareness client ids, its limit.");
            }
            if (bytes > options.MaxAwarenessBytesPerBranch)
            {
                throw new CollabException(CollabErrorCode.TooLarge, $"This branch's presence states would take {bytes} bytes; the limit is {options.MaxAwarenessBytesPerBranch}.");
            }

            // Second pass: apply what was accepted.
            foreach (var entry in accepted)
            {
                if (_states.TryGetValue(entry.ClientId, out var current)) Forget(entry.ClientId, current);
                if (entry.IsRemoval) continue;
                _states[entry.ClientId] = new Entry(entry.Clock, entry.StateJson, caller.ConnectionId, caller.User);
                _owned[caller.ConnectionId] = _owned.GetValueOrDefault(caller.ConnectionId) + 1;
                _bytes += Cost(entry.StateJson);
            }
        }
        return AwarenessUpdate.Write(accepted);
    }

    /// <summary>Every live state, encoded as one awareness update; null when there is none.</summary>
    public byte[]? EncodeAll()
    {
        var live = new List<AwarenessEntry>();
        lock (_gate)
        {
            foreach (var (clientId, entry) in _states) live.Add(new AwarenessEntry(clientId, entry.Clock, entry.Json));
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
            if (!_owned.ContainsKey(connectionId)) return null;
            foreach (var (clientId, entry) in _states)
            {
                if (entry.Connection == connectionId) removed.Add(new(clientId, entry.Clock));
            }
            foreach (var (clientId, _) in removed) Forget(clientId, _states[clientId]);
            _owned.Remove(connectionId);
        }
        return removed.Count == 0 ? null : AwarenessUpdate.EncodeRemoval(removed);
    }

    /// <summary>How many live states are held.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _states.Count;
        }
    }

    /// <summary>The bytes the live states are counted as (UTF-8 JSON text plus a fixed overhead per entry).</summary>
    public long Bytes
    {
        get
        {
            lock (_gate) return _bytes;
        }
    }

    /// <summary>Live states, their counted bytes, and the connections that own any, read together.</summary>
    public (int States, long Bytes, int Owners) Totals()
    {
        lock (_gate) return (_states.Count, _bytes, _owned.Count);
    }

    private static long Cost(string json) => System.Text.Encoding.UTF8.GetByteCount(json) + EntryOverhead;

    private void Forget(uint clientId, Entry entry)
    {
        _states.Remove(clientId);
        _bytes -= Cost(entry.Json);
        var left = _owned.GetValueOrDefault(entry.Connection) - 1;
        if (left <= 0) _owned.Remove(entry.Connection);
        else _owned[entry.Connection] = left;
    }

    private readonly record struct Entry(ulong Clock, string Json, string Connection, string User);
}
