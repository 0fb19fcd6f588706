using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// The stored layout. Keys are binary so that LiteDB compares them byte by byte (its string collation is
/// culture-based and case-insensitive). Field names are short because they are stored in every document.
/// </summary>
internal static partial class Bson
{
    public const string Documents = "documents", Branches = "branches", Events = "events", Journal = "journal",
        Snapshots = "snapshots", Merges = "merges", Resolutions = "resolutions", SnapshotParts = "snapshot_parts",
        DomainEventIndex = "domain_events", Meta = "meta";

    /// <summary>An entry of the domain event index: the event's key and nothing else (the event is read from its chunk).</summary>
    public static BsonDocument DomainEventEntry(int branchNumber, long seq) => new() { [Id] = EventKey(branchNumber, seq) };

    public const string Id = "_id";

    // Queries take their values as parameters: LiteDB compiles every distinct expression text (about 2 ms each here)
    // and reuses the compiled form for the same text, so a literal value in the text made each range read cost 2 ms.
    public static BsonExpression IdBetween(BsonValue from, BsonValue to) => BsonExpression.Create("_id BETWEEN @0 AND @1", from, to);

    public static BsonExpression IdAbove(BsonValue after) => BsonExpression.Create("_id > @0", after);

    public static BsonExpression All => BsonExpression.Create("_id >= @0", BsonValue.MinValue);

    /// <summary>An equality on an indexed field (<paramref name="field"/> is one of the store's constant names).</summary>
    public static BsonExpression FieldEquals(string field, BsonValue value) => BsonExpression.Create("$." + field + " = @0", value);

