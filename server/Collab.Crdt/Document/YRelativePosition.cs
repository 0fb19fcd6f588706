using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Document;

/// <summary>An index resolved against a document: the type and the index in it.</summary>
public sealed record YAbsolutePosition(AbstractType Type, int Index, int Assoc);

/// <summary>
/// A position that survives concurrent edits (yjs RelativePosition): it points at an item id (or at the end of a
/// type). <see cref="Assoc"/> &gt;= 0 sticks to the character after the position, &lt; 0 to the one before it.
/// </summary>
public sealed record YRelativePosition(ItemId? TypeId, string? TypeName, ItemId? Item, int Assoc = 0)
{
    /// <summary>Creates a relative position for <paramref name="index"/> in <paramref name="type"/> (yjs createRelativePositionFromTypeIndex).</summary>
    public static YRelativePosition FromTypeIndex(AbstractType type, int index, int assoc = 0)
    {
        ArgumentNullException.ThrowIfNull(type);
        var t = type.Start;
        if (assoc < 0)
        {
            if (index == 0)
            {
                return Create(type, null, assoc);
            }

            index--;
        }

        while (t != null)
        {
            if (t.IsVisibleCountable)
            {
                if (t.Length > index)
                {
                    return Create(type, new ItemId(t.Id.Client, t.Id.Clock + (uint)index), assoc);
                }

                index -= t.Length;
            }

            if (t.Right == null && assoc < 0)
            {
                return Create(type, t.LastId, assoc);
            }

            t = t.Right;
        }

        return Create(type, null, assoc);
    }

    private static YRelativePosition Create(AbstractType type, ItemId? item, int assoc) =>
        type.ParentItem == null
            ? new YRelativePosition(null, type.RootName ?? throw new InvalidOperationException("Type is not part of a document"), item, assoc)
            : new YRelativePosition(type.ParentItem.Id, null, item, assoc);

    /// <summary>Encodes like yjs encodeRelativePosition.</summary>
    public byte[] Encode()
    {
        var w = new Lib0Writer(16);
        if (Item is { } item)
        {
            w.WriteVarUInt(0);
            w.WriteVarUInt(item.Client);
            w.WriteVarUInt(item.Clock);
        }
        else if (TypeName != null)
        {
            w.WriteByte(1);
            w.WriteVarString(TypeName);
        }
        else if (TypeId is { } typeId)
        {
            w.WriteByte(2);
            w.WriteVarUInt(typeId.Client);
            w.WriteVarUInt(typeId.Clock);
        }
        else
        {
            throw new InvalidOperationException("Relative position without item, type name or type id");
        }

        w.WriteVarInt(Assoc);
        return w.ToArray();
    }

    /// <summary>Decodes yjs encodeRelativePosition bytes; throws <see cref="YjsFormatException"/> on malformed input.</summary>
    public static YRelativePosition Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new Lib0Reader(bytes);
        ItemId? type = null;
        string? tname = null;
        ItemId? item = null;
        long off = r.Offset;
        switch (r.ReadVarUInt())
        {
            case 0:
                item = new ItemId(r.ReadVarUInt32(), r.ReadVarUInt32());
                break;
            case 1:
                tname = r.ReadVarString();
                break;
            case 2:
                type = new ItemId(r.ReadVarUInt32(), r.ReadVarUInt32());
                break;
            default:
                throw new YjsFormatException("Unknown relative position kind", off);
        }

        long assoc = r.HasMore ? r.ReadVarInt() : 0;
        if (assoc < int.MinValue || assoc > int.MaxValue)
        {
            throw new YjsFormatException("Relative position assoc out of range", off);
        }

        return new YRelativePosition(type, tname, item, (int)assoc);
    }

    /// <summary>Resolves to an absolute index in <paramref name="doc"/>, or null if the position is not known there.</summary>
    public YAbsolutePosition? ToAbsolute(YDoc doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var store = doc.Store;
        AbstractType? type;
        int index = 0;
        if (Item is { } rightId)
        {
            if (store.GetState(rightId.Client) <= rightId.Clock)
            {
                return null;
            }

            var s = store.Find(rightId);
            if (s is not Structs.Item right)
            {
                return null;
            }

            int diff = (int)(rightId.Clock - right.Id.Clock);
            type = right.Parent!;
            if (type.ParentItem == null || !type.ParentItem.Deleted)
            {
                index = (right.Deleted || !right.Countable) ? 0 : diff + (Assoc >= 0 ? 0 : 1);
                for (var n = right.Left; n != null; n = n.Left)
                {
                    if (n.IsVisibleCountable)
                    {
                        index += n.Length;
                    }
                }
            }
        }
        else
        {
            if (TypeName != null)
            {
                type = doc.GetOrCreateRoot(TypeName);
            }
            else if (TypeId is { } typeId)
            {
                if (store.GetState(typeId.Client) <= typeId.Clock)
                {
                    return null;
                }

                if (store.Find(typeId) is Structs.Item { Content: ContentType ct })
                {
                    type = ct.Type;
                }
                else
                {
                    return null;
                }
            }
            else
            {
                throw new InvalidOperationException("Relative position without item, type name or type id");
            }

            index = Assoc >= 0 ? type.LengthField : 0;
        }

        return new YAbsolutePosition(type, index, Assoc);
    }
}
