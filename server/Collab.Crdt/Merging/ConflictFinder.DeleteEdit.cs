using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Merging;

internal sealed partial class ConflictFinder
{
    /// <summary>
    /// delete-edit: one side (ours when <paramref name="ours"/>) deleted a base item holding a nested type while the
    /// other side changed something inside it. <paramref name="changedByOther"/> holds the types whose own items the
    /// other side inserted or deleted. Deleting a type deletes its contents on that side, so the other side's pure
    /// deletions inside cannot be told apart from the container's; its insertions, formats and map sets can.
    /// </summary>
    private void AnalyzeDeleteEdit(HashSet<AbstractType> changedByOther, bool ours)
    {
        var memo = new Dictionary<AbstractType, Item?>();
        var found = new List<Item>();
        var seen = new HashSet<Item>();
        foreach (var type in changedByOther)
        {
            if (OutermostDeleted(type, ours, memo) is { } item && seen.Add(item))
            {
                found.Add(item);
            }
        }

        foreach (var item in found)
        {
            EmitDeleteEdit(item, ours);
        }
    }

    /// <summary>The outermost base item above <paramref name="type"/> that only the deleting side deleted.</summary>
    private Item? OutermostDeleted(AbstractType type, bool ours, Dictionary<AbstractType, Item?> memo)
    {
        if (type.ParentItem is not { } p || p.Parent == null)
        {
            return null;
        }

        if (memo.TryGetValue(type, out var known))
        {
            return known;
        }

        var above = OutermostDeleted(p.Parent, ours, memo);
        Item? result = above;
        if (above == null)
        {
            var f = _v.FlagsOf(p.Id);
            bool dt = (f & SegFlags.DelT) != 0;
            bool ds = (f & SegFlags.DelS) != 0;
            if ((f & SegFlags.InB) != 0 && (ours ? dt && !ds : ds && !dt))
            {
                result = p;
            }
        }

        memo[type] = result;
        return result;
    }

    private void EmitDeleteEdit(Item item, bool ours)
    {
        var parent = item.Parent!;
        var nested = ((ContentType)item.Content).Type;
        string? key = item.ParentSub;
        byte[]? start = null;
        byte[]? end = null;
        if (key == null)
        {
            start = new YRelativePosition(null, null, item.Id, 0).Encode();
            end = new YRelativePosition(null, null, item.Id, -1).Encode();
        }
        else
        {
            start = end = TypePosition(parent, 0);
        }

        string? baseJson = JsJson.Stringify(_r.Render(nested, Version.Base)) ?? "null";
        string? oursJson = ours ? null : JsJson.Stringify(_r.Render(nested, Version.Ours)) ?? "null";
        string? theirsJson = ours ? JsJson.Stringify(_r.Render(nested, Version.Theirs)) ?? "null" : null;
        string outcome = (ours ? "ours" : "theirs") + " deleted it: deleted with its contents, "
            + (ours ? "theirs" : "ours") + "' changes inside are lost";
        // The deleted item names the deleting side's change; the other side's version inside names its changes.
        AddConflict(MergeAnalyzer.DeleteEdit, parent, key, item.Id.ToString() + (ours ? "/ours" : "/theirs"), (ours ? theirsJson : oursJson) ?? "", start, end,
            baseJson, oursJson, theirsJson, null, outcome);
    }
}
