using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Merging;

/// <summary>What a run of a sequence is relative to the base.</summary>
internal enum Chg : byte
{
    None,
    OursDel,
    TheirsDel,
    SharedDel,
    OursIns,
    TheirsIns,
    Dead,
}

/// <summary>A run with its base coordinate: a base run starts at <see cref="Coord"/>; any other run sits in gap <see cref="Coord"/>.</summary>
internal readonly record struct SegInfo(Seg Seg, int Coord, Chg Class, bool Countable)
{
    /// <summary>A countable run of the base that at least one side keeps (it has base coordinates).</summary>
    public bool IsBase => Countable && Class is Chg.None or Chg.OursDel or Chg.TheirsDel;
}

/// <summary>A change of one side over base coordinates: a deleted range [Start, End), or an insertion at gap Start = End.</summary>
internal readonly record struct Hunk(int Start, int End, bool Ours);

internal sealed partial class ConflictFinder
{
    private readonly List<SegInfo> _infos = new();
    private readonly List<Hunk> _hunks = new();
    private int _total;

    private void AnalyzeSequences(List<AbstractType> types, Dictionary<AbstractType, (bool Ours, bool Theirs)> typeChanges)
    {
        var done = new HashSet<AbstractType>();
        foreach (var type in types)
        {
            done.Add(type);
            if (Analyzable(type))
            {
                AnalyzeSequence(type, typeChanges.GetValueOrDefault(type));
            }
        }

        if (_strictness != MergeStrictness.Strict)
        {
            return;
        }

        // Strict: attribute-only changes of a text or XML element count as changes of the element too.
        foreach (var kv in typeChanges)
        {
            if (!done.Contains(kv.Key) && kv.Value is (true, true) && Analyzable(kv.Key)
                && VersionRenderer.KindOf(kv.Key) is TypeKind.Text or TypeKind.Xml)
            {
                AnalyzeSequence(kv.Key, kv.Value);
            }
        }
    }

    private void AnalyzeSequence(AbstractType type, (bool Ours, bool Theirs) mapChanges)
    {
        var kind = VersionRenderer.KindOf(type);
        _infos.Clear();
        var oursHunks = new List<Hunk>();
        var theirsHunks = new List<Hunk>();
        HashSet<string>? oursFormats = null;
        HashSet<string>? theirsFormats = null;
        int pos = 0;
        for (var n = type.Start; n != null; n = n.Right)
        {
            bool countable = n.Countable;
            if (!countable && n.Content is not ContentFormat)
            {
                continue;
            }

            _segs.Clear();
            _v.Split(n, _segs);
            foreach (var seg in _segs)
            {
                var f = seg.Flags;
                Chg c;
                if ((f & SegFlags.InB) != 0)
                {
                    bool dt = (f & SegFlags.DelT) != 0;
                    bool ds = (f & SegFlags.DelS) != 0;
                    c = dt ? (ds ? Chg.SharedDel : Chg.OursDel) : (ds ? Chg.TheirsDel : Chg.None);
                }
                else
                {
                    c = seg.VisibleT ? Chg.OursIns : seg.VisibleS ? Chg.TheirsIns : Chg.Dead;
                }

                var info = new SegInfo(seg, pos, c, countable);
                _infos.Add(info);
                if (!countable)
                {
                    if (c is Chg.OursIns or Chg.OursDel)
                    {
                        (oursFormats ??= new()).Add(((ContentFormat)n.Content).Key);
                    }
                    else if (c is Chg.TheirsIns or Chg.TheirsDel)
                    {
                        (theirsFormats ??= new()).Add(((ContentFormat)n.Content).Key);
                    }

                    continue;
                }

                switch (c)
                {
                    case Chg.OursDel:
                        AddDeletion(oursHunks, pos, seg.Len, true);
                        break;
                    case Chg.TheirsDel:
                        AddDeletion(theirsHunks, pos, seg.Len, false);
                        break;
                    case Chg.OursIns:
                        AddInsertion(oursHunks, pos, true);
                        break;
                    case Chg.TheirsIns:
                        AddInsertion(theirsHunks, pos, false);
                        break;
                }

                if (info.IsBase)
                {
                    pos += seg.Len;
                }
            }
        }

        _total = pos;
        bool oursAny = oursHunks.Count > 0 || oursFormats != null || mapChanges.Ours;
        bool theirsAny = theirsHunks.Count > 0 || theirsFormats != null || mapChanges.Theirs;
        if (_strictness == MergeStrictness.Strict && kind is TypeKind.Text or TypeKind.Xml)
        {
            if (oursAny && theirsAny)
            {
                EmitRegion(type, kind, 0, _total, "whole", true);
            }

            return;
        }

        if (oursHunks.Count > 0 && theirsHunks.Count > 0)
        {
            FindRegions(type, kind, oursHunks, theirsHunks);
        }

        if (kind == TypeKind.Text && oursFormats != null && theirsFormats != null)
        {
            oursFormats.IntersectWith(theirsFormats);
            if (oursFormats.Count > 0)
            {
                AnalyzeFormats(type, oursFormats);
            }
        }
    }

