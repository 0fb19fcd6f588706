using Collab.Crdt.Document;
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
    /// <see cref="YjsFormatException"/> at the first problem. Like <c>YDoc.ApplyUpdate</c>, empty structs and items
    /// pointing at a later clock of their own client are errors; stricter than both yjs and the document, bytes after
    /// the delete set are an error too.
    /// </summary>
    public static void Validate(ReadOnlySpan<byte> update) => WalkAll(update, null);

    /// <summary>Whether the update carries no structs (other than Skip) and no deleted ranges. Validates like <see cref="Validate"/>.</summary>
    public static bool IsEmpty(ReadOnlySpan<byte> update)
    {
        bool empty = true;
        var ds = WalkAll(update, (in UpdateStruct s) => empty &= s.Kind == StructKind.Skip);
        foreach (var ranges in ds.Ranges.Values)
        {
            foreach (var range in ranges)
            {
                empty &= range.Length == 0;
            }
        }

        return empty;
    }

    /// <summary>Decodes a state vector (client → next clock); same as <see cref="YDoc.DecodeStateVector"/>.</summary>
    public static Dictionary<uint, uint> DecodeStateVector(ReadOnlySpan<byte> stateVector) => YDoc.DecodeStateVector(stateVector);

    /// <summary>Encodes a state vector, clients descending; same as <see cref="YDoc.EncodeStateVector(IReadOnlyDictionary{uint, uint})"/>.</summary>
    public static byte[] EncodeStateVector(IReadOnlyDictionary<uint, uint> stateVector) => YDoc.EncodeStateVector(stateVector);

    private delegate void StructVisitor(in UpdateStruct s);

    /// <summary>
    /// Reads every struct of <paramref name="update"/> (calling <paramref name="visit"/>) and the delete set;
    /// returns the delete set and the position after it.
    /// </summary>
    private static (DeleteSet DeleteSet, int End) Walk(ReadOnlySpan<byte> update, StructVisitor? visit, bool strict = false)
    {
        var cursor = default(UpdateCursor);
        while (cursor.MoveNext(update, null, out var s))
        {
            visit?.Invoke(s);
        }

        var ds = ReadDeleteSet(update, cursor.Position, out int end, strict);
        return (ds, end);
    }

    /// <summary>
    /// Reads the delete set at <paramref name="position"/> with the engine's reader (offsets stay absolute);
    /// <paramref name="strict"/> refuses what a document refuses (empty or unordered ranges).
    /// </summary>
    private static DeleteSet ReadDeleteSet(ReadOnlySpan<byte> update, int position, out int end, bool strict = false)
    {
        var r = new UpdateReaderV1(default) { R = new Lib0Reader(update[position..], position) };
        var ds = DeleteSet.Read(ref r, strict);
        end = position + r.R.Position;
        return ds;
    }

    /// <summary>Writes a delete set in v1 form to <paramref name="output"/>.</summary>
    private static void WriteDeleteSet(Lib0Writer output, DeleteSet ds) => ds.Write(new UpdateEncoderV1(output));

    /// <summary>
    /// <see cref="Walk"/> with the checks a document applies beyond yjs's reader: the update ends with its delete
    /// set, no struct is empty, and no item points at a clock of its own client that does not precede it (yjs would
    /// fail integrating either).
    /// </summary>
    private static DeleteSet WalkAll(ReadOnlySpan<byte> update, StructVisitor? visit)
    {
        var (ds, end) = Walk(update, (in UpdateStruct s) =>
        {
            if (s.Length == 0)
            {
                throw new YjsFormatException("Struct of length 0", s.Offset);
            }

            if (s.Kind == StructKind.Item)
            {
                CheckSelfReference(s, s.HasOrigin, s.OriginClient, s.OriginClock);
                CheckSelfReference(s, s.HasRightOrigin, s.RightOriginClient, s.RightOriginClock);
                CheckSelfReference(s, s.Parent == ParentKind.ItemId, s.ParentClient, s.ParentClock);
            }

            visit?.Invoke(s);
        }, strict: true);
        if (end != update.Length)
        {
            throw new YjsFormatException($"{update.Length - end} unexpected bytes after the delete set", end);
        }

        return ds;
    }

    private static void CheckSelfReference(in UpdateStruct s, bool present, uint client, uint clock)
    {
        if (present && client == s.Client && clock >= s.Clock)
        {
            throw new YjsFormatException($"Item ({s.Client},{s.Clock}) refers to ({client},{clock}) of its own client that does not precede it", s.Offset);
        }
    }

    /// <summary>Reads the rest of a reader's structs so that its position reaches the delete set.</summary>
    private static void DrainStructs(UpdateStructReader reader)
    {
        while (reader.HasCurrent)
        {
            reader.Next();
        }
    }
}
