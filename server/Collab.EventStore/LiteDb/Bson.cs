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
    public const string Documents = "documents", Branches = "branches", Events = "events",
        Snapshots = "snapshots", Merges = "merges", Resolutions = "resolutions";

    public const string Id = "_id";

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

    /// <summary>Document ‖ 0x00 ‖ branch: a document's branches are the range [doc‖0x00, doc‖0x01).</summary>
    public static byte[] BranchKey(BranchRef branch) => Encoding.UTF8.GetBytes(branch.Document.Value + "\0" + branch.Branch.Value);

    public static (byte[] From, byte[] To) BranchKeyRange(DocumentId id) =>
        (Encoding.UTF8.GetBytes(id.Value + "\0"), Encoding.UTF8.GetBytes(id.Value + "\u0001"));

    /// <summary>
    /// The event field holding the client update id as branch number (u32 BE) ‖ UTF-8 id: indexed, so that the
    /// idempotency lookup is one exact, branch-scoped, byte-wise index seek and costs no extra document.
    /// </summary>
    public const string UpdateField = "u";

    public static byte[] UpdateKey(int branchNumber, string clientUpdateId)
    {
        var key = new byte[4 + Encoding.UTF8.GetByteCount(clientUpdateId)];
        BinaryPrimitives.WriteUInt32BigEndian(key, (uint)branchNumber);
        Encoding.UTF8.GetBytes(clientUpdateId, key.AsSpan(4));
        return key;
    }

    public static long Millis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static DateTimeOffset Time(BsonValue millis) => DateTimeOffset.FromUnixTimeMilliseconds(millis.AsInt64);

    public static BsonValue Hash(EventHash hash) => new(hash.ToArray());

    public static EventHash Hash(BsonValue value) => EventHash.FromBytes(value.AsBinary);

    /// <summary>The array behind a payload, without a copy when the memory is a whole array (as the planner makes it).</summary>
    public static byte[] Array(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : memory.ToArray();

    public static BsonDocument Event(int branchNumber, StoredEvent e)
    {
        var doc = new BsonDocument
        {
            [Id] = EventKey(branchNumber, e.Seq.Value),
            ["k"] = e.Kind.Value,
            ["p"] = Array(e.Payload),
            ["a"] = e.Author,
            ["t"] = Millis(e.ServerTime),
            ["v"] = e.SchemaVersion,
            ["q"] = Hash(e.PreviousHash),
            ["h"] = Hash(e.Hash),
        };
        if (e.ClientIds.Count > 0)
        {
            var ids = new byte[e.ClientIds.Count * 4];
            for (var i = 0; i < e.ClientIds.Count; i++) BinaryPrimitives.WriteUInt32BigEndian(ids.AsSpan(i * 4), e.ClientIds[i]);
            doc["c"] = ids;
        }

        if (e.ClientUpdateId is not null) doc[UpdateField] = UpdateKey(branchNumber, e.ClientUpdateId);
        return doc;
    }

    public static StoredEvent Event(BranchRef owner, BsonDocument doc)
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
