using Collab.Crdt;
using Collab.Crdt.Encoding;

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
    /// Validates an awareness update, records its entries as owned by <paramref name="connectionId"/> (the latest publisher owns an id: a reconnecting client keeps its id), and returns
    /// whether anything in it is news (older clocks are ignored, as the reference does).
    /// </summary>
    public bool Apply(ReadOnlySpan<byte> update, string connectionId)
    {
        var entries = Decode(update);
        var changed = false;
        lock (_gate)
        {
            foreach (var (clientId, clock, json) in entries)
            {
                var known = _states.TryGetValue(clientId, out var current);
                var isNull = json == "null";
                if (known && (clock < current.Clock || (clock == current.Clock && !isNull))) continue;
                _states[clientId] = new Entry(clock, json, connectionId);
                changed = true;
            }
        }
        return changed;
    }

    /// <summary>Every live (non-null) state, encoded as one awareness update; null when there is none.</summary>
    public byte[]? EncodeAll()
    {
        lock (_gate)
        {
            var writer = new Lib0Writer();
            var count = 0;
            foreach (var entry in _states.Values) if (entry.Json != "null") count++;
            if (count == 0) return null;
            writer.WriteVarUInt((ulong)count);
            foreach (var (clientId, entry) in _states)
            {
                if (entry.Json == "null") continue;
                writer.WriteVarUInt(clientId);
                writer.WriteVarUInt(entry.Clock);
                writer.WriteVarString(entry.Json);
            }
            return writer.ToArray();
        }
    }

    /// <summary>
    /// Forgets the states a connection published and returns the awareness update that tells the others
    /// (null state, clock + 1), or null when the connection published nothing still live.
    /// </summary>
    public byte[]? RemoveConnection(string connectionId)
    {
        lock (_gate)
        {
            List<(uint Id, uint Clock)>? removed = null;
            foreach (var (clientId, entry) in _states)
            {
                if (entry.Connection != connectionId) continue;
                if (entry.Json != "null") (removed ??= []).Add((clientId, entry.Clock + 1));
            }
            if (removed is null)
            {
                RemoveOwned(connectionId);
                return null;
            }
            var writer = new Lib0Writer();
            writer.WriteVarUInt((ulong)removed.Count);
            foreach (var (clientId, clock) in removed)
            {
                writer.WriteVarUInt(clientId);
                writer.WriteVarUInt(clock);
                writer.WriteVarString("null");
            }
            RemoveOwned(connectionId);
            return writer.ToArray();
        }
    }

    /// <summary>How many live states are held.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _states.Count;
        }
    }

    private void RemoveOwned(string connectionId)
    {
        List<uint>? ids = null;
        foreach (var (clientId, entry) in _states) if (entry.Connection == connectionId) (ids ??= []).Add(clientId);
        if (ids is null) return;
        foreach (var id in ids) _states.Remove(id);
    }

    /// <summary>Decodes and checks an awareness update: count, then (client id, clock, JSON text) per entry.</summary>
    internal static List<(uint ClientId, uint Clock, string Json)> Decode(ReadOnlySpan<byte> update)
    {
        var reader = new Lib0Reader(update);
        var count = reader.ReadVarUIntAsLength(minBytesPerItem: 3);
        var entries = new List<(uint, uint, string)>(count);
        for (var i = 0; i < count; i++)
        {
            var clientId = reader.ReadVarUInt32();
            var clock = reader.ReadVarUInt32();
            var start = reader.Position;
            var json = reader.ReadVarString();
            if (!IsJson(json)) throw new YjsFormatException("Awareness state is not valid JSON", start);
            entries.Add((clientId, clock, json));
        }
        if (reader.HasMore) throw reader.Error($"{reader.Remaining} unexpected bytes after the awareness update");
        return entries;
    }

    private static bool IsJson(string json)
    {
        try
        {
            using var parsed = System.Text.Json.JsonDocument.Parse(json);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private readonly record struct Entry(uint Clock, string Json, string Connection);
}
