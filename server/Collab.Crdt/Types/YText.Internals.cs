using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>A position in a text while walking it: neighbours, index and the formatting active there.</summary>
internal sealed class ItemTextListPosition
{
    public ItemTextListPosition(Item? left, Item? right, int index, AttributeMap currentAttributes)
    {
        Left = left;
        Right = right;
        Index = index;
        CurrentAttributes = currentAttributes;
    }

    public Item? Left;
    public Item? Right;
    public int Index;
    public AttributeMap CurrentAttributes;

    public void Forward()
    {
        var right = Right ?? throw new InvalidOperationException("Cannot move past the end of the text");
        if (right.Content is ContentFormat cf)
        {
            if (!right.Deleted)
            {
                YText.UpdateCurrentAttributes(CurrentAttributes, cf);
            }
        }
        else if (!right.Deleted)
        {
            Index += right.Length;
        }

        Left = right;
        Right = right.Right;
    }
}

public partial class YText
{
    internal static void UpdateCurrentAttributes(AttributeMap currentAttributes, ContentFormat format)
    {
        if (format.Value is null)
        {
            currentAttributes.Remove(format.Key);
        }
        else
        {
            currentAttributes.Set(format.Key, format.Value);
        }
    }

    private static ItemTextListPosition FindNextPosition(Transaction transaction, ItemTextListPosition pos, int count)
    {
        var store = transaction.Doc.Store;
        while (pos.Right != null && count > 0)
        {
            var right = pos.Right;
            if (right.Content is ContentFormat cf)
            {
                if (!right.Deleted)
                {
                    UpdateCurrentAttributes(pos.CurrentAttributes, cf);
                }
            }
            else if (!right.Deleted)
            {
                if (count < right.Length)
                {
                    store.GetItemCleanStart(transaction, new ItemId(right.Id.Client, right.Id.Clock + (uint)count));
                }

                pos.Index += right.Length;
                count -= right.Length;
            }

            pos.Left = right;
            pos.Right = right.Right;
        }

        return pos;
    }

    private ItemTextListPosition FindPosition(Transaction transaction, int index, bool useSearchMarker)
    {
        var currentAttributes = new AttributeMap();
        var marker = useSearchMarker ? ArraySearchMarker.Find(this, index) : null;
        if (marker != null)
        {
            var pos = new ItemTextListPosition(marker.P.Left, marker.P, marker.Index, currentAttributes);
            return FindNextPosition(transaction, pos, index - marker.Index);
        }

        return FindNextPosition(transaction, new ItemTextListPosition(null, Start, 0, currentAttributes), index);
    }

    private void InsertNegatedAttributes(Transaction transaction, ItemTextListPosition currPos, AttributeMap negatedAttributes)
    {
        while (currPos.Right != null
            && (currPos.Right.Deleted
                || (currPos.Right.Content is ContentFormat cf
                    && JsEquality.EqualAttrs(negatedAttributes.TryGet(cf.Key, out var nv) ? nv : YUndefined.Value, cf.Value))))
        {
            if (!currPos.Right.Deleted)
            {
                negatedAttributes.Remove(((ContentFormat)currPos.Right.Content).Key);
            }

            currPos.Forward();
        }

        var doc = transaction.Doc;
        uint own = doc.ClientId;
        foreach (var kv in negatedAttributes.Count == 0 ? [] : negatedAttributes.Snapshot())
        {
            var left = currPos.Left;
            var right = currPos.Right;
            var nextFormat = new Item(new ItemId(own, doc.Store.GetState(own)), left, left?.LastId, right, right?.Id, this, null, new ContentFormat(kv.Key, kv.Value));
            nextFormat.Integrate(transaction, 0);
            currPos.Right = nextFormat;
            currPos.Forward();
        }
    }

    private static void MinimizeAttributeChanges(ItemTextListPosition currPos, AttributeMap attributes)
    {
        while (currPos.Right != null)
        {
            var right = currPos.Right;
            if (right.Deleted
                || (right.Content is ContentFormat cf && JsEquality.EqualAttrs(attributes.GetOrNull(cf.Key), cf.Value)))
            {
                currPos.Forward();
                continue;
            }

            break;
        }
    }

    private AttributeMap InsertAttributes(Transaction transaction, ItemTextListPosition currPos, AttributeMap attributes)
    {
        var doc = transaction.Doc;
        uint own = doc.ClientId;
        var negatedAttributes = new AttributeMap();
        if (attributes.Count == 0)
        {
            return negatedAttributes;
        }

        foreach (var kv in JsKeyOrder.Order(attributes))
        {
            var val = kv.Value;
            var currentVal = currPos.CurrentAttributes.GetOrNull(kv.Key);
            if (!JsEquality.EqualAttrs(currentVal, val))
            {
                negatedAttributes.Set(kv.Key, currentVal);
                var left = currPos.Left;
                var right = currPos.Right;
                currPos.Right = new Item(new ItemId(own, doc.Store.GetState(own)), left, left?.LastId, right, right?.Id, this, null, new ContentFormat(kv.Key, val));
                currPos.Right.Integrate(transaction, 0);
                currPos.Forward();
            }
        }

        return negatedAttributes;
    }

