using System.Runtime.CompilerServices;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Types;

namespace Collab.Crdt.Structs;

/// <summary>
/// An item: content with its YATA neighbours. <see cref="Left"/>/<see cref="Right"/> are the current neighbours,
/// <see cref="Origin"/>/<see cref="RightOrigin"/> the ids it was inserted between. Before integration the parent may
/// be known only as an id (<see cref="ParentId"/>) or a root name (<see cref="ParentKey"/>).
/// </summary>
internal sealed class Item : AbstractStruct
{
    private const byte KeepBit = 1;
    private const byte CountableBit = 2;
    private const byte DeletedBit = 4;
    private const byte MarkerBit = 8;

    public ItemId? Origin;
    public Item? Left;
    public Item? Right;
    public ItemId? RightOrigin;
    public AbstractType? Parent;
    public ItemId? ParentId;
    public string? ParentKey;
    public string? ParentSub;
    public AbstractContent Content;
    public byte Info;

    public Item(ItemId id, Item? left, ItemId? origin, Item? right, ItemId? rightOrigin, AbstractType? parent, string? parentSub, AbstractContent content)
        : base(id, content.Length)
    {
        Origin = origin;
        Left = left;
        Right = right;
        RightOrigin = rightOrigin;
        Parent = parent;
        ParentSub = parentSub;
        Content = content;
        Info = content.IsCountable ? CountableBit : (byte)0;
    }

    public bool Marker
    {
        get => (Info & MarkerBit) != 0;
        set => Info = value ? (byte)(Info | MarkerBit) : (byte)(Info & ~MarkerBit);
    }

    public bool Keep
    {
        get => (Info & KeepBit) != 0;
        set => Info = value ? (byte)(Info | KeepBit) : (byte)(Info & ~KeepBit);
    }

