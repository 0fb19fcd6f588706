using System.Runtime.InteropServices;
using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Merging;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.History;

/// <summary>How a run of items differs between two versions.</summary>
public enum RunChange
{
    /// <summary>In both versions, unchanged.</summary>
    Unchanged,

    /// <summary>Only in the newer version (head).</summary>
    Inserted,

    /// <summary>Only in the older version (base).</summary>
    Deleted,

    /// <summary>In both, with different content: a map key set again, or a nested type changed inside.</summary>
    Modified,
}

/// <summary>
/// A run of consecutive clocks of one client inside a root (text units, array elements, XML children), or one map entry.
/// </summary>
/// <param name="Change">How it differs between the versions (always <see cref="RunChange.Unchanged"/> for a single version).</param>
/// <param name="Id">The first item id of the run (for a map entry: the value's item; for a modified run: the new one).</param>
/// <param name="Length">How many clocks (UTF-16 units of text, array elements, XML children; 1 for a map entry).</param>
/// <param name="Key">The map key, for map entries.</param>
/// <param name="Content">Text for text roots, JSON (an array of the elements, or the map value) for arrays and maps, markup for XML.</param>
/// <param name="OldId">For a modified run: the item that held the old content.</param>
/// <param name="OldContent">For a modified run: the old content.</param>
public sealed record ItemRun(RunChange Change, ItemId Id, int Length, string? Key, string Content, ItemId? OldId = null, string? OldContent = null);

/// <summary>
/// Item-level views of a root for history: the runs a version shows (blame) and the CRDT-exact difference between two
/// versions (diff). Both documents may be garbage-collected: content is read from whichever version still shows it.
/// </summary>
public static class ItemRuns
{
    /// <summary>The visible runs of root <paramref name="root"/> (typed as <paramref name="kind"/>, see <see cref="DocumentRender.TypeRoot"/>).</summary>
    public static IReadOnlyList<ItemRun> Visible(YDoc doc, string root, RootKind kind)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var type = doc.GetRoot(root);
        var runs = new List<ItemRun>();
        if (type is null)
        {
            return runs;
        }

        if (kind == RootKind.Map)
        {
            foreach (string key in type.Map.Keys.Order(StringComparer.Ordinal))
            {
                var item = type.Map[key];
                if (!item.Deleted)
                {
                    runs.Add(new ItemRun(RunChange.Unchanged, item.LastId, 1, key, ValueJson(item)));
                }
            }

            return runs;
        }

        for (var n = type.Start; n != null; n = n.Right)
        {
            if (!n.Deleted && n.Countable && Slice(n, 0, n.Length, kind) is { } content)
            {
                runs.Add(new ItemRun(RunChange.Unchanged, n.Id, n.Length, null, content));
            }
        }