    private void InsertTextAt(Transaction transaction, ItemTextListPosition currPos, object text, AttributeMap attributes)
    {
        foreach (var kv in currPos.CurrentAttributes)
        {
            if (!attributes.ContainsKey(kv.Key) || (attributes.TryGet(kv.Key, out var v) && v is YUndefined))
            {
                attributes.Set(kv.Key, null);
            }
        }

        var doc = transaction.Doc;
        uint own = doc.ClientId;
        MinimizeAttributeChanges(currPos, attributes);
        var negatedAttributes = InsertAttributes(transaction, currPos, attributes);
        AbstractContent content = text switch
        {
            string s => new ContentString(s),
            AbstractType t => new ContentType(t),
            _ => new ContentEmbed(text),
        };
        var left = currPos.Left;
        var right = currPos.Right;
        int index = currPos.Index;
        if (SearchMarkers != null)
        {
            ArraySearchMarker.UpdateChanges(this, currPos.Index, content.Length);
        }

        right = new Item(new ItemId(own, doc.Store.GetState(own)), left, left?.LastId, right, right?.Id, this, null, content);
        right.Integrate(transaction, 0);
        currPos.Right = right;
        currPos.Index = index;
        currPos.Forward();
        InsertNegatedAttributes(transaction, currPos, negatedAttributes);
    }

    private void FormatTextAt(Transaction transaction, ItemTextListPosition currPos, int length, AttributeMap attributes)
    {
        var doc = transaction.Doc;
        uint own = doc.ClientId;
        MinimizeAttributeChanges(currPos, attributes);
        var negatedAttributes = InsertAttributes(transaction, currPos, attributes);
        while (currPos.Right != null
            && (length > 0 || (negatedAttributes.Count > 0 && (currPos.Right.Deleted || currPos.Right.Content is ContentFormat))))
        {
            var right = currPos.Right;
            if (!right.Deleted)
            {
                if (right.Content is ContentFormat cf)
                {
                    if (attributes.TryGet(cf.Key, out var attr) && attr is not YUndefined)
                    {
                        if (JsEquality.EqualAttrs(attr, cf.Value))
                        {
                            negatedAttributes.Remove(cf.Key);
                        }
                        else
                        {
                            if (length == 0)
                            {
                                break;
                            }

                            negatedAttributes.Set(cf.Key, cf.Value);
                        }

                        right.Delete(transaction);
                    }
                    else
                    {
                        currPos.CurrentAttributes.Set(cf.Key, cf.Value);
                    }
                }
                else
                {
                    if (length < right.Length)
                    {
                        doc.Store.GetItemCleanStart(transaction, new ItemId(right.Id.Client, right.Id.Clock + (uint)length));
                    }

                    length -= right.Length;
                }
            }

            currPos.Forward();
        }

        if (length > 0)
        {
            var newlines = new string('\n', length);
            currPos.Right = new Item(new ItemId(own, doc.Store.GetState(own)), currPos.Left, currPos.Left?.LastId, currPos.Right, currPos.Right?.Id, this, null, new ContentString(newlines));
            currPos.Right.Integrate(transaction, 0);
            currPos.Forward();
        }

        InsertNegatedAttributes(transaction, currPos, negatedAttributes);
    }

    private static int CleanupFormattingGap(Transaction transaction, Item start, Item? curr, AttributeMap startAttributes, AttributeMap currAttributes)
    {
        Item? end = start;
        var endFormats = new Dictionary<string, ContentFormat>();
        while (end != null && (!end.Countable || end.Deleted))
        {
            if (!end.Deleted && end.Content is ContentFormat cf)
            {
                endFormats[cf.Key] = cf;
            }

            end = end.Right;
        }

        int cleanups = 0;
        bool reachedCurr = false;
        Item? s = start;
        while (s != end)
        {
            if (curr == s)
            {
                reachedCurr = true;
            }

            if (!s!.Deleted && s.Content is ContentFormat content)
            {
                string key = content.Key;
                object? value = content.Value;
                var startAttrValue = startAttributes.GetOrNull(key);
                if (!endFormats.TryGetValue(key, out var ef) || ef != content || JsEquality.StrictEquals(startAttrValue, value))
                {
                    s.Delete(transaction);
                    cleanups++;
                    if (!reachedCurr && JsEquality.StrictEquals(currAttributes.GetOrNull(key), value) && !JsEquality.StrictEquals(startAttrValue, value))
                    {
                        if (startAttrValue is null)
                        {
                            currAttributes.Remove(key);
                        }
                        else
                        {
                            currAttributes.Set(key, startAttrValue);
                        }
                    }
                }

                if (!reachedCurr && !s.Deleted)
                {
                    UpdateCurrentAttributes(currAttributes, content);
                }
            }

            s = s.Right;
        }

        return cleanups;
    }