    public bool Countable
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Info & CountableBit) != 0;
    }

    public override bool Deleted
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Info & DeletedBit) != 0;
    }

    /// <summary>Whether the item is neither deleted nor a non-countable (format) item.</summary>
    public bool IsVisibleCountable
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Info & (CountableBit | DeletedBit)) == CountableBit;
    }

    public void MarkDeleted()
    {
        Info |= DeletedBit;
        if ((Info & MarkerBit) != 0 && Parent is { } parent)
        {
            // a marker rests on this item: the next insert must walk the markers (ArraySearchMarker.UpdateChanges)
            parent.SearchMarkersSettled = false;
        }
    }

    public ItemId LastId => Length == 1 ? Id : new ItemId(Id.Client, Id.Clock + (uint)Length - 1);

    /// <summary>Next non-deleted item to the right.</summary>
    public Item? Next
    {
        get
        {
            var n = Right;
            while (n != null && n.Deleted)
            {
                n = n.Right;
            }

            return n;
        }
    }

    /// <summary>Previous non-deleted item to the left.</summary>
    public Item? Prev
    {
        get
        {
            var n = Left;
            while (n != null && n.Deleted)
            {
                n = n.Left;
            }

            return n;
        }
    }

    /// <summary>Splits this item at <paramref name="diff"/> and returns the right part (yjs splitItem).</summary>
    public Item Split(Transaction transaction, int diff)
    {
        uint client = Id.Client;
        uint clock = Id.Clock;
        var right = new Item(
            new ItemId(client, clock + (uint)diff),
            this,
            new ItemId(client, clock + (uint)diff - 1),
            Right,
            RightOrigin,
            Parent,
            ParentSub,
            Content.Splice(diff));
        if (Deleted)
        {
            right.Info |= DeletedBit; // not MarkDeleted: the new right part carries no search marker
        }

        if (Keep)
        {
            right.Keep = true;
        }

        // do not set RightOrigin of this item: that would break syncing
        Right = right;
        if (right.Right != null)
        {
            right.Right.Left = right;
        }

        transaction.MergeStructs.Add(right);
        if (right.ParentSub != null && right.Right == null)
        {
            right.Parent!.Map[right.ParentSub] = right;
        }

        Length = diff;
        return right;
    }

    public override uint? GetMissing(Transaction transaction, StructStore store)
    {
        if (Origin is { } o && o.Client != Id.Client && o.Clock >= store.GetState(o.Client))
        {
            return o.Client;
        }

        if (RightOrigin is { } ro && ro.Client != Id.Client && ro.Clock >= store.GetState(ro.Client))
        {
            return ro.Client;
        }

        if (ParentId is { } pid && pid.Client != Id.Client && pid.Clock >= store.GetState(pid.Client))
        {
            return pid.Client;
        }

        // all dependencies exist: resolve them
        bool gcNeighbour = false;
        if (Origin is { } origin)
        {
            var left = store.GetItemCleanEnd(transaction, origin);
            Left = left as Item;
            gcNeighbour = left is not Item;
            Origin = left is Item li ? li.LastId : new ItemId(left.Id.Client, left.EndClock - 1);
        }

        if (RightOrigin is { } rightOrigin)
        {
            var right = store.GetItemCleanStart(transaction, rightOrigin);
            Right = right as Item;
            gcNeighbour |= right is not Item;
            RightOrigin = right.Id;
        }

        if (gcNeighbour)
        {
            Parent = null;
            ParentId = null;
            ParentKey = null;
            ParentGc = true;
        }
        else if (ParentId is null && ParentKey is null && Parent is null)
        {
            if (Left != null)
            {
                Parent = Left.Parent;
                ParentSub = Left.ParentSub;
            }
            else if (Right != null)
            {
                Parent = Right.Parent;
                ParentSub = Right.ParentSub;
            }
        }
        else if (ParentId is { } parentId)
        {
            var parentStruct = store.Find(parentId);
            Parent = parentStruct is Item { Content: ContentType ct } ? ct.Type : null;
            ParentId = null;
        }
        else if (ParentKey is not null)
        {
            Parent = transaction.Doc.GetOrCreateRoot(ParentKey);
            ParentKey = null;
        }

        return null;
    }

    // Set when a neighbour or the parent turned out to be garbage collected: the item integrates as GC.
    private bool ParentGc;

    public override void Integrate(Transaction transaction, int offset)
    {
        var store = transaction.Doc.Store;
        if (offset > 0)
        {
            Id = new ItemId(Id.Client, Id.Clock + (uint)offset);
            var left = store.GetItemCleanEnd(transaction, new ItemId(Id.Client, Id.Clock - 1));
            Left = left as Item;
            if (left is not Item)
            {
                ParentGc = true;
            }

            Origin = left is Item li ? li.LastId : new ItemId(left.Id.Client, left.EndClock - 1);
            Content = Content.Splice(offset);
            Length -= offset;
        }

        if (Parent != null && !ParentGc)
        {
            var parent = Parent;
            if ((Left == null && (Right == null || Right.Left != null)) || (Left != null && Left.Right != Right))
            {
                var left = Left;
                Item? o;
                if (left != null)
                {
                    o = left.Right;
                }
                else if (ParentSub != null)
                {
                    parent.Map.TryGetValue(ParentSub, out o);
                    while (o != null && o.Left != null)
                    {
                        o = o.Left;
                    }
                }
                else
                {
                    o = parent.Start;
                }

                var doc = transaction.Doc;
                var conflictingItems = doc.ConflictingItemsPool;
                var itemsBeforeOrigin = doc.ItemsBeforeOriginPool;
                conflictingItems.Clear();
                itemsBeforeOrigin.Clear();
                while (o != null && o != Right)
                {
                    itemsBeforeOrigin.Add(o);
                    conflictingItems.Add(o);
                    if (Origin == o.Origin)
                    {
                        if (o.Id.Client < Id.Client)
                        {
                            left = o;
                            conflictingItems.Clear();
                        }
                        else if (RightOrigin == o.RightOrigin)
                        {
                            break;
                        }
                    }
                    else if (o.Origin is { } oOrigin && store.Find(oOrigin) is Item oo && itemsBeforeOrigin.Contains(oo))
                    {
                        if (!conflictingItems.Contains(oo))
                        {
                            left = o;
                            conflictingItems.Clear();
                        }
                    }
                    else
                    {
                        break;
                    }

                    o = o.Right;
                }

                conflictingItems.Clear();
                itemsBeforeOrigin.Clear();
                Left = left;
            }

            if (Left != null)
            {
                Right = Left.Right;
                Left.Right = this;
            }
            else
            {
                Item? r;
                if (ParentSub != null)
                {
                    parent.Map.TryGetValue(ParentSub, out r);
                    while (r != null && r.Left != null)
                    {
                        r = r.Left;
                    }
                }
                else
                {
                    r = parent.Start;
                    parent.Start = this;
                }

                Right = r;
            }

            if (Right != null)
            {
                Right.Left = this;
            }
            else if (ParentSub != null)
            {
                parent.Map[ParentSub] = this;
                Left?.Delete(transaction);
            }

            if (ParentSub == null && Countable && !Deleted)
            {
                parent.LengthField += Length;
            }

            store.AddStruct(this, transaction);
            Content.Integrate(transaction, this);
            transaction.AddChangedType(parent, ParentSub);
            if ((parent.ParentItem != null && parent.ParentItem.Deleted) || (ParentSub != null && Right != null))
            {
                Delete(transaction);
            }
        }
        else
        {
            new GcStruct(Id, Length).Integrate(transaction, 0);
        }
    }

    public override bool MergeWith(AbstractStruct right)
    {
        if (right is Item r
            && r.Origin == LastId
            && Right == r
            && RightOrigin == r.RightOrigin
            && Id.Client == r.Id.Client
            && Id.Clock + (uint)Length == r.Id.Clock
            && Deleted == r.Deleted
            && Content.GetType() == r.Content.GetType()
            && Content.MergeWith(r.Content))
        {
            var markers = Parent?.SearchMarkers;
            if (markers != null)
            {
                foreach (var marker in markers)
                {
                    if (marker.P == r)
                    {
                        Parent!.SearchMarkersSettled = false;
                        marker.P = this;
                        if (!Deleted && Countable)
                        {
                            marker.Index -= Length;
                        }
                    }
                }
            }

            if (r.Keep)
            {
                Keep = true;
            }

            Right = r.Right;
            if (Right != null)
            {
                Right.Left = this;
            }

            Length += r.Length;
            return true;
        }

        return false;
    }

    public void Delete(Transaction transaction)
    {
        if (!Deleted)
        {
            DeleteShallow(transaction);
            Content.Delete(transaction);
        }
    }

    /// <summary>Marks this item deleted without touching its content (nested types are handled by the caller).</summary>
    public void DeleteShallow(Transaction transaction)
    {
        var parent = Parent!;
        if (Countable && ParentSub == null)
        {
            parent.LengthField -= Length;
        }

        MarkDeleted();
        transaction.DeleteSet.Add(Id.Client, Id.Clock, (uint)Length);
        transaction.AddChangedType(parent, ParentSub);
    }

    public void Gc(StructStore store, bool parentGCd)
    {
        if (!Deleted)
        {
            throw new InvalidOperationException("Only deleted items can be garbage collected");
        }

        Content.Gc(store);
        ReplaceAfterGc(store, parentGCd);
    }

    /// <summary>Like <see cref="Gc"/> but defers a nested type's content to <paramref name="nestedTypes"/>.</summary>
    public void GcShallow(StructStore store, bool parentGCd, Stack<AbstractType> nestedTypes)
    {
        if (!Deleted)
        {
            throw new InvalidOperationException("Only deleted items can be garbage collected");
        }

        if (Content is ContentType ct)
        {
            nestedTypes.Push(ct.Type);
        }
        else
        {
            Content.Gc(store);
        }

        ReplaceAfterGc(store, parentGCd);
    }

    private void ReplaceAfterGc(StructStore store, bool parentGCd)
    {
        if (parentGCd)
        {
            store.ReplaceStruct(this, new GcStruct(Id, Length));
        }
        else if (Content is not ContentDeleted deleted || deleted.Len != Length)
        {
            // (a deleted item read from an update already holds exactly this: no new object per collected item)
            Content = new ContentDeleted(Length);
        }
    }

    public override void Write(UpdateEncoder encoder, int offset)
    {
        ItemId? origin = offset > 0 ? new ItemId(Id.Client, Id.Clock + (uint)offset - 1) : Origin;
        var rightOrigin = RightOrigin;
        var parentSub = ParentSub;
        byte info = (byte)((Content.Ref & 0x1F)
            | (origin is null ? 0 : 0x80)
            | (rightOrigin is null ? 0 : 0x40)
            | (parentSub is null ? 0 : 0x20));
        encoder.WriteInfo(info);
        if (origin is { } og)
        {
            encoder.WriteLeftId(og);
        }

        if (rightOrigin is { } ro)
        {
            encoder.WriteRightId(ro);
        }

        if (origin is null && rightOrigin is null)
        {
            if (Parent != null)
            {
                var parentItem = Parent.ParentItem;
                if (parentItem == null)
                {
                    encoder.WriteParentInfo(true);
                    encoder.WriteString(Parent.RootName ?? throw new InvalidOperationException("Root type without a name"));
                }
                else
                {
                    encoder.WriteParentInfo(false);
                    encoder.WriteLeftId(parentItem.Id);
                }
            }
            else if (ParentKey != null)
            {
                encoder.WriteParentInfo(true);
                encoder.WriteString(ParentKey);
            }
            else if (ParentId is { } pid)
            {
                encoder.WriteParentInfo(false);
                encoder.WriteLeftId(pid);
            }
            else
            {
                throw new InvalidOperationException("Item without parent information");
            }

            if (parentSub != null)
            {
                encoder.WriteString(parentSub);
            }
        }

        Content.Write(encoder, offset);
    }
}
