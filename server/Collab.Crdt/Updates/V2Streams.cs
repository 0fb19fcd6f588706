using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>A position in a slice of an array, read with <see cref="Lib0Reader"/> one value at a time.</summary>
internal sealed class ByteStream
{
    private readonly byte[] _data;
    private readonly int _end;

    public ByteStream(byte[] data, int start, int end)
    {
        _data = data;
        Position = start;
        _end = end;
    }

    public int Position { get; private set; }

    public bool HasContent => Position < _end;

    public byte[] Data => _data;

    private Lib0Reader Reader() => new(_data.AsSpan(Position, _end - Position), Position);

    public byte ReadByte()
    {
        var r = Reader();
        byte b = r.ReadByte();
        Position += r.Position;
        return b;
    }

    public ulong ReadVarUInt()
    {
        var r = Reader();
        ulong v = r.ReadVarUInt();
        Position += r.Position;
        return v;
    }

    public uint ReadVarUInt32()
    {
        var r = Reader();
        uint v = r.ReadVarUInt32();
        Position += r.Position;
        return v;
    }

    public long ReadVarInt(out bool negativeZero)
    {
        var r = Reader();
        long v = r.ReadVarInt(out negativeZero);
        Position += r.Position;
        return v;
    }

    public string ReadVarString()
    {
        var r = Reader();
        string s = r.ReadVarString();
        Position += r.Position;
        return s;
    }

    /// <summary>Reads a varUint8Array and returns where its bytes are.</summary>
    public (int Start, int Length) ReadVarUint8Array()
    {
        var r = Reader();
        var bytes = r.ReadVarUint8Array();
        Position += r.Position;
        return (Position - bytes.Length, bytes.Length);
    }

    /// <summary>Steps over one <c>any</c> value and returns where it is.</summary>
    public (int Start, int Length) SkipAny()
    {
        var r = Reader();
        AnySkipper.Skip(ref r);
        int start = Position;
        Position += r.Position;
        return (start, r.Position);
    }

    /// <summary>Reads one <c>any</c> value into objects.</summary>
    public object? ReadAny()
    {
        var r = Reader();
        var v = r.ReadAny();
        Position += r.Position;
        return v;
    }

    /// <summary>A sub-stream over the next varUint8Array.</summary>
    public ByteStream ReadSubStream()
    {
        var (start, length) = ReadVarUint8Array();
        return new ByteStream(_data, start, start + length);
    }

    public YjsFormatException Error(string message) => new(message, Position);
}

/// <summary>lib0's RleDecoder for bytes: a value, then how many more times it repeats (forever at the end).</summary>
internal sealed class ByteRleDecoder(ByteStream stream)
{
    private byte _value;
    private long _count;

    public byte Read()
    {
        if (_count == 0)
        {
            _value = stream.ReadByte();
            _count = stream.HasContent ? (long)stream.ReadVarUInt() + 1 : -1;
        }

        _count--;
        return _value;
    }
}

/// <summary>lib0's UintOptRleDecoder: a varInt value, negative when a repeat count follows.</summary>
internal sealed class UintOptRleDecoder(ByteStream stream)
{
    private long _value;
    private long _count;

    public ByteStream Stream => stream;

    public ulong Read()
    {
        if (_count == 0)
        {
            long v = stream.ReadVarInt(out bool negativeZero);
            _count = 1;
            if (v < 0 || negativeZero)
            {
                v = -v;
                _count = (long)stream.ReadVarUInt() + 2;
            }

            _value = v;
        }

        _count--;
        return (ulong)_value;
    }

    public uint Read32()
    {
        ulong v = Read();
        if (v > uint.MaxValue)
        {
            throw stream.Error($"Value {v} does not fit in 32 bits");
        }

        return (uint)v;
    }
}

/// <summary>lib0's IntDiffOptRleDecoder: differences between values, the low bit telling whether a count follows.</summary>
internal sealed class IntDiffOptRleDecoder(ByteStream stream)
{
    private long _value;
    private long _diff;
    private long _count;

    public uint Read32()
    {
        if (_count == 0)
        {
            long diff = stream.ReadVarInt(out _);
            _diff = diff >> 1; // floor(diff / 2), as JavaScript computes it
            _count = (diff & 1) != 0 ? (long)stream.ReadVarUInt() + 2 : 1;
        }

        _value += _diff;
        _count--;
        if (_value is < 0 or > uint.MaxValue)
        {
            throw stream.Error($"Clock {_value} out of range");
        }

        return (uint)_value;
    }
}

/// <summary>lib0's StringDecoder: all strings concatenated, then their UTF-16 lengths run-length encoded.</summary>
internal sealed class StringRleDecoder
{
    private readonly UintOptRleDecoder _lengths;
    private readonly string _all;
    private int _pos;

    public StringRleDecoder(ByteStream stream)
    {
        _all = stream.ReadVarString();
        _lengths = new UintOptRleDecoder(stream);
    }

    public string Read()
    {
        ulong length = _lengths.Read();
        if (length > (ulong)(_all.Length - _pos))
        {
            throw _lengths.Stream.Error("String length beyond the string data");
        }

        // Slices by UTF-16 units like JavaScript; a cut surrogate pair becomes U+FFFD when written.
        string s = _all.Substring(_pos, (int)length);
        _pos += (int)length;
        return s;
    }
}