    private static void CleanupContextlessFormattingGap(Transaction transaction, Item? item)
    {
        while (item != null && item.Right != null && (item.Right.Deleted || !item.Right.Countable))
        {
            item = item.Right;
        }

        var attrs = new HashSet<string>();
        while (item != null && (item.Deleted || !item.Countable))
        {
            if (!item.Deleted && item.Content is ContentFormat cf)
            {
                if (!attrs.Add(cf.Key))
                {
                    item.Delete(transaction);
                }
            }

            item = item.Left;
        }
    }

    /// <summary>Removes redundant format items (yjs cleanupYTextFormatting); returns how many were removed.</summary>
    public int CleanupFormatting()
    {
        int res = 0;
        RequireDoc().Transact(transaction =>
        {
            var start = Start;
            var end = Start;
            var startAttributes = new AttributeMap();
            var currentAttributes = new AttributeMap(startAttributes);
            while (end != null)
            {
                if (!end.Deleted)
                {
                    if (end.Content is ContentFormat cf)
                    {
                        UpdateCurrentAttributes(currentAttributes, cf);
                    }
                    else
                    {
                        res += CleanupFormattingGap(transaction, start!, end, startAttributes, currentAttributes);
                        startAttributes = new AttributeMap(currentAttributes);
                        start = end;
                    }
                }

                end = end.Right;
            }
        });
        return res;
    }

    internal static void CleanupAfterTransaction(Transaction transaction)
    {
        var needFullCleanup = new HashSet<YText>();
        var doc = transaction.Doc;
        foreach (var (client, clock) in transaction.StateChanges)
        {
            uint afterClock = transaction.AfterState.TryGetValue(client, out uint a) ? a : 0;
            if (afterClock == clock)
            {
                continue;
            }

            StructStore.IterateStructs(transaction, doc.Store.Clients[client], clock, afterClock - clock, s =>
            {
                if (s is Item { Deleted: false, Content: ContentFormat } item && item.Parent is YText yt)
                {
                    needFullCleanup.Add(yt);
                }
            });
        }

        doc.Transact(t =>
        {
            IterateDeletedStructs(transaction, transaction.HasDeletes ? transaction.DeleteSet : new DeleteSet(), s =>
            {
                if (s is not Item item || item.Parent is not YText parent || !parent.HasFormatting || needFullCleanup.Contains(parent))
                {
                    return;
                }

                if (item.Content is ContentFormat)
                {
                    needFullCleanup.Add(parent);
                }
                else
                {
                    CleanupContextlessFormattingGap(t, item);
                }
            });
            foreach (var yText in needFullCleanup)
            {
                yText.CleanupFormatting();
            }
        });
    }

    internal static void IterateDeletedStructs(Transaction transaction, DeleteSet ds, Action<AbstractStruct> f)
    {
        foreach (var kv in ds.Clients)
        {
            if (transaction.Doc.Store.Clients.TryGetValue(kv.Key, out var structs))
            {
                var last = structs[^1];
                uint clockState = last.EndClock;
                foreach (var del in kv.Value)
                {
                    if (del.Clock >= clockState)
                    {
                        break;
                    }

                    StructStore.IterateStructs(transaction, structs, del.Clock, del.Length, f);
                }
            }
        }
    }

    private ItemTextListPosition DeleteTextAt(Transaction transaction, ItemTextListPosition currPos, int length)
    {
        int startLength = length;
        var startAttrs = new AttributeMap(currPos.CurrentAttributes);
        var start = currPos.Right;
        var store = transaction.Doc.Store;
        while (length > 0 && currPos.Right != null)
        {
            var right = currPos.Right;
            if (!right.Deleted && right.Content is ContentType or ContentEmbed or ContentString)
            {
                if (length < right.Length)
                {
                    store.GetItemCleanStart(transaction, new ItemId(right.Id.Client, right.Id.Clock + (uint)length));
                }

                length -= right.Length;
                right.Delete(transaction);
            }

            currPos.Forward();
        }

        if (start != null)
        {
            CleanupFormattingGap(transaction, start, currPos.Right, startAttrs, currPos.CurrentAttributes);
        }

        var parent = (currPos.Left ?? currPos.Right)?.Parent;
        if (parent?.SearchMarkers != null)
        {
            ArraySearchMarker.UpdateChanges(parent, currPos.Index, -startLength + length);
        }

        return currPos;
    }
}
