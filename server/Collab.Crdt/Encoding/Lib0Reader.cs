using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Collab.Crdt.Encoding;

/// <summary>
/// Reads lib0 primitives (the encoding yjs uses) from a span. Every read validates its input and throws
/// <see cref="YjsFormatException"/> with the byte offset on truncated or invalid data; claimed lengths are checked
/// against the remaining bytes before anything is allocated.
/// </summary>
/// <remarks>
/// Values of <see cref="ReadAny"/>: null (JS null), <see cref="YUndefined.Value"/>, bool, long (tag 125 integers),
/// double (floats, and the integer -0 as -0.0), <see cref="BigInteger"/> (tag 122), string, byte[],
/// <c>Dictionary&lt;string, object?&gt;</c> (insertion ordered as on the wire), <c>List&lt;object?&gt;</c>.
/// </remarks>
public ref struct Lib0Reader
{
    /// <summary>Maximum nesting depth of <c>any</c> arrays/objects accepted.</summary>
    public const int MaxAnyDepth = 256;

    /// <summary>Largest integer lib0 decodes (Number.MAX_SAFE_INTEGER).</summary>
    public const ulong MaxSafeInteger = (1UL << 53) - 1;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private readonly long _baseOffset;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public Lib0Reader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
        _baseOffset = 0;
    }

    /// <summary>Creates a reader whose reported offsets are shifted by <paramref name="baseOffset"/>.</summary>
    public Lib0Reader(ReadOnlySpan<byte> data, long baseOffset)
    {
        _data = data;
        _pos = 0;
        _baseOffset = baseOffset;
    }

    /// <summary>Current position in bytes.</summary>
    public readonly int Position => _pos;

    /// <summary>Whether unread bytes remain.</summary>
    public readonly bool HasMore => _pos < _data.Length;

    /// <summary>Number of unread bytes.</summary>
    public readonly int Remaining => _data.Length - _pos;

    /// <summary>The unread bytes.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _data[_pos..];

    /// <summary>Offset (including the base offset) of the current position, for error messages.</summary>
    public readonly long Offset => _baseOffset + _pos;

    /// <summary>Throws a <see cref="YjsFormatException"/> at the current position.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public readonly YjsFormatException Error(string message) => new(message, _baseOffset + _pos);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly YjsFormatException ErrorAt(string message, int pos) => new(message, _baseOffset + pos);

    /// <summary>Reads one byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        if ((uint)_pos >= (uint)_data.Length)
        {
            throw Error("Unexpected end of input reading a byte");
        }

        return _data[_pos++];
    }

    /// <summary>Reads <paramref name="count"/> raw bytes.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _data.Length - _pos)
        {
            throw Error($"Unexpected end of input: {count} bytes claimed, {_data.Length - _pos} remain");
        }

        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    /// <summary>Reads an unsigned varint (7 bits a byte, little end first); at most 2^53-1 like lib0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarUInt()
    {
        if ((uint)_pos < (uint)_data.Length)
        {
            byte b = _data[_pos];
            if (b < 0x80)
            {
                _pos++;
                return b;
            }
        }

        return ReadVarUIntSlow();
    }

    private ulong ReadVarUIntSlow()
    {
        int start = _pos;
        ulong num = 0;
        int shift = 0;
        while (_pos < _data.Length)
        {
            byte r = _data[_pos++];
            num |= (ulong)(r & 0x7F) << shift;
            if (r < 0x80)
            {
                if (num > MaxSafeInteger)
                {
                    throw ErrorAt("Integer out of range", start);
                }

                return num;
            }

            shift += 7;
            if (num > MaxSafeInteger || shift > 56)
            {
                throw ErrorAt("Integer out of range", start);
            }
        }

        throw ErrorAt("Unexpected end of input reading a varUint", start);
    }

    /// <summary>Reads an unsigned varint that must fit in 32 bits (client ids, clocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadVarUInt32()
    {
        int start = _pos;
        ulong v = ReadVarUInt();
        if (v > uint.MaxValue)
        {
            throw ErrorAt($"Value {v} does not fit in 32 bits", start);
        }

        return (uint)v;
    }

    /// <summary>
    /// Reads a varUint used as a count of items that each take at least <paramref name="minBytesPerItem"/> bytes,
    /// and checks it against the remaining input before the caller allocates anything.
    /// </summary>
    public int ReadVarUIntAsLength(int minBytesPerItem = 1)
    {
        int start = _pos;
        ulong v = ReadVarUInt();
        ulong remaining = (ulong)(_data.Length - _pos);
        if (minBytesPerItem > 0 && v > remaining / (ulong)minBytesPerItem)
        {
            throw ErrorAt($"Claimed length {v} exceeds the {remaining} remaining bytes", start);
        }

        if (v > int.MaxValue)
        {
            throw ErrorAt($"Claimed length {v} is too large", start);
        }

        return (int)v;
    }

    /// <summary>Reads a signed varint (lib0 format: sign in bit 6 of the first byte).</summary>
    public long ReadVarInt() => ReadVarInt(out _);

    /// <summary>Reads a signed varint and reports whether it was the JavaScript value -0.</summary>
    public long ReadVarInt(out bool negativeZero)
    {
        int start = _pos;
        byte r = ReadByte();
        ulong num = (ulong)(r & 0x3F);
        bool negative = (r & 0x40) != 0;
        int shift = 6;
        if ((r & 0x80) != 0)
        {
            while (true)
            {
                if (_pos >= _data.Length)
                {
                    throw ErrorAt("Unexpected end of input reading a varInt", start);
                }

                r = _data[_pos++];
                num |= (ulong)(r & 0x7F) << shift;
                if (r < 0x80)
                {
                    break;
                }

                shift += 7;
                if (shift >= 55)
                {
                    throw ErrorAt("Integer out of range", start);
                }
            }
        }

        if (num > MaxSafeInteger)
        {
            throw ErrorAt("Integer out of range", start);
        }

        negativeZero = negative && num == 0;
        return negative ? -(long)num : (long)num;
    }

    /// <summary>Reads a varUint length then that many bytes (a view into the input, not a copy).</summary>
    public ReadOnlySpan<byte> ReadVarUint8Array()
    {
        int len = ReadVarUIntAsLength();
        var s = _data.Slice(_pos, len);
        _pos += len;
        return s;
    }

    /// <summary>Reads a varUint byte length then UTF-8; rejects invalid UTF-8 and keeps a leading BOM.</summary>
    public string ReadVarString()
    {
        int start = _pos;
        int len = ReadVarUIntAsLength();
        if (len == 0)
        {
            return string.Empty;
        }

        var bytes = _data.Slice(_pos, len);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw ErrorAt("Invalid UTF-8 in string", start);
        }

        _pos += len;
        return StrictUtf8.GetString(bytes);
    }

    /// <summary>Reads a big-endian IEEE 754 single.</summary>
    public double ReadFloat32() => BinaryPrimitives.ReadSingleBigEndian(ReadBytes(4));

    /// <summary>Reads a big-endian IEEE 754 double.</summary>
    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8));

    /// <summary>Reads a big-endian signed 64-bit integer (lib0 bigint).</summary>
    public long ReadBigInt64() => BinaryPrimitives.ReadInt64BigEndian(ReadBytes(8));

    /// <summary>Reads a lib0 <c>any</c> value; see the type remarks for the C# representation.</summary>
    public object? ReadAny() => ReadAnyAt(0);

    private object? ReadAnyAt(int depth)
    {
        int start = _pos;
        byte tag = ReadByte();
        switch (tag)
        {
            case 127:
                return YUndefined.Value;
            case 126:
                return null;
            case 125:
                {
                    long v = ReadVarInt(out bool negZero);
                    return negZero ? (object)(-0.0) : v;
                }

            case 124:
                return ReadFloat32();
            case 123:
                return ReadFloat64();
            case 122:
                return new BigInteger(ReadBigInt64());
            case 121:
                return false;
            case 120:
                return true;
            case 119:
                return ReadVarString();
            case 118:
                {
                    if (depth >= MaxAnyDepth)
                    {
                        throw ErrorAt("Nesting of any values too deep", start);
                    }

                    // each entry takes at least 2 bytes (empty key length + tag)
                    int len = ReadVarUIntAsLength(2);
                    var obj = new Dictionary<string, object?>(Math.Min(len, 64));
                    for (int i = 0; i < len; i++)
                    {
                        string key = ReadVarString();
                        obj[key] = ReadAnyAt(depth + 1);
                    }

                    return obj;
                }

            case 117:
                {
                    if (depth >= MaxAnyDepth)
                    {
                        throw ErrorAt("Nesting of any values too deep", start);
                    }

                    int len = ReadVarUIntAsLength(1);
                    var arr = new List<object?>(Math.Min(len, 64));
                    for (int i = 0; i < len; i++)
                    {
                        arr.Add(ReadAnyAt(depth + 1));
                    }

                    return arr;
                }

            case 116:
                return ReadVarUint8Array().ToArray();
            default:
                throw ErrorAt($"Unknown any tag {tag}", start);
        }
    }
}
