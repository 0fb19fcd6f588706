using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Merging;

/// <summary>
/// One run of <see cref="MergeAnalyzer.Analyze"/>: builds the merged document M = T + diff(S, svT), classifies every
/// changed run of items against the base (svB = per-client minimum, dsB = dsT ∩ dsS) and reports the conflicts of
/// ../shared/specs/merge-conflicts.md. Only types that one side changed are walked.
/// </summary>
internal sealed partial class ConflictFinder
{
    private readonly YDoc _target;
    private readonly YDoc _source;
    private readonly string _scope;
    private readonly MergeStrictness _strictness;
    private readonly List<(string Root, string Path, int Order, MergeConflictInfo Info)> _conflicts = new();
    private readonly List<Seg> _segs = new();
    private readonly Dictionary<AbstractType, bool> _analyzable = new();
    private YDoc _m = null!;
    private MergeVersions _v = null!;
    private VersionRenderer _r = null!;

    public ConflictFinder(YDoc target, YDoc source, string scope, MergeStrictness strictness)
    {
        _target = target;
        _source = source;
        _scope = scope;
        _strictness = strictness;
    }

    public MergeAnalysis Run()
    {
        var svT = _target.Store.GetStateVector();
        var svS = _source.Store.GetStateVector();
        var dsT = DeleteSet.FromStore(_target.Store);
        var dsS = DeleteSet.FromStore(_source.Store);
        byte[] update = _source.EncodeStateAsUpdate(YDoc.EncodeStateVector(svT));
        _m = new YDoc(new YDocOptions { Gc = false });
        _m.ApplyUpdate(_target.EncodeStateAsUpdate());
        _m.ApplyUpdate(update);
        TypeRoots();
        _v = new MergeVersions(svT, svS, dsT, dsS);
        _r = new VersionRenderer(_v);

        // Which types and map keys did either side change, and which types did each side touch inside?
        var seqTypes = new List<AbstractType>();
        var seqSeen = new HashSet<AbstractType>();
        var mapKeys = new List<(AbstractType Type, string Key)>();
        var mapSeen = new HashSet<(AbstractType, string)>();
        var changedByOurs = new HashSet<AbstractType>();
        var changedByTheirs = new HashSet<AbstractType>();
        var segs = new List<Seg>();
        foreach (var structs in _m.Store.Clients.Values)
        {
            foreach (var s in structs)
            {
                if (s is not Item item || item.Parent == null || _v.IsUnchangedBase(item))
                {
                    continue;
                }

                segs.Clear();
                _v.Split(item, segs);
                bool ours = false;
                bool theirs = false;
                foreach (var seg in segs)
                {
                    var f = seg.Flags;
                    if ((f & SegFlags.InB) != 0)
                    {
                        bool dt = (f & SegFlags.DelT) != 0;
                        bool ds = (f & SegFlags.DelS) != 0;
                        ours |= dt && !ds;
                        theirs |= ds && !dt;
                    }
                    else
                    {
                        ours |= seg.VisibleT;
                        theirs |= seg.VisibleS;
                    }
                }

                if (!ours && !theirs)
                {
                    continue;
                }

                var parent = item.Parent;
                if (ours)
                {
                    changedByOurs.Add(parent);
                }

                if (theirs)
                {
                    changedByTheirs.Add(parent);
                }

                if (item.ParentSub != null)
                {
                    if (mapSeen.Add((parent, item.ParentSub)))
                    {
                        mapKeys.Add((parent, item.ParentSub));
                    }
                }
                else if (seqSeen.Add(parent))
                {
                    seqTypes.Add(parent);
                }
            }
        }

        var typeChanges = new Dictionary<AbstractType, (bool Ours, bool Theirs)>();
        AnalyzeMaps(mapKeys, typeChanges);
        if (_strictness != MergeStrictness.Lenient)
        {
            AnalyzeSequences(seqTypes, typeChanges);
        }

        AnalyzeDeleteEdit(changedByTheirs, ours: true);
        AnalyzeDeleteEdit(changedByOurs, ours: false);

        _conflicts.Sort(static (a, b) =>
        {
            int c = string.CompareOrdinal(a.Root, b.Root);
            if (c == 0)
            {
                c = string.CompareOrdinal(a.Path, b.Path);
            }

            return c != 0 ? c : a.Order.CompareTo(b.Order);
        });
        var list = new List<MergeConflictInfo>(_conflicts.Count);
        foreach (var c in _conflicts)
        {
            list.Add(c.Info);
        }

        return new MergeAnalysis(update, list, YDoc.EncodeStateVector(_v.BaseStateVector), _m.ToJsonString());
    }

