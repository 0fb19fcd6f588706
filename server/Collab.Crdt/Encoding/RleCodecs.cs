using System.Text;

namespace Collab.Crdt.Encoding;

/// <summary>The run record both optimized RLE encoders write: a varInt head, then (count - 2) for runs.</summary>
internal static class RleRun
{
    public static void Write(Lib0Writer w, long head, bool negativeZero, ulong count)
    {
        if (count > 0)
        {
            w.WriteVarInt(head, negativeZero);
            if (count > 1)
            {
                w.WriteVarUInt(count - 2);
            }
        }
    }
}

/// <summary>lib0 RleEncoder over bytes: value, then (run length - 1) before the next different value; the last run's count is never written.</summary>
internal sealed class RleByteEncoder
{
    private readonly Lib0Writer _w = new(16);
    private int _s = -1;
    private ulong _count;

    public void Write(byte v)
    {
        if (_s == v)
        {
            _count++;
            return;
        }

        if (_count > 0)
        {
            _w.WriteVarUInt(_count - 1);
        }

        _count = 1;
        _w.WriteByte(v);
        _s = v;
    }

    public byte[] ToArray() => _w.ToArray();
}

/// <summary>lib0 UintOptRleEncoder: a single value as positive varInt, a run as negative varInt plus (count - 2).</summary>
internal sealed class UintOptRleEncoder
{
    private readonly Lib0Writer _w = new(16);
    private long _s;
    private ulong _count;

    public void Write(long v)
    {
        if (_s == v)
        {
            _count++;
            return;
        }

        Flush();
        _count = 1;
        _s = v;
    }

    // a run of zeros is written as -0: lib0's varInt has a sign bit
    private void Flush() => RleRun.Write(_w, _count == 1 ? _s : -_s, _count > 1, _count);

    public byte[] ToArray()
    {
        Flush();
        _count = 0;
        return _w.ToArray();
    }
}

/// <summary>lib0 IntDiffOptRleEncoder: runs of equal differences, (diff * 2 + hasCount) as varInt.</summary>
internal sealed class IntDiffOptRleEncoder
{
    private readonly Lib0Writer _w = new(16);
    private long _s;
    private ulong _count;
    private long _diff;

    public void Write(long v)
    {
        if (_diff == v - _s)
        {
            _s = v;
            _count++;
            return;
        }

        Flush();
        _count = 1;
        _diff = v - _s;
        _s = v;
    }

    private void Flush() => RleRun.Write(_w, (_diff * 2) + (_count == 1 ? 0 : 1), false, _count);

    public byte[] ToArray()
    {
        Flush();
        _count = 0;
        return _w.ToArray();
    }
}

/// <summary>lib0 StringEncoder: all strings concatenated as one varString, then their UTF-16 lengths (UintOptRle).</summary>
internal sealed class StringEncoder
{
    private readonly StringBuilder _sb = new();
    private readonly UintOptRleEncoder _lens = new();

    public void Write(ReadOnlySpan<char> s)
    {
        _sb.Append(s);
        _lens.Write(s.Length);
    }

    public byte[] ToArray()
    {
        var w = new Lib0Writer(_sb.Length + 16);
        w.WriteVarString(_sb.ToString());
        w.WriteBytes(_lens.ToArray());
        return w.ToArray();
    }
}

/// <summary>lib0 RleDecoder over bytes; past the last count it repeats the last value forever.</summary>
internal sealed class RleByteDecoder
{
    private readonly byte[] _data;
    private readonly long _baseOffset;
    private int _pos;
    private byte _s;
    private long _count;

    public RleByteDecoder(byte[] data, long baseOffset)
    {
        _data = data;
        _baseOffset = baseOffset;
    }

    public byte Read()
    {
        if (_count == 0)
        {
            var r = new Lib0Reader(_data.AsSpan(_pos), _baseOffset + _pos);
            _s = r.ReadByte();
            if (r.HasMore)
            {
                _count = (long)r.ReadVarUInt() + 1;
            }
            else
            {
                _count = -1;
            }

            _pos += r.Position;
        }

        _count--;
        return _s;
    }
}

/// <summary>lib0 UintOptRleDecoder.</summary>
internal sealed class UintOptRleDecoder
{
    private readonly byte[] _data;
    private readonly long _baseOffset;
    private int _pos;
    private long _s;
    private ulong _count;

    public UintOptRleDecoder(byte[] data, long baseOffset)
    {
        _data = data;
        _baseOffset = baseOffset;
    }

    public long Read()
    {
        if (_count == 0)
        {
            var r = new Lib0Reader(_data.AsSpan(_pos), _baseOffset + _pos);
            _s = r.ReadVarInt(out bool negZero);
            _count = 1;
            if (_s < 0 || negZero)
            {
                _s = -_s;
                _count = r.ReadVarUInt() + 2;
            }

            _pos += r.Position;
        }

        _count--;
        return _s;
    }
}

/// <summary>lib0 IntDiffOptRleDecoder.</summary>
internal sealed class IntDiffOptRleDecoder
{
    private readonly byte[] _data;
    private readonly long _baseOffset;
    private int _pos;
    private long _s;
    private ulong _count;
    private long _diff;

    public IntDiffOptRleDecoder(byte[] data, long baseOffset)
    {
        _data = data;
        _baseOffset = baseOffset;
    }

    public long Read()
    {
        if (_count == 0)
        {
            var r = new Lib0Reader(_data.AsSpan(_pos), _baseOffset + _pos);
            long diff = r.ReadVarInt();
            bool hasCount = (diff & 1) != 0;
            _diff = diff >> 1;
            _count = 1;
            if (hasCount)
            {
                _count = r.ReadVarUInt() + 2;
            }

            _pos += r.Position;
        }

        _s += _diff;
        _count--;
        return _s;
    }
}

/// <summary>lib0 StringDecoder: slices the concatenated string by the UTF-16 lengths.</summary>
internal sealed class StringDecoder
{
    private readonly string _str;
    private readonly UintOptRleDecoder _lens;
    private int _spos;
    private readonly long _baseOffset;

    public StringDecoder(byte[] data, long baseOffset)
    {
        var r = new Lib0Reader(data, baseOffset);
        _str = r.ReadVarString();
        _baseOffset = baseOffset;
        _lens = new UintOptRleDecoder(data[r.Position..], baseOffset + r.Position);
    }

    public string Read()
    {
        long len = _lens.Read();
        if (len < 0 || len > _str.Length - _spos)
        {
            throw new YjsFormatException("String column exhausted", _baseOffset);
        }

        var res = _str.Substring(_spos, (int)len);
        _spos += (int)len;
        return res;
    }
}
