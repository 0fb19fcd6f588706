using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// Consecutive events of one branch, stored as one LiteDB document (the events a group commit appended to the branch).
/// One document per group instead of one per event is what makes an append cheap: LiteDB's cost is per document and
/// per index entry, and an event's fields are a few dozen bytes. The encoding (format 1), after the document key
/// u32 BE branch number ‖ u64 BE first seq:
/// <code>
/// u8 format (1) · varuint count · previous hash of the first event (32 bytes)
/// per event: u8 flags · [kind: string] · [author: string] · time: varint ms, zigzag, as a difference from the
///            previous event (from 0 for the first) · varuint schema version · varuint n · n × u32 BE client ids ·
///            [update id: string] · [record] · varuint payload length · payload · hash (32 bytes)
/// flags: 1 = kind follows (else the previous event's), 2 = author follows (else the previous), 4 = update id follows,
///        8 = record follows: u8 record kind (1 merge, 2 resolution: the record itself is in its collection;
///            3 domain: string type · varuint n · n × (string name · string value))
/// string: varuint UTF-8 length · UTF-8
/// </code>
/// Seqs are first seq + index, and each previous hash after the first is the hash before it, so neither is stored.
/// </summary>
internal static class EventChunk
{
    private const byte Format = 1;
    private const byte NewKind = 1, NewAuthor = 2, HasUpdateId = 4, HasRecord = 8;

    /// <summary>Payload bytes after which a group's events for one branch start another chunk (reads decode whole chunks).</summary>
    public const int TargetBytes = 256 * 1024;

