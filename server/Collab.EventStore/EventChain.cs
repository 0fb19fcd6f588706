using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Collab.EventStore;

/// <summary>
/// The hash chain: genesis and event hashes over the canonical encoding written down in docs/event-store.md
/// ("Hash encoding": v1 for events without a record, v2 for events with one), so that an auditor can re-verify with their own code.
/// </summary>
public static class EventChain
{
    /// <summary>Domain tag of event hashes without a record (encoding v1).</summary>
    public const string EventTag = "collab.event.v1";

    /// <summary>Domain tag of event hashes with a record (encoding v2).</summary>
    public const string EventTagV2 = "collab.event.v2";

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

    /// <summary>
    /// Re-computes the hash of a stored event (in its stored, not upcast, form) that carries no record or a domain
    /// record. An event with a merge or resolution record needs that record: use <see cref="ComputeHash(StoredEvent, ReadOnlySpan{byte})"/>
    /// with <see cref="EncodeRecord(MergeRecord)"/> or <see cref="EncodeRecord(ResolutionRecord)"/>.
    /// </summary>
    public static EventHash ComputeHash(StoredEvent stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.RecordKind switch
        {
            EventRecordKind.None => ComputeHash(stored, []),
            EventRecordKind.Domain => ComputeHash(stored, EncodeRecord(stored.Record ?? throw new ArgumentException($"Event {stored.Ref} says it carries a domain record but has none.", nameof(stored)))),
            _ => throw new ArgumentException($"Event {stored.Ref} carries a {stored.RecordKind} record: pass its encoding (EncodeRecord) too.", nameof(stored)),
        };
    }

