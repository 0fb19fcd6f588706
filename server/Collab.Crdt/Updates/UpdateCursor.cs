using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>
/// Walks the struct section of a v1 update one struct at a time, without a document (yjs's lazy struct reader).
/// Holds only positions, so many cursors can live side by side (merge) and one can run over a span (validate).
/// After the last struct, <see cref="Position"/> is where the delete set starts.
/// </summary>
internal struct UpdateCursor
{
    private ulong _clientsLeft;
    private ulong _structsLeft;
    private uint _client;
    private ulong _clock;
    private bool _started;

    /// <summary>Absolute byte position of the next read.</summary>
    public int Position { get; private set; }

    /// <summary>
    /// Reads the next struct. <paramref name="source"/> is the array behind <paramref name="data"/> when there is
    /// one (it is stored in the struct so it can be written later); pass null when only validating.
    /// </summary>
    public bool MoveNext(ReadOnlySpan<byte> data, byte[]? source, out UpdateStruct result)
    {
        var r = new Lib0Reader(data[Position..], Position);
        int start = Position;
        if (!_started)
        {
            _clientsLeft = r.ReadVarUInt();
            _started = true;
        }

        // Empty client sections are legal (yjs writes none, but reads them): skip them. Each takes at least three
        // bytes, so a hostile count runs out of input instead of looping.
        while (_structsLeft == 0)
        {
            if (_clientsLeft == 0)
            {
                Position = start + r.Position;
                result = default;
                return false;
            }

            _clientsLeft--;
            _structsLeft = r.ReadVarUInt();
            _client = r.ReadVarUInt32();
            _clock = r.ReadVarUInt32();
        }

        _structsLeft--;
        result = default;
        result.Source = source!;
        result.Client = _client;
        result.Clock = (uint)_clock;
        result.Offset = start + r.Position;
        StructCodec.ReadStruct(ref r, start, ref result);
        ulong end = _clock + result.Length;
        if (end > uint.MaxValue)
        {
            throw new YjsFormatException($"Clock of client {_client} exceeds 2^32", start + r.Position);
        }

        _clock = end;
        Position = start + r.Position;
        return true;
    }
}

/// <summary>A cursor bound to its update array, for algorithms that hold several at once (merge).</summary>
internal sealed class UpdateStructReader
{
    private readonly byte[] _data;
    private readonly bool _skipSkips;
    private UpdateCursor _cursor;

    public UpdateStructReader(byte[] data, bool skipSkips)
    {
        _data = data;
        _skipSkips = skipSkips;
        Next();
    }

    /// <summary>The current struct; only meaningful while <see cref="HasCurrent"/>.</summary>
    public UpdateStruct Current;

    public bool HasCurrent { get; private set; }

    /// <summary>Where the delete set starts (valid once the structs are exhausted).</summary>
    public int Position => _cursor.Position;

    public byte[] Data => _data;

    /// <summary>Advances; returns whether there is a current struct.</summary>
    public bool Next()
    {
        do
        {
            HasCurrent = _cursor.MoveNext(_data, _data, out Current);
        }
        while (HasCurrent && _skipSkips && Current.Kind == StructKind.Skip);

        return HasCurrent;
    }
}