    /// <summary>Event, snapshot and record key: branch number (u32 BE) ‖ seq (u64 BE), so one branch's events are one ordered range.</summary>
    public static byte[] EventKey(int branchNumber, long seq)
    {
        var key = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(key, (uint)branchNumber);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(4), (ulong)seq);
        return key;
    }

    public static long SeqOf(byte[] eventKey) => (long)BinaryPrimitives.ReadUInt64BigEndian(eventKey.AsSpan(4));

    public static int BranchNumberOf(byte[] eventKey) => (int)BinaryPrimitives.ReadUInt32BigEndian(eventKey);

    public static byte[] DocumentKey(DocumentId id) => Encoding.UTF8.GetBytes(id.Value);

    /// <summary>Document ‖ 0x00 ‖ branch: a document's branches are the keys from doc‖0x00 to doc‖0x01 (no id holds 0x01).</summary>
    public static byte[] BranchKey(BranchRef branch) => Encoding.UTF8.GetBytes(branch.Document.Value + "\0" + branch.Branch.Value);

    public static BranchRef BranchRefOf(byte[] branchKey)
    {
        var separator = System.Array.IndexOf(branchKey, (byte)0);
        return new BranchRef(
            new DocumentId(Encoding.UTF8.GetString(branchKey, 0, separator)),
            new BranchName(Encoding.UTF8.GetString(branchKey, separator + 1, branchKey.Length - separator - 1)));
    }

    public static (byte[] From, byte[] To) BranchKeyRange(DocumentId id) =>
        (Encoding.UTF8.GetBytes(id.Value + "\0"), Encoding.UTF8.GetBytes(id.Value + "\u0001"));

    /// <summary>
    /// The field of a single-event document (files written before chunks) holding the client update id as branch
    /// number (u32 BE) ‖ UTF-8 id. Such files also carry an index on it, which opening drops.
    /// </summary>
    public const string UpdateField = "u";

    public static long Millis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset Time(BsonValue millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis.AsInt64);

    public static BsonValue Hash(EventHash hash) => new(hash.ToArray());

    public static EventHash Hash(BsonValue value) => EventHash.FromBytes(value.AsBinary);

    /// <summary>The array behind a memory, without a copy when the memory is a whole array.</summary>
    public static byte[] Array(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : memory.ToArray();

    /// <summary>The field of an events document that holds an <see cref="EventChunk"/>.</summary>
    public const string ChunkField = "e";

    /// <summary>Most events in one chunk (a random read decodes a whole chunk).</summary>
    public const int MaxChunkEvents = 512;

    /// <summary>A group's fresh events for one branch as chunk documents, each keyed by its first event.</summary>
    public static IEnumerable<BsonDocument> Chunks(int branchNumber, List<StoredEvent> events)
    {
        var start = 0;
        long bytes = 0;
        for (var i = 0; i < events.Count; i++)
        {
            bytes += events[i].Payload.Length;
            if (i == events.Count - 1 || bytes >= EventChunk.TargetBytes || i - start + 1 == MaxChunkEvents)
            {
                yield return new BsonDocument
                {
                    [Id] = EventKey(branchNumber, events[start].Seq.Value),
                    [ChunkField] = EventChunk.Encode(events, start, i - start + 1),
                };
                start = i + 1;
                bytes = 0;
            }
        }
    }

    /// <summary>A journal entry: chunk documents (as in the events collection) of one group, under a rising position.</summary>
    public static BsonDocument JournalEntry(long position, BsonArray chunks) => new() { [Id] = position, ["c"] = chunks };

    public static IEnumerable<BsonDocument> JournalSections(BsonDocument entry) => entry["c"].AsArray.Select(section => section.AsDocument);

    /// <summary>The events of one stored document: a chunk, or a single event as files written before chunks hold it.</summary>
    public static List<StoredEvent> EventsOf(BranchRef owner, BsonDocument doc, int maxCount = int.MaxValue) =>
        doc.TryGetValue(ChunkField, out var chunk) ? EventChunk.Decode(owner, SeqOf(doc[Id].AsBinary), chunk.AsBinary, maxCount) : [LegacyEvent(owner, doc)];

    /// <summary>An event stored alone, with one field per property (files written before chunks).</summary>
    private static StoredEvent LegacyEvent(BranchRef owner, BsonDocument doc)
    {
        uint[] clientIds = [];
        if (doc.TryGetValue("c", out var c))
        {
            var bytes = c.AsBinary;
            clientIds = new uint[bytes.Length / 4];
            for (var i = 0; i < clientIds.Length; i++) clientIds[i] = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i * 4));
        }

        return new StoredEvent(
            owner,
            new EventSeq(SeqOf(doc[Id].AsBinary)),
            new EventKind(doc["k"].AsString),
            doc["p"].AsBinary,
            doc["a"].AsString,
            clientIds,
            Time(doc["t"]),
            doc.TryGetValue(UpdateField, out var u) ? Encoding.UTF8.GetString(u.AsBinary, 4, u.AsBinary.Length - 4) : null,
            doc["v"].AsInt32,
            Hash(doc["q"]),
            Hash(doc["h"]));
    }

    public static BsonDocument Digest(BranchDigest digest) => new()
    {
        ["b"] = digest.Branch.Branch.Value,
        ["s"] = digest.Seq.Value,
        ["h"] = Hash(digest.Hash),
    };

    public static BranchDigest Digest(DocumentId document, BsonValue value) =>
        new(new BranchRef(document, new BranchName(value["b"].AsString)), new EventSeq(value["s"].AsInt64), Hash(value["h"]));

    // Pairs, not a sub-document: LiteDB field names are case-insensitive and restricted, property names are not.
    public static BsonArray Properties(IReadOnlyDictionary<string, string> properties)
    {
        var array = new BsonArray();
        foreach (var (name, value) in properties) array.Add(new BsonArray { name, value });
        return array;
    }

    public static Dictionary<string, string> Properties(BsonValue value)
    {
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in value.AsArray) dict[pair[0].AsString] = pair[1].AsString;
        return dict;
    }

    public static BsonValue Text(string? value) => value is null ? BsonValue.Null : new BsonValue(value);

    public static string? Text(BsonDocument doc, string field) => doc.TryGetValue(field, out var v) && !v.IsNull ? v.AsString : null;
}
