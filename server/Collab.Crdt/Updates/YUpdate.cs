using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

/// <summary>
/// Operations on v1 update bytes that need no document: merge, diff against a state vector, the state vector and
/// a summary of what an update carries, validation. Structs are handled as byte slices: contents are copied (or
/// cut, when a struct is sliced), never decoded into objects. Results are byte-identical to yjs 13.6's functions of
/// the same names for every update yjs writes. Malformed input throws <see cref="YjsFormatException"/> (with the
/// byte offset) and nothing else.
/// </summary>
public static partial class YUpdate
{
    /// <summary>The empty update: no structs, empty delete set.</summary>
    public static ReadOnlySpan<byte> Empty => [0, 0];

    /// <summary>
    /// Fully parses a v1 update (structs, contents, JSON texts, <c>any</c> values, delete set) and throws
    /// <see cref="YjsFormatException"/> at the first problem. Stricter than yjs in one point: bytes after the delete
    /// set are an error.
    /// </summary>
    public static void Validate(ReadOnlySpan<byte> update) => WalkAll(update, null, null);

    /// <summary>Whether the update carries no structs (other than Skip) and no deleted ranges. Validates like <see cref="Validate"/>.</summary>
    public static bool IsEmpty(ReadOnlySpan<byte> update)
    {
        bool empty = true;
        var ds = new Dictionary<uint, List<ClockRange>>();
        WalkAll(update, ds, (in UpdateStruct s) => empty &= s.Kind == StructKind.Skip);

        foreach (var ranges in ds.Values)
        {
            foreach (var range in ranges)
            {
                empty &= range.Length == 0;
            }
        }

        return empty;
    }

    /// <summary>Decodes a state vector (client → next clock). A client listed twice keeps its last clock, as in yjs.</summary>
    public static Dictionary<uint, uint> DecodeStateVector(ReadOnlySpan<byte> stateVector)
    {
        var r = new Lib0Reader(stateVector);
        int count = r.ReadVarUIntAsLength(2);
        var sv = new Dictionary<uint, uint>(count);
        for (int i = 0; i < count; i++)
        {
            uint client = r.ReadVarUInt32();
            sv[client] = r.ReadVarUInt32();
        }

        return sv;
    }

    /// <summary>Encodes a state vector with clients in descending order, as yjs writes it.</summary>
    public static byte[] EncodeStateVector(IReadOnlyDictionary<uint, uint> stateVector)
    {
        ArgumentNullException.ThrowIfNull(stateVector);
        var w = new Lib0Writer(1 + (stateVector.Count * 10));
        w.WriteVarUInt((ulong)stateVector.Count);
        foreach (uint client in DeleteSetCodec.SortedDescending(stateVector.Keys))
        {
            w.WriteVarUInt(client);
            w.WriteVarUInt(stateVector[client]);
        }

        return w.ToArray();
    }

    private delegate void StructVisitor(in UpdateStruct s);

    /// <summary>
    /// Reads every struct of <paramref name="update"/> (calling <paramref name="visit"/>) and the delete set (adding
    /// it to <paramref name="deleteSet"/> when given); returns the position after the delete set.
    /// </summary>
    private static int Walk(ReadOnlySpan<byte> update, Dictionary<uint, List<ClockRange>>? deleteSet, StructVisitor? visit)
    {
        var cursor = default(UpdateCursor);
        while (cursor.MoveNext(update, null, out var s))
        {
            visit?.Invoke(s);
        }

        var r = new Lib0Reader(update[cursor.Position..], cursor.Position);
        DeleteSetCodec.Read(ref r, deleteSet ?? []);
        return cursor.Position + r.Position;
    }

    /// <summary><see cref="Walk"/>, then insists that the update ends with its delete set.</summary>
    private static void WalkAll(ReadOnlySpan<byte> update, Dictionary<uint, List<ClockRange>>? deleteSet, StructVisitor? visit)
    {
        int end = Walk(update, deleteSet, visit);
        if (end != update.Length)
        {
            throw new YjsFormatException($"{update.Length - end} unexpected bytes after the delete set", end);
        }
    }

    /// <summary>Parses all of an update held in an array (what merge does to a single input).</summary>
    private static void ReadToEnd(byte[] update, Dictionary<uint, List<ClockRange>>? deleteSet) =>
        Walk(update, deleteSet, null);

    /// <summary>Reads the rest of a reader's structs so that its position reaches the delete set.</summary>
    private static void DrainStructs(UpdateStructReader reader)
    {
        while (reader.HasCurrent)
        {
            reader.Next();
        }
    }
}
