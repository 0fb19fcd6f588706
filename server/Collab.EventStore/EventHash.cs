using System.Buffers.Binary;

namespace Collab.EventStore;

/// <summary>A SHA-256 value (32 bytes) with value equality. Shown and parsed as 64 lowercase hex digits.</summary>
public readonly record struct EventHash
{
    /// <summary>Length in bytes.</summary>
    public const int Length = 32;

    // Four big-endian words instead of an array: value equality, no allocation, and the hex text keeps byte order.
    private readonly ulong _a, _b, _c, _d;

    private EventHash(ulong a, ulong b, ulong c, ulong d) => (_a, _b, _c, _d) = (a, b, c, d);

    /// <summary>Reads a hash from exactly 32 bytes.</summary>
    public static EventHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException($"A hash is {Length} bytes (got {bytes.Length}).", nameof(bytes));
        return new EventHash(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>Parses 64 hex digits.</summary>
    public static EventHash Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Length * 2) throw new FormatException($"A hash is {Length * 2} hex digits (got {hex.Length}).");
        return FromBytes(Convert.FromHexString(hex));
    }

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>64 lowercase hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