        return runs;
    }

    /// <summary>
    /// How root <paramref name="root"/> differs from <paramref name="baseDoc"/> to <paramref name="headDoc"/> (both
    /// typed as <paramref name="kind"/>), in document order: unchanged, inserted and deleted runs (and, for maps and
    /// nested types, modified entries). The two versions may be of different branches of one document. Neither
    /// document is modified (except that a root missing in one is created empty).
    /// </summary>
    public static IReadOnlyList<ItemRun> Diff(YDoc baseDoc, YDoc headDoc, string root, RootKind kind)
    {
        ArgumentNullException.ThrowIfNull(baseDoc);
        ArgumentNullException.ThrowIfNull(headDoc);
        DocumentRender.TypeRoot(baseDoc, root, kind);
        DocumentRender.TypeRoot(headDoc, root, kind);
        if (kind == RootKind.Map)
        {
            return DiffMap(baseDoc.GetRoot(root)!, headDoc.GetRoot(root)!);
        }

        var a = new Version(baseDoc);
        var b = new Version(headDoc);

        // Walk the head's items when it holds every item of the base (one branch, base before head); otherwise walk
        // a document holding both, so that the base's own items appear at their place too.
        var walk = headDoc;
        foreach (var (client, clock) in a.StateVector)
        {
            if (clock > b.StateVector.GetValueOrDefault(client))
            {
                walk = new YDoc(new YDocOptions { Gc = false });
                walk.ApplyUpdate(headDoc.EncodeStateAsUpdate());
                walk.ApplyUpdate(baseDoc.EncodeStateAsUpdate(YDoc.EncodeStateVector(b.StateVector)));
                DocumentRender.TypeRoot(walk, root, kind);
                break;
            }
        }

        var runs = new List<ItemRun>();
        // Unchanged text and markup is joined into one run per stretch (its ids are not shown), without a string per item.
        bool joinEqual = kind is RootKind.Text or RootKind.Xml;
        var equal = new StringBuilder();
        ItemId equalId = default;
        int equalLength = 0;
        void FlushEqual()
        {
            if (equalLength == 0)
            {
                return;
            }

            runs.Add(new ItemRun(RunChange.Unchanged, equalId, equalLength, null, equal.ToString()));
            equal.Clear();
            equalLength = 0;
        }

        for (var n = walk.GetRoot(root)!.Start; n != null; n = n.Right)
        {
            if (n.Content is ContentFormat || (!n.Countable && n.Content is not ContentDeleted))
            {
                continue;
            }

            uint client = n.Id.Client;
            uint c = n.Id.Clock;
            uint end = n.EndClock;
            while (c < end)
            {
                bool inBase = a.Shows(client, c, end, out uint nextBase);
                bool inHead = b.Shows(client, c, end, out uint nextHead);
                uint next = Math.Min(nextBase, nextHead);
                if (inBase || inHead)
                {
                    var id = new ItemId(client, c);
                    int len = (int)(next - c);
                    int offset = (int)(c - n.Id.Clock);
                    if (inBase && inHead && joinEqual && n.Content is ContentString cs && kind == RootKind.Text)
                    {
                        if (equalLength == 0)
                        {
                            equalId = id;
                        }

                        equal.Append(cs.Span.Slice(offset, len));
                        equalLength += len;
                        c = next;
                        continue;
                    }

                    var source = n.Content is ContentDeleted ? (inHead ? headDoc : baseDoc) : null;
                    string? content = source is null ? Slice(n, offset, len, kind) : SliceFrom(source, id, len, kind);
                    if (content is not null)
                    {
                        var change = inBase && inHead ? RunChange.Unchanged : inHead ? RunChange.Inserted : RunChange.Deleted;
                        if (change == RunChange.Unchanged && n.Content is ContentType && SliceFrom(baseDoc, id, len, kind) is { } old && SliceFrom(headDoc, id, len, kind) is { } now && old != now)
                        {
                            FlushEqual();
                            runs.Add(new ItemRun(RunChange.Modified, id, len, null, now, id, old));
                        }
                        else if (change == RunChange.Unchanged && joinEqual)
                        {
                            if (equalLength == 0)
                            {
                                equalId = id;
                            }

                            equal.Append(content);
                            equalLength += len;
                        }
                        else
                        {
                            FlushEqual();
                            runs.Add(new ItemRun(change, id, len, null, content));
                        }
                    }
                }

                c = next;
            }
        }

        FlushEqual();
        return runs;
    }

    private static List<ItemRun> DiffMap(AbstractType a, AbstractType b)
    {
        var keys = new SortedSet<string>(a.Map.Keys, StringComparer.Ordinal);
        keys.UnionWith(b.Map.Keys);
        var runs = new List<ItemRun>();
        foreach (string key in keys)
        {
            var old = a.Map.TryGetValue(key, out var x) && !x.Deleted ? x : null;
            var now = b.Map.TryGetValue(key, out var y) && !y.Deleted ? y : null;
            if (old is null && now is null)
            {
                continue;
            }

            if (old is null)
            {
                runs.Add(new ItemRun(RunChange.Inserted, now!.LastId, 1, key, ValueJson(now)));
            }
            else if (now is null)
            {
                runs.Add(new ItemRun(RunChange.Deleted, old.LastId, 1, key, ValueJson(old)));
            }
            else
            {
                string oldJson = ValueJson(old);
                string newJson = ValueJson(now);
                bool same = old.LastId == now.LastId && oldJson == newJson;
                runs.Add(same
                    ? new ItemRun(RunChange.Unchanged, now.LastId, 1, key, newJson)
                    : new ItemRun(RunChange.Modified, now.LastId, 1, key, newJson, old.LastId, oldJson));
            }
        }

        return runs;
    }

    /// <summary>Units [offset, offset + len) of an item's content rendered; null for content that shows nothing (formats, dropped content).</summary>
    private static string? Slice(Item item, int offset, int len, RootKind kind)
    {
        var content = item.Content;
        switch (content)
        {
            case ContentFormat or ContentDeleted:
                return null;
            case ContentString s when kind == RootKind.Text:
                return s.Span.Slice(offset, len).ToString();
        }

        if (kind == RootKind.Text)
        {
            return new string('\uFFFC', len);
        }

        if (kind == RootKind.Xml)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < len; i++)
            {
                object? value = content.GetValue(offset + i);
                sb.Append(value is AbstractType t ? t.ToString() : JsJson.Stringify(value));
            }

            return sb.ToString();
        }

        var list = new List<object?>(len);
        for (int i = 0; i < len; i++)
        {
            list.Add(AbstractType.ValueToJson(content.GetValue(offset + i)));
        }

        return JsJson.Stringify(list) ?? "[]";
    }

    /// <summary>Units [id, id + len) as <paramref name="doc"/> holds them (they may span several items there).</summary>
    private static string? SliceFrom(YDoc doc, ItemId id, int len, RootKind kind)
    {
        if (!doc.Store.Clients.TryGetValue(id.Client, out var structs) || doc.Store.GetState(id.Client) < id.Clock + (uint)len)
        {
            return null;
        }

        string? result = null;
        uint c = id.Clock;
        uint end = id.Clock + (uint)len;
        int index = StructStore.FindIndex(structs, c);
        var parts = new List<string>();
        while (c < end && index < structs.Count)
        {
            if (structs[index] is not Item item)
            {
                return null;
            }

            uint take = Math.Min(end, item.EndClock) - c;
            var part = Slice(item, (int)(c - item.Id.Clock), (int)take, kind);
            if (part is null)
            {
                return null;
            }

            parts.Add(part);
            c += take;
            index++;
        }

        if (parts.Count == 1)
        {
            result = parts[0];
        }
        else if (kind is RootKind.Array)
        {
            // join JSON arrays: "[1,2]" + "[3]" → "[1,2,3]"
            result = "[" + string.Join(",", parts.Select(static p => p[1..^1]).Where(static p => p.Length > 0)) + "]";
        }
        else
        {
            result = string.Concat(parts);
        }

        return result;
    }

    private static string ValueJson(Item item)
    {
        object? value = item.Content.GetValue(item.Length - 1);
        return JsJson.Stringify(AbstractType.ValueToJson(value)) ?? "null";
    }

    /// <summary>A version: its state vector and delete set (what it holds and what of that it shows).</summary>
    private sealed class Version(YDoc doc)
    {
        public Dictionary<uint, uint> StateVector { get; } = doc.Store.GetStateVector();

        private readonly DeleteSet _deleted = DeleteSet.FromStore(doc.Store);

        /// <summary>Whether clock <paramref name="c"/> of <paramref name="client"/> shows here; <paramref name="next"/> is where that may change (≤ end).</summary>
        public bool Shows(uint client, uint c, uint end, out uint next)
        {
            uint held = StateVector.GetValueOrDefault(client);
            if (c >= held)
            {
                next = end;
                return false;
            }

            next = Math.Min(end, held);
            if (!_deleted.Clients.TryGetValue(client, out var ranges))
            {
                return true;
            }

            var span = CollectionsMarshal.AsSpan(ranges);
            int lo = 0, hi = span.Length; // first range ending after c
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                if (span[mid].End <= c)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (lo == span.Length)
            {
                return true;
            }

            var r = span[lo];
            if (r.Clock <= c)
            {
                next = Math.Min(end, r.End);
                return false;
            }

            next = Math.Min(next, r.Clock);
            return true;
        }
    }
}