    private static void AddDeletion(List<Hunk> hunks, int pos, int len, bool ours)
    {
        if (hunks.Count > 0 && hunks[^1] is { } last && last.End == pos && last.End > last.Start)
        {
            hunks[^1] = last with { End = pos + len };
        }
        else
        {
            hunks.Add(new Hunk(pos, pos + len, ours));
        }
    }

    private static void AddInsertion(List<Hunk> hunks, int pos, bool ours)
    {
        if (hunks.Count > 0 && hunks[^1] is { } last && last.Start == pos && last.End == pos)
        {
            return;
        }

        hunks.Add(new Hunk(pos, pos, ours));
    }

    /// <summary>diff3 over base coordinates: hunks of both sides that overlap, share a gap, or insert at the edge of a deletion.</summary>
    private void FindRegions(AbstractType type, TypeKind kind, List<Hunk> ours, List<Hunk> theirs)
    {
        _hunks.Clear();
        int i = 0;
        int j = 0;
        while (i < ours.Count || j < theirs.Count)
        {
            bool takeOurs = j >= theirs.Count || (i < ours.Count && Before(ours[i], theirs[j]));
            _hunks.Add(takeOurs ? ours[i++] : theirs[j++]);
        }

        int cs = 0;
        int ce = 0;
        bool hasOurs = false;
        bool hasTheirs = false;
        bool insertAtEnd = false;
        bool open = false;
        int pendingStart = -1;
        int pendingEnd = -1;
        foreach (var h in _hunks)
        {
            bool insertion = h.Start == h.End;
            bool joins = open && (h.Start < ce || (h.Start == ce && (insertion || insertAtEnd)));
            if (!joins)
            {
                if (open && hasOurs && hasTheirs)
                {
                    Pending(ref pendingStart, ref pendingEnd, cs, ce, type, kind);
                }

                open = true;
                cs = h.Start;
                ce = h.End;
                hasOurs = false;
                hasTheirs = false;
                insertAtEnd = false;
            }

            if (h.End > ce)
            {
                ce = h.End;
                insertAtEnd = false;
            }

            if (insertion && h.Start == ce)
            {
                insertAtEnd = true;
            }

            hasOurs |= h.Ours;
            hasTheirs |= !h.Ours;
        }

        if (open && hasOurs && hasTheirs)
        {
            Pending(ref pendingStart, ref pendingEnd, cs, ce, type, kind);
        }

        if (pendingStart >= 0)
        {
            EmitRegion(type, kind, pendingStart, pendingEnd, null, false);
        }
    }

    private static bool Before(Hunk a, Hunk b) =>
        a.Start != b.Start ? a.Start < b.Start : (a.End - a.Start) <= (b.End - b.Start);

    /// <summary>Touching conflict regions merge into one.</summary>
    private void Pending(ref int ps, ref int pe, int cs, int ce, AbstractType type, TypeKind kind)
    {
        if (ps >= 0 && cs <= pe)
        {
            pe = Math.Max(pe, ce);
            return;
        }

        if (ps >= 0)
        {
            EmitRegion(type, kind, ps, pe, null, false);
        }

        ps = cs;
        pe = ce;
    }

