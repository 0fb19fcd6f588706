using System.Text;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>lib0's RleEncoder for bytes: a value, then how many more times it repeats (the last count is implied).</summary>
internal sealed class ByteRleEncoder
{
    private readonly Lib0Writer _w = new(64);
    private bool _has;
    private byte _value;
    private long _count;

    public void Write(byte v)
    {
        if (_has && _value == v)
        {
            _count++;
            return;
        }

        if (_count > 0)
        {
            _w.WriteVarUInt((ulong)(_count - 1));
        }

        _count = 1;
        _w.WriteByte(v);
        _value = v;
        _has = true;
    }

    public ReadOnlySpan<byte> Bytes => _w.WrittenSpan;
}

/// <summary>lib0's UintOptRleEncoder: a varInt value, negated when a repeat count follows.</summary>
internal sealed class UintOptRleEncoder
{
    private readonly Lib0Writer _w = new(64);
    private ulong _value;
    private long _count;

    public void Write(ulong v)
    {
        if (_value == v)
        {
            _count++;
            return;
        }

        Flush();
        _count = 1;
        _value = v;
    }

    // A repeated 0 is written as -0, which lib0 reads as "negative".
    public byte[] ToArray() => RunWriter.Finish(
        _w, ref _count, _count == 1 ? (long)_value : -(long)_value, _count > 1 && _value == 0);

    private void Flush() => RunWriter.Write(_w, _count, _count == 1 ? (long)_value : -(long)_value, _count > 1 && _value == 0);
}

/// <summary>lib0's IntDiffOptRleEncoder: differences between values, the low bit telling whether a count follows.</summary>
internal sealed class IntDiffOptRleEncoder
{
    private readonly Lib0Writer _w = new(64);
    private long _value;
    private long _diff;
    private long _count;

    public void Write(long v)
    {
        if (_diff == v - _value)
        {
            _value = v;
            _count++;
            return;
        }

        Flush();
        _count = 1;
        _diff = v - _value;
        _value = v;
    }

    public byte[] ToArray() => RunWriter.Finish(_w, ref _count, (_diff * 2) + (_count == 1 ? 0 : 1), negativeZero: false);

    private void Flush() => RunWriter.Write(_w, _count, (_diff * 2) + (_count == 1 ? 0 : 1), negativeZero: false);
}

/// <summary>The run format both optimized RLE encoders share: a varInt head, then the count minus two for runs.</summary>
internal static class RunWriter
{
    public static void Write(Lib0Writer w, long count, long head, bool negativeZero)
    {
        if (count > 0)
        {
            w.WriteVarInt(head, negativeZero);
            if (count > 1)
            {
                w.WriteVarUInt((ulong)(count - 2));
            }
        }
    }

    public static byte[] Finish(Lib0Writer w, ref long count, long head, bool negativeZero)
    {
        Write(w, count, head, negativeZero);
        count = 0;
        return w.ToArray();
    }
}

/// <summary>lib0's StringEncoder: all strings concatenated, then their UTF-16 lengths.</summary>
internal sealed class StringRleEncoder
{
    private readonly StringBuilder _all = new();
    private readonly UintOptRleEncoder _lengths = new();

    public void Write(string s)
    {
        _all.Append(s);
        _lengths.Write((ulong)s.Length);
    }

    public byte[] ToArray()
    {
        var w = new Lib0Writer(_all.Length + 16);
        w.WriteVarString(_all.ToString());
        w.WriteBytes(_lengths.ToArray());
        return w.ToArray();
    }
}
