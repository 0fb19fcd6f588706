using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Collab.Crdt.Encoding;

/// <summary>
/// Writes lib0 primitives into a growable array. Not thread safe. <see cref="ToArray"/> copies the written bytes;
/// <see cref="WrittenSpan"/> gives them without a copy. Implements <see cref="IBufferWriter{T}"/> for span-level access.
/// </summary>
public sealed class Lib0Writer : IBufferWriter<byte>
{
    private byte[] _buf;
    private int _pos;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public Lib0Writer(int initialCapacity = 256)
    {
        _buf = new byte[Math.Max(16, initialCapacity)];
    }

    /// <summary>Number of bytes written.</summary>
    public int Length => _pos;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(0, _pos);

    /// <summary>Copies the written bytes into a new array.</summary>
    public byte[] ToArray() => _buf.AsSpan(0, _pos).ToArray();

    /// <summary>Forgets everything written (keeps the buffer).</summary>
    public void Clear() => _pos = 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int needed)
    {
        long size = Math.Max((long)_buf.Length * 2, (long)_pos + needed);
        if (size > Array.MaxLength)
        {
            size = Math.Max(Array.MaxLength, _pos + needed);
        }

        Array.Resize(ref _buf, (int)size);
    }

    /// <summary>Writes one byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte value)
    {
        if (_pos >= _buf.Length)
        {
            Grow(1);
        }

        _buf[_pos++] = value;
    }

    /// <summary>Writes raw bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        if (_pos + bytes.Length > _buf.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buf.AsSpan(_pos));
        _pos += bytes.Length;
    }

    /// <summary>Writes an unsigned varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarUInt(ulong value)
    {
        if (_pos + 10 > _buf.Length)
        {
            Grow(10);
        }

        var buf = _buf;
        int pos = _pos;
        while (value > 0x7F)
        {
            buf[pos++] = (byte)(0x80 | (value & 0x7F));
            value >>= 7;
        }

        buf[pos++] = (byte)value;
        _pos = pos;
    }

    /// <summary>Writes a signed varint (lib0 format).</summary>
    public void WriteVarInt(long value) => WriteVarInt(value, negativeZero: false);

    /// <summary>Writes a signed varint; <paramref name="negativeZero"/> writes the JavaScript -0 when value is 0.</summary>
    public void WriteVarInt(long value, bool negativeZero)
    {
        bool negative = value < 0 || (value == 0 && negativeZero);
        ulong num = value < 0 ? (ulong)(-(value + 1)) + 1 : (ulong)value;
        WriteByte((byte)((num > 0x3F ? 0x80 : 0) | (negative ? 0x40 : 0) | (int)(num & 0x3F)));
        num >>= 6;
        while (num > 0)
        {
            WriteByte((byte)((num > 0x7F ? 0x80 : 0) | (int)(num & 0x7F)));
            num >>= 7;
        }
    }

    /// <summary>Writes a varUint length followed by the bytes.</summary>
    public void WriteVarUint8Array(ReadOnlySpan<byte> bytes)
    {
        WriteVarUInt((ulong)bytes.Length);
        WriteBytes(bytes);
    }

    /// <summary>Writes a varUint UTF-8 byte length then UTF-8; lone surrogates become U+FFFD like TextEncoder.</summary>
    public void WriteVarString(string value) => WriteVarString(value.AsSpan());

    /// <summary>Writes a varUint UTF-8 byte length then UTF-8; lone surrogates become U+FFFD like TextEncoder.</summary>
    public void WriteVarString(ReadOnlySpan<char> value)
    {
        // Fast path for ASCII, which is most text: the byte length is the char length.
        int n = value.Length;
        if (n < 0x80 && System.Text.Ascii.IsValid(value))
        {
            if (_pos + n + 1 > _buf.Length)
            {
                Grow(n + 1);
            }

            _buf[_pos++] = (byte)n;
            System.Text.Encoding.ASCII.GetBytes(value, _buf.AsSpan(_pos));
            _pos += n;
            return;
        }

        int byteCount = System.Text.Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((ulong)byteCount);
        if (_pos + byteCount > _buf.Length)
        {
            Grow(byteCount);
        }

        _pos += System.Text.Encoding.UTF8.GetBytes(value, _buf.AsSpan(_pos));
    }

    /// <summary>Writes a big-endian single.</summary>
    public void WriteFloat32(float value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleBigEndian(b, value);
        WriteBytes(b);
    }

    /// <summary>Writes a big-endian double.</summary>
    public void WriteFloat64(double value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, value);
        WriteBytes(b);
    }

    /// <summary>Writes a big-endian signed 64-bit integer.</summary>
    public void WriteBigInt64(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        WriteBytes(b);
    }

    /// <summary>
    /// Writes a lib0 <c>any</c> value, choosing tags as lib0's writeAny does. Accepts null, <see cref="YUndefined"/>,
    /// bool, string, all .NET integer types, float/double/decimal (JS numbers), <see cref="BigInteger"/> (tag 122,
    /// wrapped to int64), byte[]/ReadOnlyMemory&lt;byte&gt;, string-keyed dictionaries (written in JavaScript key
    /// order: array-index keys ascending first) and other enumerables (arrays).
    /// </summary>
    public void WriteAny(object? value) => WriteAny(value, 0);

    private void WriteAny(object? value, int depth)
    {
        if (depth > Lib0Reader.MaxAnyDepth)
        {
            throw new ArgumentException("Nesting of any values too deep");
        }

        switch (value)
        {
            case null:
                WriteByte(126);
                return;
            case string s:
                WriteByte(119);
                WriteVarString(s);
                return;
            case bool b:
                WriteByte(b ? (byte)120 : (byte)121);
                return;
            case long l:
                WriteNumber(l);
                return;
            case int i:
                WriteNumber(i);
                return;
            case double d:
                WriteNumber(d);
                return;
            case YUndefined:
                WriteByte(127);
                return;
            case byte[] bytes:
                WriteByte(116);
                WriteVarUint8Array(bytes);
                return;
            case ReadOnlyMemory<byte> rom:
                WriteByte(116);
                WriteVarUint8Array(rom.Span);
                return;
            case BigInteger bi:
                WriteByte(122);
                WriteBigInt64((long)(ulong)(bi & ulong.MaxValue));
                return;
            case float f:
                WriteNumber(f);
                return;
            case uint ui:
                WriteNumber(ui);
                return;
            case ulong ul:
                WriteNumber(ul);
                return;
            case short sh:
                WriteNumber(sh);
                return;
            case ushort us:
                WriteNumber(us);
                return;
            case byte by:
                WriteNumber(by);
                return;
            case sbyte sb:
                WriteNumber(sb);
                return;
            case decimal m:
                WriteNumber((double)m);
                return;
            case IEnumerable<KeyValuePair<string, object?>> dict:
                WriteObject(dict, depth);
                return;
            case IDictionary legacy:
                {
                    var list = new List<KeyValuePair<string, object?>>();
                    foreach (DictionaryEntry e in legacy)
                    {
                        list.Add(new KeyValuePair<string, object?>(e.Key.ToString() ?? string.Empty, e.Value));
                    }

                    WriteObject(list, depth);
                    return;
                }

            case IList list:
                WriteByte(117);
                WriteVarUInt((ulong)list.Count);
                for (int k = 0; k < list.Count; k++)
                {
                    WriteAny(list[k], depth + 1);
                }

                return;
            case IEnumerable seq:
                {
                    var items = new List<object?>();
                    foreach (var o in seq)
                    {
                        items.Add(o);
                    }

                    WriteAny(items, depth);
                    return;
                }

            default:
                throw new ArgumentException($"Value of type {value.GetType()} cannot be encoded as a yjs any value");
        }
    }

    private void WriteObject(IEnumerable<KeyValuePair<string, object?>> dict, int depth)
    {
        WriteByte(118);
        var entries = JsKeyOrder.Order(dict);
        WriteVarUInt((ulong)entries.Count);
        foreach (var kv in entries)
        {
            WriteVarString(kv.Key);
            WriteAny(kv.Value, depth + 1);
        }
    }

    /// <summary>Writes a JavaScript number with the tag lib0 picks: 125 integer, 124 float32 or 123 float64.</summary>
    public void WriteNumber(double value)
    {
        if (double.IsInteger(value) && Math.Abs(value) <= int.MaxValue)
        {
            WriteByte(125);
            WriteVarInt((long)value, double.IsNegative(value));
        }
        else if (!double.IsNaN(value) && (double)(float)value == value)
        {
            WriteByte(124);
            WriteFloat32((float)value);
        }
        else
        {
            WriteByte(123);
            WriteFloat64(value);
        }
    }

    /// <summary>Writes an integer as a JavaScript number (tag 125 when |n| &lt;= 2^31-1, else as a float).</summary>
    public void WriteNumber(long value)
    {
        if (value >= -int.MaxValue && value <= int.MaxValue)
        {
            WriteByte(125);
            WriteVarInt(value);
        }
        else
        {
            WriteNumber((double)value);
        }
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        if (count < 0 || _pos + count > _buf.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _pos += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_pos + Math.Max(sizeHint, 1) > _buf.Length)
        {
            Grow(Math.Max(sizeHint, 1));
        }

        return _buf.AsMemory(_pos);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        if (_pos + Math.Max(sizeHint, 1) > _buf.Length)
        {
            Grow(Math.Max(sizeHint, 1));
        }

        return _buf.AsSpan(_pos);
    }
}