    /// <summary>
    /// Re-computes the hash of a stored event with the canonical encoding of its record (<see cref="EncodeRecord(MergeRecord)"/>…):
    /// encoding v2 when <paramref name="record"/> is not empty, else v1.
    /// </summary>
    public static EventHash ComputeHash(StoredEvent stored, ReadOnlySpan<byte> record)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return ComputeHash(stored.PreviousHash, stored.Branch, stored.Seq, stored.Kind, stored.SchemaVersion, stored.Author, stored.ServerTime, stored.ClientUpdateId, stored.ClientIds, stored.Payload.Span, record);
    }

    /// <summary>The hash of an event with these fields and no record (encoding v1).</summary>
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
        ReadOnlySpan<byte> payload) =>
        ComputeHash(previous, branch, seq, kind, schemaVersion, author, serverTime, clientUpdateId, clientIds, payload, []);

    /// <summary>
    /// The hash of an event with these fields and the canonical encoding of its record: encoding v2 (the v1 fields
    /// under the tag <c>collab.event.v2</c>, then the record) when <paramref name="record"/> is not empty, else v1.
    /// </summary>
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
        ReadOnlySpan<byte> payload,
        ReadOnlySpan<byte> record)
    {
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(clientIds);

        // One contiguous buffer and one SHA-256 call: many small incremental updates cost more than the hashing.
        var tag = record.IsEmpty ? EventTag : EventTagV2;
        var length = StrLength(tag) + EventHash.Length + StrLength(branch.Document.Value) + StrLength(branch.Branch.Value) + 8
            + StrLength(kind.Value) + 4 + StrLength(author) + 8 + 1 + (clientUpdateId is null ? 0 : StrLength(clientUpdateId))
            + 4 + (4 * clientIds.Count) + 4 + payload.Length + record.Length;
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            var at = WriteString(buffer, tag);
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
            at += payload.Length;
            record.CopyTo(buffer[at..]);
            Span<byte> digest = stackalloc byte[EventHash.Length];
            SHA256.HashData(buffer, digest);
            return EventHash.FromBytes(digest);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The canonical encoding of a merge record, as its event's hash covers it ("Record encodings" in docs/event-store.md).</summary>
    public static byte[] EncodeRecord(MergeRecord merge)
    {
        ArgumentNullException.ThrowIfNull(merge);
        return EncodeMerge(merge.TargetHead, merge.Source, merge.Base, merge.Conflicts, merge.Properties);
    }

    /// <summary>The canonical encoding of a resolution record, as its event's hash covers it.</summary>
    public static byte[] EncodeRecord(ResolutionRecord resolution)
    {
        ArgumentNullException.ThrowIfNull(resolution);
        return EncodeResolution(resolution.Merge, resolution.Decisions);
    }

    /// <summary>The canonical encoding of a domain record, as its event's hash covers it.</summary>
    public static byte[] EncodeRecord(DomainRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var writer = new RecordWriter(RecordTypeDomain);
        writer.Str(record.Type);
        writer.Map(record.Fields);
        return writer.ToArray();
    }

    internal static byte[] EncodeMerge(BranchDigest targetHead, BranchDigest source, BranchDigest @base, IReadOnlyList<MergeConflict> conflicts, IReadOnlyDictionary<string, string> properties)
    {
        var writer = new RecordWriter(RecordTypeMerge);
        writer.Digest(targetHead);
        writer.Digest(source);
        writer.Digest(@base);
        writer.U32((uint)conflicts.Count);
        foreach (var c in conflicts)
        {
            writer.Str(c.Id);
            writer.Str(c.Kind);
            writer.Str(c.Location);
            writer.Opt(c.Base);
            writer.Opt(c.Ours);
            writer.Opt(c.Theirs);
            writer.Opt(c.Merged);
            writer.Str(c.AutomaticOutcome);
            writer.Map(c.Properties);
        }

        writer.Map(properties);
        return writer.ToArray();
    }

    internal static byte[] EncodeResolution(EventRef merge, IReadOnlyList<ConflictDecision> decisions)
    {
        var writer = new RecordWriter(RecordTypeResolution);
        writer.Str(merge.Branch.Branch.Value);
        writer.U64((ulong)merge.Seq.Value);
        writer.U32((uint)decisions.Count);
        foreach (var d in decisions)
        {
            writer.Str(d.ConflictId);
            writer.Str(d.Choice);
            writer.Opt(d.CustomText);
            writer.Map(d.Properties);
        }

        return writer.ToArray();
    }

    private const byte RecordTypeMerge = 1, RecordTypeResolution = 2, RecordTypeDomain = 3;

    private static int StrLength(string value) => 4 + Encoding.UTF8.GetByteCount(value);

    // str(x) = u32 big-endian byte length ‖ UTF-8 bytes; returns the bytes written.
    private static int WriteString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[4..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)written);
        return 4 + written;
    }

    /// <summary>Writes a record's canonical encoding: u8 type, then fields (big-endian integers, str = u32 length ‖ UTF-8).</summary>
    private sealed class RecordWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public RecordWriter(byte type)
        {
            _buffer.GetSpan(1)[0] = type;
            _buffer.Advance(1);
        }

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
            _buffer.Advance(4);
        }

        public void U64(ulong value)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value);
            _buffer.Advance(8);
        }

        public void Str(string value) => _buffer.Advance(WriteString(_buffer.GetSpan(StrLength(value)), value));

        public void Opt(string? value)
        {
            _buffer.GetSpan(1)[0] = value is null ? (byte)0 : (byte)1;
            _buffer.Advance(1);
            if (value is not null) Str(value);
        }

        public void Digest(BranchDigest digest)
        {
            Str(digest.Branch.Branch.Value);
            U64((ulong)digest.Seq.Value);
            digest.Hash.CopyTo(_buffer.GetSpan(EventHash.Length));
            _buffer.Advance(EventHash.Length);
        }

        // Pairs sorted by the UTF-8 bytes of their names, so that the encoding does not depend on a dictionary's order.
        public void Map(IReadOnlyDictionary<string, string> map)
        {
            var pairs = new (byte[] Name, string Value)[map.Count];
            var i = 0;
            foreach (var (name, value) in map) pairs[i++] = (Encoding.UTF8.GetBytes(name), value);
            Array.Sort(pairs, static (x, y) => x.Name.AsSpan().SequenceCompareTo(y.Name));
            U32((uint)pairs.Length);
            foreach (var (name, value) in pairs)
            {
                U32((uint)name.Length);
                _buffer.Write(name);
                Str(value);
            }
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }
}
