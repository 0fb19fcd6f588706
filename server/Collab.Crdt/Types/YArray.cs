using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Types;

/// <summary>
/// A shared array (yjs Y.Array). Consecutive JSON-like values are stored together (ContentAny); byte[] values,
/// nested types and subdocuments get their own items, as in yjs.
/// </summary>
public sealed class YArray : AbstractType
{
    private List<object?>? _prelim = new();

    /// <summary>Creates a preliminary array; insert it into a document to use it.</summary>
    public YArray()
    {
        SearchMarkers = new List<ArraySearchMarker>();
    }

    /// <summary>Creates a preliminary array with content written when it is inserted.</summary>
    public YArray(IEnumerable<object?> items)
        : this()
    {
        _prelim!.AddRange(items);
    }

    /// <summary>Number of elements.</summary>
    public int Length => Doc == null && _prelim != null ? _prelim.Count : LengthField;

    /// <summary>Inserts values at <paramref name="index"/>.</summary>
    public void Insert(int index, params object?[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (Doc == null)
        {
            _prelim!.InsertRange(index, content);
            return;
        }

        Doc.Transact(t => ListInsertGenerics(t, index, content));
    }

    /// <summary>Appends values.</summary>
    public void Push(params object?[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (Doc == null)
        {
            _prelim!.AddRange(content);
            return;
        }

        Doc.Transact(t => ListPushGenerics(t, content));
    }

    /// <summary>Inserts values at the start.</summary>
    public void Unshift(params object?[] content) => Insert(0, content);

    /// <summary>Deletes <paramref name="length"/> elements from <paramref name="index"/>.</summary>
    public void Delete(int index, int length = 1)
    {
        if (Doc == null)
        {
            _prelim!.RemoveRange(index, length);
            return;
        }

        Doc.Transact(t => ListDelete(t, index, length));
    }

    /// <summary>The element at <paramref name="index"/>.</summary>
    public object? Get(int index) => Doc == null ? _prelim![index] : ListGet(index);

    /// <summary>The elements (nested types as objects).</summary>
    public List<object?> ToArray() => Doc == null ? new List<object?>(_prelim!) : ListToArray();

    /// <summary>The elements at a snapshot (document with gc off).</summary>
    public List<object?> ToArray(YSnapshot snapshot) => ListToArray(snapshot);

    /// <inheritdoc />
    public override object? ToJson() => ToArray().ConvertAll(ValueToJson);

    internal override AbstractType CopyEmpty() => new YArray();

    internal override void WriteTypeRef(UpdateEncoder encoder) => encoder.WriteTypeRef(0);

    internal override void IntegrateInto(YDoc doc, Structs.Item? item)
    {
        base.IntegrateInto(doc, item);
        var prelim = _prelim;
        _prelim = null;
        if (prelim is { Count: > 0 })
        {
            doc.Transact(t => ListInsertGenerics(t, 0, prelim));
        }
    }

    internal override void CallObserver(Transaction transaction, HashSet<string?> parentSubs)
    {
        base.CallObserver(transaction, parentSubs);
        if (HasAnyObserver())
        {
            CallTypeObservers(transaction, new YArrayEvent(this, transaction));
        }
    }
}
