namespace Collab.EventStore.LiteDb;

/// <summary>
/// A branch's events that are not in its chunks yet, as readers see them: the first <see cref="Count"/> slots of a
/// buffer. The writer appends past <see cref="Count"/> into the same buffer and publishes a new view, so a group's
/// append copies nothing and a reader of an older view never sees a slot change.
/// </summary>
internal sealed class Tail
{
    public static readonly Tail Empty = new([], 0);

    private readonly StoredEvent[] _buffer;

    private Tail(StoredEvent[] buffer, int count) => (_buffer, Count) = (buffer, count);

    public int Count { get; }

    public StoredEvent this[int index] => index < Count ? _buffer[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public StoredEvent First => this[0];

    public StoredEvent Last => this[Count - 1];

    /// <summary>A view with <paramref name="events"/> after these (writer only, and only on the newest view).</summary>
    public Tail Append(List<StoredEvent> events)
    {
        var count = Count + events.Count;
        var buffer = _buffer;
        if (count > buffer.Length)
        {
            buffer = new StoredEvent[Math.Max(count, Math.Max(16, buffer.Length * 2))];
            Array.Copy(_buffer, buffer, Count);
        }

        events.CopyTo(buffer, Count);
        return new Tail(buffer, count);
    }

    public List<StoredEvent> ToList() => [.. _buffer.AsSpan(0, Count)];

    /// <summary>The events from <paramref name="from"/> to <paramref name="to"/> (seqs).</summary>
    public IEnumerable<StoredEvent> Range(long from, long to)
    {
        if (Count == 0) yield break;
        var first = First.Seq.Value;
        for (var i = (int)Math.Max(0, from - first); i < Count && first + i <= to; i++) yield return _buffer[i];
    }
}
