using System.Security.Cryptography;

namespace Collab.EventStore.Merkle;

/// <summary>
/// The hashes of the Merkle tree over a branch's view, in the style of RFC 9162 (Certificate Transparency v2):
/// a leaf is the event's chain hash (<see cref="StoredEvent.Hash"/>), leaf hash = SHA-256(0x00 ‖ chain hash),
/// node hash = SHA-256(0x01 ‖ left ‖ right), the root of the empty tree = SHA-256 of nothing. See docs/verification.md.
/// </summary>
public static class MerkleHash
{
    /// <summary>The root of a tree of no leaves: SHA-256 of the empty string.</summary>
    public static EventHash EmptyRoot { get; } = EventHash.FromBytes(SHA256.HashData(ReadOnlySpan<byte>.Empty));

    /// <summary>SHA-256(0x00 ‖ the event's chain hash).</summary>
    public static EventHash Leaf(EventHash eventHash)
    {
        Span<byte> input = stackalloc byte[1 + EventHash.Length];
        input[0] = 0;
        eventHash.CopyTo(input[1..]);
        Span<byte> output = stackalloc byte[EventHash.Length];
        SHA256.HashData(input, output);
        return EventHash.FromBytes(output);
    }

    /// <summary>SHA-256(0x01 ‖ left ‖ right).</summary>
    public static EventHash Node(EventHash left, EventHash right)
    {
        Span<byte> input = stackalloc byte[1 + 2 * EventHash.Length];
        input[0] = 1;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + EventHash.Length)..]);
        Span<byte> output = stackalloc byte[EventHash.Length];
        SHA256.HashData(input, output);
        return EventHash.FromBytes(output);
    }

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (n ≥ 2), RFC 9162's split point.</summary>
    internal static long Split(long n) => 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(n - 1)));
}