    /// <summary>Encodes <paramref name="events"/> (consecutive seqs of one branch, at least one).</summary>
    public static byte[] Encode(IReadOnlyList<StoredEvent> events, int start, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (count * 96));
        WriteByte(buffer, Format);
        WriteVarUInt(buffer, (ulong)count);
        WriteHash(buffer, events[start].PreviousHash);
        StoredEvent? previous = null;
        for (var i = start; i < start + count; i++)
        {
            var e = events[i];
            byte flags = 0;
            if (previous is null || previous.Kind != e.Kind) flags |= NewKind;
            if (previous is null || !string.Equals(previous.Author, e.Author, StringComparison.Ordinal)) flags |= NewAuthor;
            if (e.ClientUpdateId is not null) flags |= HasUpdateId;
            if (e.RecordKind != EventRecordKind.None) flags |= HasRecord;
            WriteByte(buffer, flags);
            if ((flags & NewKind) != 0) WriteString(buffer, e.Kind.Value);
            if ((flags & NewAuthor) != 0) WriteString(buffer, e.Author);
            var millis = e.ServerTime.ToUnixTimeMilliseconds();
            WriteVarInt(buffer, millis - (previous?.ServerTime.ToUnixTimeMilliseconds() ?? 0));
            WriteVarUInt(buffer, (ulong)e.SchemaVersion);
            WriteVarUInt(buffer, (ulong)e.ClientIds.Count);
            foreach (var id in e.ClientIds)
            {
                BinaryPrimitives.WriteUInt32BigEndian(buffer.GetSpan(4), id);
                buffer.Advance(4);
            }

            if (e.ClientUpdateId is { } updateId) WriteString(buffer, updateId);
            if (e.RecordKind != EventRecordKind.None) WriteRecord(buffer, e);
            WriteVarUInt(buffer, (ulong)e.Payload.Length);
            buffer.Write(e.Payload.Span);
            WriteHash(buffer, e.Hash);
            previous = e;
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a chunk whose first event has <paramref name="firstSeq"/>, or only its first <paramref name="maxCount"/>
    /// events. Payloads share <paramref name="data"/>.
    /// </summary>
    public static List<StoredEvent> Decode(BranchRef owner, long firstSeq, byte[] data, int maxCount = int.MaxValue)
    {
        try
        {
            var reader = new Reader(data);
            if (reader.Byte() != Format) throw new InvalidDataException("unknown chunk format");
            var count = checked((int)reader.VarUInt());
            var decode = Math.Min(count, maxCount);
            var events = new List<StoredEvent>(Math.Min(decode, 4096));
            var previousHash = reader.Hash();
            var kind = default(EventKind);
            var author = string.Empty;
            long millis = 0;
            for (var i = 0; i < decode; i++)
            {
                var flags = reader.Byte();
                if ((flags & NewKind) != 0) kind = new EventKind(reader.String());
                if ((flags & NewAuthor) != 0) author = reader.String();
                millis += reader.VarInt();
                var schemaVersion = checked((int)reader.VarUInt());
                var clientIds = new uint[checked((int)reader.VarUInt())];
                for (var c = 0; c < clientIds.Length; c++) clientIds[c] = reader.UInt32();
                var updateId = (flags & HasUpdateId) != 0 ? reader.String() : null;
                var (recordKind, record) = (flags & HasRecord) != 0 ? ReadRecord(reader) : (EventRecordKind.None, null);
                var payload = reader.Bytes(checked((int)reader.VarUInt()));
                var hash = reader.Hash();
                events.Add(new StoredEvent(owner, new EventSeq(firstSeq + i), kind, payload, author, clientIds,
                    DateTimeOffset.FromUnixTimeMilliseconds(millis), updateId, schemaVersion, previousHash, hash)
                {
                    RecordKind = recordKind,
                    Record = record,
                });
                previousHash = hash;
            }

            if (decode == count && !reader.AtEnd) throw new InvalidDataException("bytes after the last event");
            return events;
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidDataException or FormatException or EventStoreException)
        {
            throw new InvalidDataException($"The stored events of branch {owner} from seq {firstSeq} cannot be decoded ({ex.Message}); the file was changed or damaged.", ex);
        }
    }

    private static void WriteRecord(ArrayBufferWriter<byte> buffer, StoredEvent e)
    {
        WriteByte(buffer, (byte)e.RecordKind);
        if (e.RecordKind != EventRecordKind.Domain) return;
        var record = e.Record!;
        WriteString(buffer, record.Type);
        WriteVarUInt(buffer, (ulong)record.Fields.Count);
        foreach (var (name, value) in record.Fields)
        {
            WriteString(buffer, name);
            WriteString(buffer, value);
        }
    }

    private static (EventRecordKind, DomainRecord?) ReadRecord(Reader reader)
    {
        var kind = (EventRecordKind)reader.Byte();
        if (kind is EventRecordKind.Merge or EventRecordKind.Resolution) return (kind, null);
        if (kind != EventRecordKind.Domain) throw new InvalidDataException($"unknown record kind {(int)kind}");
        var type = reader.String();
        var count = checked((int)reader.VarUInt());
        var fields = new Dictionary<string, string>(Math.Min(count, 1024), StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.String();
            fields[name] = reader.String();
        }

        return (kind, new DomainRecord(type, fields));
    }

    private static void WriteByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteVarUInt(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        buffer.Advance(n);
    }

    private static void WriteVarInt(ArrayBufferWriter<byte> buffer, long value) => WriteVarUInt(buffer, (ulong)((value << 1) ^ (value >> 63)));

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt(buffer, (ulong)length);
        buffer.Advance(Encoding.UTF8.GetBytes(value, buffer.GetSpan(length)));
    }

    private static void WriteHash(ArrayBufferWriter<byte> buffer, EventHash hash)
    {
        hash.CopyTo(buffer.GetSpan(EventHash.Length));
        buffer.Advance(EventHash.Length);
    }

    private sealed class Reader(byte[] data)
    {
        private int _at;

        public bool AtEnd => _at == data.Length;

        public byte Byte() => data[_at++];

        public ulong VarUInt()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (shift > 63) throw new InvalidDataException("varint too long");
                var b = data[_at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
        }

        public long VarInt()
        {
            var raw = VarUInt();
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        public uint UInt32()
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(_at, 4));
            _at += 4;
            return value;
        }

        public ReadOnlyMemory<byte> Bytes(int length)
        {
            var memory = new ReadOnlyMemory<byte>(data, _at, length);
            _at += length;
            return memory;
        }

        public string String()
        {
            var length = checked((int)VarUInt());
            var value = Encoding.UTF8.GetString(data, _at, length);
            _at += length;
            return value;
        }

        public EventHash Hash()
        {
            var hash = EventHash.FromBytes(data.AsSpan(_at, EventHash.Length));
            _at += EventHash.Length;
            return hash;
        }
    }
}
