using System.Security.Cryptography;

namespace Collab.Documents.Sessions;

/// <summary>
/// Recent client update ids of one branch with the seq they were stored at, so that a retried update is acknowledged
/// again without a second append. Bounded: the oldest ids are forgotten first. Used only by the session loop.
/// </summary>
internal sealed class UpdateIdCache(int capacity)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Looks an id up. <paramref name="sameBytes"/> is false when the id was stored for other bytes.</summary>
    public bool TryGet(string updateId, byte[] update, out long seq, out bool sameBytes)
    {
        if (!_entries.TryGetValue(updateId, out var entry))
        {
            seq = 0;
            sameBytes = true;
            return false;
        }
        seq = entry.Seq;
        // Ids loaded from the log carry no client digest (the log stores what the document emitted): trust them.
        sameBytes = entry.Digest is null || entry.Digest.AsSpan().SequenceEqual(Digest(update));
        return true;
    }

    /// <summary>Remembers an id; <paramref name="update"/> is the client's bytes, or null when unknown.</summary>
    public void Remember(string updateId, long seq, byte[]? update)
    {
        if (capacity == 0) return;
        if (_entries.ContainsKey(updateId)) return;
        _entries[updateId] = new Entry(seq, update is null ? null : Digest(update));
        _order.Enqueue(updateId);
        while (_order.Count > capacity) _entries.Remove(_order.Dequeue());
    }

    private static byte[] Digest(byte[] update) => SHA256.HashData(update);

    private readonly record struct Entry(long Seq, byte[]? Digest);
}
