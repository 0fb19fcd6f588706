using Collab.Crdt.History;
using Collab.Crdt.Structs;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// Every struct an update inserts, with where it goes (root name, parent item or neighbour) and what it holds, plus
    /// the ranges it deletes: what history views record per event. Validates like <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static UpdateDetail Inspect(ReadOnlySpan<byte> update)
    {
        var inserted = new List<InsertedStruct>();
        byte[] bytes = update.ToArray(); // struct offsets are positions in the update (the walk leaves Source unset)
        var deleted = WalkAll(bytes, (in UpdateStruct s) =>
        {
            if (s.Kind == StructKind.Skip)
            {
                return;
            }

            if (s.Kind == StructKind.Gc)
            {
                inserted.Add(new InsertedStruct(s.Client, s.Clock, s.Length, InsertedContent.Gc, null, null, null, null, false, null));
                return;
            }

            var content = s.ContentRef switch
            {
                1 => InsertedContent.Deleted,
                4 => InsertedContent.Text,
                5 => InsertedContent.Embed,
                6 => InsertedContent.Format,
                7 => InsertedContent.Type,
                _ => InsertedContent.Value,
            };
            string? rootKey = s.Parent == ParentKind.RootKey ? System.Text.Encoding.UTF8.GetString(bytes, s.ParentKeyStart, s.ParentKeyLength) : null;
            ItemId? parent = s.Parent == ParentKind.ItemId ? new ItemId(s.ParentClient, s.ParentClock) : null;
            ItemId? origin = s.HasOrigin ? new ItemId(s.OriginClient, s.OriginClock) : null;
            ItemId? rightOrigin = s.HasRightOrigin ? new ItemId(s.RightOriginClient, s.RightOriginClock) : null;
            RootKind? kind = s.HasParentSub
                ? RootKind.Map
                : content switch
                {
                    InsertedContent.Text or InsertedContent.Embed or InsertedContent.Format => RootKind.Text,
                    InsertedContent.Type => s.ContentLength > 0 && bytes[s.ContentStart] is >= 3 and <= 6 ? RootKind.Xml : RootKind.Array,
                    InsertedContent.Value => RootKind.Array,
                    _ => null,
                };
            inserted.Add(new InsertedStruct(s.Client, s.Clock, s.Length, content, rootKey, parent, origin, rightOrigin, s.HasParentSub, kind));
        });
        deleted.SortAndMerge();
        return new UpdateDetail(inserted, ToClockRanges(deleted));
    }
}
