using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Collab.EventStore;

/// <summary>
/// The hash chain: genesis and event hashes over the canonical encoding written down in docs/event-store.md
/// ("Hash encoding v1"), so that an auditor can re-verify with their own code.
/// </summary>
public static class EventChain
{
    /// <summary>Domain tag of event hashes.</summary>
    public const string EventTag = "collab.event.v1";

    /// <summary>Domain tag of genesis hashes.</summary>
    public const string GenesisTag = "collab.genesis.v1";

    /// <summary>SHA-256(str("collab.genesis.v1") ‖ str(documentId)): what the first event of <c>main</c> links to.</summary>
    public static EventHash Genesis(DocumentId document)
    {
        Span<byte> buffer = stackalloc byte[StrLength(GenesisTag) + StrLength(document.Value)];
        var at = WriteString(buffer, GenesisTag);
        WriteString(buffer[at..], document.Value);
        Span<byte> digest = stackalloc byte[EventHash.Length];
        SHA256.HashData(buffer, digest);
        return EventHash.FromBytes(digest);
    }

    /// <summary>Re-computes the hash of a stored event (in its stored, not upcast, form).</summary>
    public static EventHash ComputeHash(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return ComputeHash(stored.PreviousHash, stored.Branch, stored.Seq, stored.Kind, stored.SchemaVersion, stored.Author, stored.ServerTime, stored.ClientUpdateId, stored.ClientIds, stored.Payload.Span);
    }

    /// <summary>The hash of an event with these fields (encoding v1).</summary>
    public static EventHash ComputeHash(
        EventHash previous,
        BranchRef branch,
        EventSeq seq,
        EventKind kind,
        int schemaVersion,
        string author,
        DateTimeOffset serverTime,
        string? clientUpdateId,
        IReadOnlyList<uint> clientIds,
        ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(clientIds);

        // One contiguous buffer and one SHA-256 call: many small incremental updates cost more than the hashing.
        var length = StrLength(EventTag) + EventHash.Length + StrLength(branch.Document.Value) + StrLength(branch.Branch.Value) + 8
            + StrLength(kind.Value) + 4 + StrLength(author) + 8 + 1 + (clientUpdateId is null ? 0 : StrLength(clientUpdateId))
            + 4 + (4 * clientIds.Count) + 4 + payload.Length;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            var at = WriteString(buffer, EventTag);
            previous.CopyTo(buffer[at..]);
            at += EventHash.Length;
            at += WriteString(buffer[at..], branch.Document.Value);
            at += WriteString(buffer[at..], branch.Branch.Value);
            BinaryPrimitives.WriteUInt64BigEndian(buffer[at..], checked((ulong)seq.Value));
            at += 8;
            at += WriteString(buffer[at..], kind.Value);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[at..], checked((uint)schemaVersion));
            at += 4;
            at += WriteString(buffer[at..], author);
            BinaryPrimitives.WriteInt64BigEndian(buffer[at..], serverTime.ToUnixTimeMilliseconds());
            at += 8;
            buffer[at++] = clientUpdateId is null ? (byte)0 : (byte)1;
            if (clientUpdateId is not null) at += WriteString(buffer[at..], clientUpdateId);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[at..], (uint)clientIds.Count);
            at += 4;
            for (var i = 0; i < clientIds.Count; i++, at += 4) BinaryPrimitives.WriteUInt32BigEndian(buffer[at..], clientIds[i]);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[at..], (uint)payload.Length);
            at += 4;
            payload.CopyTo(buffer[at..]);
            Span<byte> digest = stackalloc byte[EventHash.Length];
            SHA256.HashData(buffer, digest);
            return EventHash.FromBytes(digest);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int StrLength(string value) => 4 + Encoding.UTF8.GetByteCount(value);

    // str(x) = u32 big-endian byte length ‖ UTF-8 bytes; returns the bytes written.
    private static int WriteString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)written);
        return 4 + written;
    }
}
