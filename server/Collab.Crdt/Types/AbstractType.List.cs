using Collab.Crdt.Document;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

public abstract partial class AbstractType
{
    internal List<object?> ListToArray()
    {
        var cs = new List<object?>();
        for (var n = Start; n != null; n = n.Right)
        {
            if (n.IsVisibleCountable)
            {
                n.Content.AppendContent(cs);
            }
        }

        return cs;
    }

    internal List<object?> ListToArray(YSnapshot snapshot)
    {
        var cs = new List<object?>();
        for (var n = Start; n != null; n = n.Right)
        {
            if (n.Countable && snapshot.IsVisible(n))
            {
                n.Content.AppendContent(cs);
            }
        }

        return cs;
    }

    internal object? ListGet(int index)
    {
        var marker = ArraySearchMarker.Find(this, index);
        var n = Start;
        if (marker != null)
        {
            n = marker.P;
            index -= marker.Index;
        }

        for (; n != null; n = n.Right)
        {
            if (n.IsVisibleCountable)
            {
                if (index < n.Length)
                {
                    return n.Content.GetValue(index);
                }

                index -= n.Length;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(index));
    }

    internal void ListInsertGenericsAfter(Transaction transaction, Item? referenceItem, IReadOnlyList<object?> content)
    {
        var left = referenceItem;
        var doc = transaction.Doc;
        uint ownClientId = doc.ClientId;
        var store = doc.Store;
        var right = referenceItem == null ? Start : referenceItem.Right;
        List<object?>? jsonContent = null;

        void Integrate(AbstractContent c)
        {
            left = new Item(new ItemId(ownClientId, store.GetState(ownClientId)), left, left?.LastId, right, right?.Id, this, null, c);
            left.Integrate(transaction, 0);
        }

        foreach (var c in content)
        {
            if (IsJsonLike(c))
            {
                (jsonContent ??= new List<object?>()).Add(c);
                continue;
            }

            if (jsonContent is { Count: > 0 })
            {
                Integrate(new ContentAny(jsonContent));
                jsonContent = null;
            }

            switch (c)
            {
                case byte[] b:
                    Integrate(new ContentBinary(b));
                    break;
                case YDoc d:
                    Integrate(new ContentDoc(d));
                    break;
                case AbstractType t:
                    Integrate(new ContentType(t));
                    break;
                default:
                    throw new ArgumentException($"Unexpected content type in insert operation: {c!.GetType()}");
            }
        }

        if (jsonContent is { Count: > 0 })
        {
            Integrate(new ContentAny(jsonContent));
        }
    }

    internal void ListInsertGenerics(Transaction transaction, int index, IReadOnlyList<object?> content)
    {
        if (index > LengthField || index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "Length exceeded!");
        }

        if (index == 0)
        {
            if (SearchMarkers != null)
            {
                ArraySearchMarker.UpdateChanges(this, index, content.Count);
            }

            ListInsertGenericsAfter(transaction, null, content);
            return;
        }

        int startIndex = index;
        var marker = ArraySearchMarker.Find(this, index);
        var n = Start;
        if (marker != null)
        {
            n = marker.P;
            index -= marker.Index;
            if (index == 0)
            {
                n = n.Prev;
                index += (n != null && n.IsVisibleCountable) ? n.Length : 0;
            }
        }

        for (; n != null; n = n.Right)
        {
            if (n.IsVisibleCountable)
            {
                if (index <= n.Length)
                {
                    if (index < n.Length)
                    {
                        transaction.Doc.Store.GetItemCleanStart(transaction, new ItemId(n.Id.Client, n.Id.Clock + (uint)index));
                    }

                    break;
                }

                index -= n.Length;
            }
        }

        if (SearchMarkers != null)
        {
            ArraySearchMarker.UpdateChanges(this, startIndex, content.Count);
        }

        ListInsertGenericsAfter(transaction, n, content);
    }

    internal void ListPushGenerics(Transaction transaction, IReadOnlyList<object?> content)
    {
        Item? n = Start;
        int maxIndex = 0;
        if (SearchMarkers != null)
        {
            foreach (var m in SearchMarkers)
            {
                if (m.Index > maxIndex)
                {
                    maxIndex = m.Index;
                    n = m.P;
                }
            }
        }

        if (n != null)
        {
            while (n.Right != null)
            {
                n = n.Right;
            }
        }

        ListInsertGenericsAfter(transaction, n, content);
    }

    internal void ListDelete(Transaction transaction, int index, int length)
    {
        if (length == 0)
        {
            return;
        }

        int startIndex = index;
        int startLength = length;
        var marker = ArraySearchMarker.Find(this, index);
        var n = Start;
        var store = transaction.Doc.Store;
        if (marker != null)
        {
            n = marker.P;
            index -= marker.Index;
        }

        for (; n != null && index > 0; n = n.Right)
        {
            if (n.IsVisibleCountable)
            {
                if (index < n.Length)
                {
                    store.GetItemCleanStart(transaction, new ItemId(n.Id.Client, n.Id.Clock + (uint)index));
                }

                index -= n.Length;
            }
        }

        while (length > 0 && n != null)
        {
            if (!n.Deleted)
            {
                if (length < n.Length)
                {
                    store.GetItemCleanStart(transaction, new ItemId(n.Id.Client, n.Id.Clock + (uint)length));
                }

                n.Delete(transaction);
                length -= n.Length;
            }

            n = n.Right;
        }

        if (length > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "Length exceeded!");
        }

        if (SearchMarkers != null)
        {
            ArraySearchMarker.UpdateChanges(this, startIndex, -startLength + length);
        }
    }

    internal void MapDelete(Transaction transaction, string key)
    {
        if (Map.TryGetValue(key, out var c))
        {
            c.Delete(transaction);
        }
    }

    internal void MapSet(Transaction transaction, string key, object? value)
    {
        Map.TryGetValue(key, out var left);
        var doc = transaction.Doc;
        uint own = doc.ClientId;
        var content = ContentForValue(value);
        new Item(new ItemId(own, doc.Store.GetState(own)), left, left?.LastId, null, null, this, key, content).Integrate(transaction, 0);
    }

    internal object? MapGet(string key) =>
        Map.TryGetValue(key, out var val) && !val.Deleted ? val.Content.GetValue(val.Length - 1) : null;

    internal bool MapHas(string key) => Map.TryGetValue(key, out var val) && !val.Deleted;

    internal Dictionary<string, object?> MapGetAll()
    {
        var res = new Dictionary<string, object?>();
        foreach (var kv in Map)
        {
            if (!kv.Value.Deleted)
            {
                res[kv.Key] = kv.Value.Content.GetValue(kv.Value.Length - 1);
            }
        }

        return res;
    }

    internal object? MapGet(string key, YSnapshot snapshot)
    {
        Map.TryGetValue(key, out var v);
        while (v != null && (!snapshot.StateVector.TryGetValue(v.Id.Client, out uint c) || v.Id.Clock >= c))
        {
            v = v.Left;
        }

        return v != null && snapshot.IsVisible(v) ? v.Content.GetValue(v.Length - 1) : null;
    }

    internal Dictionary<string, object?> MapGetAll(YSnapshot snapshot)
    {
        var res = new Dictionary<string, object?>();
        foreach (var kv in Map)
        {
            Item? v = kv.Value;
            while (v != null && (!snapshot.StateVector.TryGetValue(v.Id.Client, out uint c) || v.Id.Clock >= c))
            {
                v = v.Left;
            }

            if (v != null && snapshot.IsVisible(v))
            {
                res[kv.Key] = v.Content.GetValue(v.Length - 1);
            }
        }

        return res;
    }
}