    /// <summary>Gives M's roots the types the target (else the source) gave them, so MergedJson matches target + update.</summary>
    private void TypeRoots()
    {
        var names = new SortedSet<string>(_m.RootNames, StringComparer.Ordinal);
        names.UnionWith(_target.RootNames);
        names.UnionWith(_source.RootNames);
        foreach (string name in names)
        {
            var t = _target.GetRoot(name);
            if (t is null or YUntypedRoot)
            {
                t = _source.GetRoot(name) ?? t;
            }

            switch (t)
            {
                case YXmlElement:
                    _m.GetXmlElement(name);
                    break;
                case YXmlFragment:
                    _m.GetXmlFragment(name);
                    break;
                case YXmlText or YXmlHook:
                    break;
                case YText:
                    _m.GetText(name);
                    break;
                case YMap:
                    _m.GetMap(name);
                    break;
                case YArray:
                    _m.GetArray(name);
                    break;
                default:
                    // Neither side typed it (documents rebuilt from a log): the merged content shows what it is.
                    VersionRenderer.TypeRoot(_m, name);
                    break;
            }
        }
    }

    /// <summary>Whether a type is worth analysing: it lives in M and existed in the base (others hold one side's work only).</summary>
    private bool Analyzable(AbstractType type)
    {
        if (type.ParentItem == null)
        {
            return true;
        }

        if (_analyzable.TryGetValue(type, out bool known))
        {
            return known;
        }

        var p = type.ParentItem;
        bool ok = !p.Deleted && p.Id.Clock < _v.BaseClock(p.Id.Client) && p.Parent != null && Analyzable(p.Parent);
        _analyzable[type] = ok;
        return ok;
    }

    /// <summary>
    /// Adds a conflict. Its id says what the conflict is, not when it was found: the scope, the kind, the shared type
    /// (by the id of the item holding it, not its path: an insertion earlier in a list moves indexes), the key, the
    /// <paramref name="anchor"/> (base items bounding the region, or the deleted item) and <paramref name="involved"/>
    /// (what each side did there: item id ranges, values). Events elsewhere on either branch keep the id; an edit of the
    /// region itself changes it.
    /// </summary>
    private void AddConflict(string kind, AbstractType type, string? key, string anchor, string involved, byte[]? start, byte[]? end,
        string? baseText, string? ours, string? theirs, string? merged, string outcome)
    {
        var (root, path) = PathOf(type);
        string pathKey = string.Join('/', path);
        string identity = string.Join('\n', _scope, kind, root, TypeAnchor(type), key ?? "\0", anchor, involved);
        byte[] hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity));
        string id = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        var info = new MergeConflictInfo(id, kind, root, path, key, start, end, baseText, ours, theirs, merged, outcome);
        _conflicts.Add((root, pathKey, _conflicts.Count, info));
    }

    /// <summary>Root name and path (map keys, <c>#index</c> for list positions) of a type in M.</summary>
    private static (string Root, List<string> Path) PathOf(AbstractType type)
    {
        var path = new List<string>();
        var cur = type;
        while (cur.ParentItem is { } p)
        {
            path.Add(p.ParentSub ?? "#" + IndexInParent(p).ToString(CultureInfo.InvariantCulture));
            cur = p.Parent!;
        }

        path.Reverse();
        return (cur.RootName ?? string.Empty, path);
    }

    private static int IndexInParent(Item item)
    {
        int index = 0;
        for (var n = item.Left; n != null; n = n.Left)
        {
            if (n.IsVisibleCountable)
            {
                index += n.Length;
            }
        }

        return index;
    }

    private static string TypeAnchor(AbstractType type) =>
        type.ParentItem is { } p ? p.Id.ToString() : "root:" + type.RootName;

    private static byte[] TypePosition(AbstractType type, int assoc) =>
        (type.ParentItem is { } p
            ? new YRelativePosition(p.Id, null, null, assoc)
            : new YRelativePosition(null, type.RootName, null, assoc)).Encode();

    private static string? Json(object? value, bool present) => present ? JsJson.Stringify(value) ?? "null" : null;

    private static bool SameValue(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is AbstractType || b is AbstractType)
        {
            return false;
        }

        if (a is null || b is null)
        {
            return false;
        }

        if (a is string sa && b is string sb)
        {
            return sa == sb;
        }

        return JsJson.Stringify(a) == JsJson.Stringify(b);
    }

    private static string Clip(string s) => s.Length <= 200 ? s : string.Concat(s.AsSpan(0, 200), "…");
}
