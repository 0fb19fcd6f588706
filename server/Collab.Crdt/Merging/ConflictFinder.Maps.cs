using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Merging;

internal sealed partial class ConflictFinder
{
    /// <summary>map-key: both sides set a key (root or nested map, XML attribute) to different values, or set vs delete.</summary>
    private void AnalyzeMaps(List<(AbstractType Type, string Key)> keys, Dictionary<AbstractType, (bool Ours, bool Theirs)> typeChanges)
    {
        keys.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (type, key) in keys)
        {
            if (!Analyzable(type) || !type.Map.TryGetValue(key, out var rightmost))
            {
                continue;
            }

            var t = _r.EntryIn(rightmost, Version.Ours);
            var s = _r.EntryIn(rightmost, Version.Theirs);
            var b = BaseEntry(rightmost);
            bool oursChanged = !SameEntry(b, t);
            bool theirsChanged = !SameEntry(b, s);
            if (oursChanged || theirsChanged)
            {
                var prev = typeChanges.GetValueOrDefault(type);
                typeChanges[type] = (prev.Ours || oursChanged, prev.Theirs || theirsChanged);
            }

            if (!oursChanged || !theirsChanged || SameEntryValue(t, s))
            {
                continue;
            }

            var m = _r.EntryIn(rightmost, Version.Merged);
            string? baseJson = EntryJson(b, Version.Base);
            string? oursJson = EntryJson(t, Version.Ours);
            string? theirsJson = EntryJson(s, Version.Theirs);
            string? mergedJson = EntryJson(m, Version.Merged);
            string outcome = m is not { } mv
                ? "deleted"
                : t is { } tv && LastId(tv) == LastId(mv)
                    ? "ours wins: " + Clip(mergedJson!)
                    : s is { } sv && LastId(sv) == LastId(mv)
                        ? "theirs wins: " + Clip(mergedJson!)
                        : "merged: " + Clip(mergedJson!);
            byte[] pos = TypePosition(type, 0);
            // The entries each version holds, by item id: a later set of the key on either side is another conflict.
            string involved = EntryId(b) + " " + EntryId(t) + " " + EntryId(s);
            AddConflict(MergeAnalyzer.MapKey, type, key, TypeAnchor(type), involved, pos, pos, baseJson, oursJson, theirsJson, mergedJson, outcome);
        }
    }

    /// <summary>
    /// The base entry of a key. dsB = dsT ∩ dsS also holds base values that both sides overwrote or that one side
    /// overwrote and the other deleted after the fork; a state cannot tell those from a value deleted before the fork.
    /// When a side wrote the key after the fork, the last base value counts as present in the base (so set versus
    /// delete and double overwrites are seen); otherwise a value deleted on both sides was deleted in the base.
    /// </summary>
    private Seg? BaseEntry(Item rightmost)
    {
        if (_r.RightmostIn(rightmost, Version.Base) is not { } b)
        {
            return null;
        }

        if (b.VisibleB)
        {
            return b;
        }

        bool oursWrote = _r.RightmostIn(rightmost, Version.Ours) is { } t && !t.InB;
        bool theirsWrote = _r.RightmostIn(rightmost, Version.Theirs) is { } s && !s.InB;
        return oursWrote || theirsWrote ? b : null;
    }

    private static ItemId LastId(in Seg s) => s.IdAt(s.Len - 1);

    private static string EntryId(Seg? entry) => entry is { } e ? LastId(e).ToString() : "-";

    private static bool SameEntry(Seg? a, Seg? b) =>
        a is { } x ? b is { } y && LastId(x) == LastId(y) : b is null;

    private static bool SameEntryValue(Seg? a, Seg? b)
    {
        if (a is not { } x || b is not { } y)
        {
            return a is null && b is null;
        }

        if (LastId(x) == LastId(y))
        {
            return true;
        }

        return SameValue(x.Item.Content.GetValue(x.Offset + x.Len - 1), y.Item.Content.GetValue(y.Offset + y.Len - 1));
    }

    private string? EntryJson(Seg? entry, Version v) =>
        entry is { } e ? Json(_r.RenderSegValue(e, v, 0), true) : null;
}
