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

    [ThreadStatic]
    private static IncrementalHash? t_sha;

    /// <summary>SHA-256(str("collab.genesis.v1") ‖ str(documentId)): what the first event of <c>main</c> links to.</summary>
    public static EventHash Genesis(DocumentId document)
    {
        var sha = Sha();
        AppendString(sha, GenesisTag);
        AppendString(sha, document.Value);
        return Finish(sha);
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
        var sha = Sha();
        Span<byte> scratch = stackalloc byte[EventHash.Length];
        AppendString(sha, EventTag);
        previous.CopyTo(scratch);
        sha.AppendData(scratch);
        AppendString(sha, branch.Document.Value);
        AppendString(sha, branch.Branch.Value);
        AppendUInt64(sha, checked((ulong)seq.Value));
        AppendString(sha, kind.Value);
        AppendUInt32(sha, checked((uint)schemaVersion));
        AppendString(sha, author);
        AppendUInt64(sha, unchecked((ulong)serverTime.ToUnixTimeMilliseconds()));
        if (clientUpdateId is null)
        {
            sha.AppendData([0]);
        }
        else
        {
            sha.AppendData([1]);
            AppendString(sha, clientUpdateId);
        }

        AppendUInt32(sha, (uint)clientIds.Count);
        for (var i = 0; i < clientIds.Count; i++) AppendUInt32(sha, clientIds[i]);
        AppendUInt32(sha, (uint)payload.Length);
        sha.AppendData(payload);
        return Finish(sha);
    }

    private static IncrementalHash Sha() => t_sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    private static EventHash Finish(IncrementalHash sha)
    {
        Span<byte> digest = stackalloc byte[EventHash.Length];
        sha.GetHashAndReset(digest);
        return EventHash.FromBytes(digest);
    }

    private static void AppendUInt32(IncrementalHash sha, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        sha.AppendData(bytes);
    }

    private static void AppendUInt64(IncrementalHash sha, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        sha.AppendData(bytes);
    }

    // str(x) = u32 big-endian byte length ‖ UTF-8 bytes.
    private static void AppendString(IncrementalHash sha, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        AppendUInt32(sha, (uint)length);
        if (length <= 256)
        {
            Span<byte> bytes = stackalloc byte[length];
            Encoding.UTF8.GetBytes(value, bytes);
            sha.AppendData(bytes);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Encoding.UTF8.GetBytes(value, rented);
            sha.AppendData(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