    /// <summary>Index of the first run at or after base coordinate <paramref name="a"/> (a partial base run included).</summary>
    private int FirstAt(int a)
    {
        int lo = 0;
        int hi = _infos.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            var s = _infos[mid];
            bool atOrAfter = s.IsBase ? s.Coord + s.Seg.Len > a : s.Coord >= a;
            if (atOrAfter)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>The id of the base unit at coordinate <paramref name="c"/>.</summary>
    private ItemId BaseUnitAt(int c)
    {
        for (int i = FirstAt(c); i < _infos.Count; i++)
        {
            var s = _infos[i];
            if (s.IsBase)
            {
                return s.Seg.IdAt(c - s.Coord);
            }
        }

        throw new InvalidOperationException("base coordinate out of range");
    }

    private void EmitRegion(AbstractType type, TypeKind kind, int a, int b, string? anchorOverride, bool wholeType)
    {
        byte[] start;
        byte[] end;
        string anchor;
        if (wholeType)
        {
            start = TypePosition(type, -1);
            end = TypePosition(type, 0);
            anchor = "whole";
        }
        else
        {
            ItemId? l = a > 0 ? BaseUnitAt(a - 1) : null;
            ItemId? r = b < _total ? BaseUnitAt(b) : null;
            start = l is { } li ? new YRelativePosition(null, null, li, -1).Encode() : TypePosition(type, -1);
            end = r is { } ri ? new YRelativePosition(null, null, ri, 0).Encode() : TypePosition(type, 0);
            anchor = (l?.ToString() ?? "^") + ".." + (r?.ToString() ?? "$");
        }

        string baseText = Excerpt(kind, a, b, Version.Base);
        string ours = Excerpt(kind, a, b, Version.Ours);
        string theirs = Excerpt(kind, a, b, Version.Theirs);
        string merged = Excerpt(kind, a, b, Version.Merged);
        string outcome = merged == ours && merged == theirs
            ? "same on both sides: " + Clip(merged)
            : merged == ours
                ? "ours wins: " + Clip(merged)
                : merged == theirs
                    ? "theirs wins: " + Clip(merged)
                    : (kind == TypeKind.Text ? merged.Length == 0 : merged is "[]" or "")
                        ? "both deleted"
                        : "both kept: " + Clip(merged);
        AddConflict(MergeAnalyzer.SequenceOverlap, type, null, anchorOverride ?? anchor, Involved(a, b), start, end, baseText, ours, theirs, merged, outcome);
    }

    /// <summary>
    /// What the two sides did over base coordinates [a, b] (base units in [a, b) and everything in gaps a..b), by item
    /// ids: every run that one side inserted or deleted (formats included), as "class:client:clock+length" in document
    /// order, contiguous runs joined (so how items happen to be split does not matter). Runs that no version shows
    /// (inserted and deleted on one side) and unchanged base runs are left out.
    /// </summary>
    private string Involved(int a, int b)
    {
        var sb = new StringBuilder();
        Chg lastClass = Chg.None;
        uint lastClient = 0;
        uint lastEnd = 0;
        uint runStart = 0;
        bool open = false;
        for (int i = FirstAt(a); i < _infos.Count; i++)
        {
            var s = _infos[i];
            if (s.IsBase ? s.Coord >= b : s.Coord > b)
            {
                break;
            }

            if (s.Class is Chg.None or Chg.Dead)
            {
                continue;
            }

            if (!Within(s, a, b, out int from, out int len))
            {
                continue;
            }

            var id = s.Seg.IdAt(from);
            if (open && s.Class == lastClass && id.Client == lastClient && id.Clock == lastEnd)
            {
                lastEnd += (uint)len;
                continue;
            }

            if (open)
            {
                AppendRun(sb, lastClass, lastClient, runStart, lastEnd);
            }

            open = true;
            lastClass = s.Class;
            lastClient = id.Client;
            runStart = id.Clock;
            lastEnd = id.Clock + (uint)len;
        }

        if (open)
        {
            AppendRun(sb, lastClass, lastClient, runStart, lastEnd);
        }

        return sb.ToString();
    }

    /// <summary>The part of a run inside base coordinates [a, b): all of a run in a gap, a slice of a base run (false when empty).</summary>
    private static bool Within(in SegInfo s, int a, int b, out int from, out int len)
    {
        from = 0;
        len = s.Seg.Len;
        if (!s.IsBase)
        {
            return true;
        }

        from = Math.Max(a, s.Coord) - s.Coord;
        len = Math.Min(b, s.Coord + s.Seg.Len) - s.Coord - from;
        return len > 0;
    }

    private static void AppendRun(StringBuilder sb, Chg c, uint client, uint start, uint end) =>
        sb.Append((int)c).Append(':').Append(client).Append(':').Append(start).Append('+').Append(end - start).Append(' ');

    /// <summary>
    /// One version's content over base coordinates [a, b]: base units in [a, b) and everything in gaps a..b. The base
    /// version also shows base content that both sides deleted (documents keep it: gc is off).
    /// </summary>
    private string Excerpt(TypeKind kind, int a, int b, Version v)
    {
        var sb = kind == TypeKind.Array ? null : new StringBuilder();
        var list = kind == TypeKind.Array ? new List<object?>() : null;
        for (int i = FirstAt(a); i < _infos.Count; i++)
        {
            var s = _infos[i];
            if (s.IsBase ? s.Coord >= b : s.Coord > b)
            {
                break;
            }

            if (!s.Countable)
            {
                continue;
            }

            bool show = v == Version.Base ? s.Seg.InB : MergeVersions.Visible(s.Seg, v);
            if (!show)
            {
                continue;
            }

            if (!Within(s, a, b, out int from, out int len))
            {
                continue;
            }

            _r.AppendSeg(s.Seg, from, len, v, sb, list, kind, 0);
        }

        return list != null ? JsJson.Stringify(list)! : sb!.ToString();
    }

    /// <summary>format-overlap: both sides set the same attribute to different values over the same base text.</summary>
    private void AnalyzeFormats(AbstractType type, HashSet<string> keys)
    {
        var names = keys.Order(StringComparer.Ordinal).ToArray();
        var attrs = new Dictionary<string, object?>[4];
        for (int i = 0; i < 4; i++)
        {
            attrs[i] = new Dictionary<string, object?>();
        }

        var open = new (int Start, int End, object? B, object? T, object? S, object? M)?[names.Length];
        var found = new List<(int Key, int Start, int End, object? B, object? T, object? S, object? M)>();
        foreach (var info in _infos)
        {
            var seg = info.Seg;
            if (!info.Countable)
            {
                var cf = (ContentFormat)seg.Item.Content;
                if (keys.Contains(cf.Key))
                {
                    for (int vi = 0; vi < 4; vi++)
                    {
                        if (MergeVersions.Visible(seg, (Version)vi))
                        {
                            attrs[vi][cf.Key] = cf.Value;
                        }
                    }
                }

                continue;
            }

            if (!info.IsBase)
            {
                continue;
            }

            for (int k = 0; k < names.Length; k++)
            {
                string key = names[k];
                object? vb = attrs[0].GetValueOrDefault(key);
                object? vt = attrs[1].GetValueOrDefault(key);
                object? vs = attrs[2].GetValueOrDefault(key);
                bool oursChanged = info.Class != Chg.OursDel && !SameFormat(vt, vb);
                bool theirsChanged = info.Class != Chg.TheirsDel && !SameFormat(vs, vb);
                if (oursChanged && theirsChanged && !SameFormat(vt, vs))
                {
                    if (open[k] is { } o && o.End == info.Coord)
                    {
                        open[k] = o with { End = info.Coord + seg.Len };
                    }
                    else
                    {
                        if (open[k] is { } prev)
                        {
                            found.Add((k, prev.Start, prev.End, prev.B, prev.T, prev.S, prev.M));
                        }

                        open[k] = (info.Coord, info.Coord + seg.Len, vb, vt, vs, attrs[3].GetValueOrDefault(key));
                    }
                }
            }
        }

        for (int k = 0; k < names.Length; k++)
        {
            if (open[k] is { } prev)
            {
                found.Add((k, prev.Start, prev.End, prev.B, prev.T, prev.S, prev.M));
            }
        }

        found.Sort(static (x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : x.Key.CompareTo(y.Key));
        foreach (var f in found)
        {
            ItemId? l = f.Start > 0 ? BaseUnitAt(f.Start - 1) : null;
            ItemId? r = f.End < _total ? BaseUnitAt(f.End) : null;
            byte[] start = l is { } li ? new YRelativePosition(null, null, li, -1).Encode() : TypePosition(type, -1);
            byte[] end = r is { } ri ? new YRelativePosition(null, null, ri, 0).Encode() : TypePosition(type, 0);
            string anchor = (l?.ToString() ?? "^") + ".." + (r?.ToString() ?? "$");
            string merged = JsJson.Stringify(f.M) ?? "null";
            string outcome = SameFormat(f.M, f.T)
                ? "ours wins: " + merged
                : SameFormat(f.M, f.S) ? "theirs wins: " + merged : "merged: " + merged;
            // The values each side set, and the runs each side changed over the region.
            string involved = JsJson.Stringify(f.T) + " " + JsJson.Stringify(f.S) + " " + Involved(f.Start, f.End);
            AddConflict(MergeAnalyzer.FormatOverlap, type, names[f.Key], anchor, involved, start, end,
                JsJson.Stringify(f.B) ?? "null", JsJson.Stringify(f.T) ?? "null", JsJson.Stringify(f.S) ?? "null", merged, outcome);
        }
    }

    private static bool SameFormat(object? a, object? b) =>
        (a is null && b is null) || (a is not null && b is not null && SameValue(a, b));
}
