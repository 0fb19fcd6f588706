using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;
using Collab.Crdt.Updates;

namespace Collab.Crdt.Merging;

/// <summary>Computes the update for one decision on a conflict (see <see cref="ConflictResolver.Resolve"/>).</summary>
internal static class ResolverCore
{
    public static byte[] Resolve(YDoc current, MergeConflictInfo conflict, string choice, string? customContent, uint clientId)
    {
        string? content;
        switch (choice)
        {
            case ConflictResolver.ChoiceMerged:
                return Array.Empty<byte>();
            case ConflictResolver.ChoiceOurs:
                content = conflict.Ours;
                break;
            case ConflictResolver.ChoiceTheirs:
                content = conflict.Theirs;
                break;
            case ConflictResolver.ChoiceCustom:
                content = customContent;
                break;
            default:
                throw new ArgumentException($"Unknown decision '{choice}': expected merged, ours, theirs or custom", nameof(choice));
        }

        if (current.Store.GetState(clientId) > 0)
        {
            throw new ArgumentException($"Client id {clientId} already wrote to this document; a decision needs a fresh client id", nameof(clientId));
        }

        var doc = new YDoc(new YDocOptions { Gc = false, ClientId = clientId });
        doc.ApplyUpdate(current.EncodeStateAsUpdate());
        doc.ClientId = clientId;
        var updates = new List<byte[]>();
        doc.UpdateV1 += (u, _) => updates.Add(u);
        VersionRenderer.TypeRoot(doc, conflict.Root);
        switch (conflict.Kind)
        {
            case MergeAnalyzer.MapKey:
                ResolveMapKey(doc, conflict, content);
                break;
            case MergeAnalyzer.SequenceOverlap:
                ResolveSequence(doc, conflict, content);
                break;
            case MergeAnalyzer.FormatOverlap:
                ResolveFormat(doc, conflict, content);
                break;
            case MergeAnalyzer.DeleteEdit:
                ResolveDeleteEdit(doc, conflict, content, choice);
                break;
            default:
                throw new ArgumentException($"Unknown conflict kind '{conflict.Kind}'", nameof(conflict));
        }

        return updates.Count switch
        {
            0 => Array.Empty<byte>(),
            1 => updates[0],
            _ => YUpdate.Merge(updates),
        };
    }

    public static string? Current(YDoc current, MergeConflictInfo conflict)
    {
        var doc = new YDoc(new YDocOptions { Gc = false });
        doc.ApplyUpdate(current.EncodeStateAsUpdate());
        VersionRenderer.TypeRoot(doc, conflict.Root);
        switch (conflict.Kind)
        {
            case MergeAnalyzer.SequenceOverlap:
                {
                    var (type, si, ei) = Region(doc, conflict);
                    return LiveExcerpt(doc, type, si, ei);
                }

            case MergeAnalyzer.FormatOverlap:
                {
                    var (type, si, _) = Region(doc, conflict);
                    if (type is not YText text)
                    {
                        return null;
                    }

                    int index = 0;
                    foreach (var op in text.ToDelta())
                    {
                        int len = op.Insert is string str ? str.Length : 1;
                        if (si < index + len)
                        {
                            return JsJson.Stringify(op.Attributes?.GetValueOrDefault(conflict.Key!)) ?? "null";
                        }

                        index += len;
                    }

                    return "null";
                }

            default:
                {
                    if (conflict.Key is { } key)
                    {
                        var map = FindType(doc, conflict);
                        if (!map.Map.TryGetValue(key, out var item) || item.Deleted)
                        {
                            return null;
                        }

                        object? value = item.Content.GetValue(item.Length - 1);
                        return JsJson.Stringify(value is AbstractType t ? t.ToJson() : value) ?? "null";
                    }

                    if (conflict.Start is { } s && YRelativePosition.Decode(s).Item is { } id
                        && doc.Store.GetState(id.Client) > id.Clock && doc.Store.Find(id) is Item { Content: ContentType ct } found
                        && !found.Deleted)
                    {
                        return JsJson.Stringify(ct.Type.ToJson()) ?? "null";
                    }

                    return null;
                }
        }
    }

    private static AbstractType FindType(YDoc doc, MergeConflictInfo conflict)
    {
        if (conflict.Start is { } start)
        {
            var rel = YRelativePosition.Decode(start);
            if (rel.Item == null)
            {
                if (rel.ToAbsolute(doc) is { } abs)
                {
                    return abs.Type;
                }

                throw new InvalidOperationException("The conflict's map no longer exists in this document");
            }
        }

        // fall back to the path (map keys and list positions)
        AbstractType type = doc.GetRoot(conflict.Root) ?? throw new InvalidOperationException($"Root '{conflict.Root}' does not exist");
        foreach (string step in conflict.Path)
        {
            object? next = step.StartsWith('#') && int.TryParse(step.AsSpan(1), out int index)
                ? type.ListGet(index)
                : type.MapGet(step);
            type = next as AbstractType ?? throw new InvalidOperationException($"Path step '{step}' does not lead to a shared type");
        }

        return type;
    }

    private static void ResolveMapKey(YDoc doc, MergeConflictInfo conflict, string? json)
    {
        string key = conflict.Key ?? throw new ArgumentException("A map-key conflict needs a key", nameof(conflict));
        var type = FindType(doc, conflict);
        bool present = type.Map.TryGetValue(key, out var item) && !item.Deleted;
        if (json == null)
        {
            if (present)
            {
                doc.Transact(t => type.MapDelete(t, key));
            }

            return;
        }

        object? value = JsJson.Parse(json);
        if (present)
        {
            object? now = item!.Content.GetValue(item.Length - 1);
            string? nowJson = now is AbstractType at ? null : JsJson.Stringify(now) ?? "null";
            if (nowJson == (JsJson.Stringify(value) ?? "null"))
            {
                return;
            }
        }

        doc.Transact(t => type.MapSet(t, key, value));
    }

    private static (AbstractType Type, int Start, int End) Region(YDoc doc, MergeConflictInfo conflict)
    {
        if (conflict.Start is not { } s || conflict.End is not { } e)
        {
            throw new ArgumentException("This conflict has no region", nameof(conflict));
        }

        var start = YRelativePosition.Decode(s).ToAbsolute(doc)
            ?? throw new InvalidOperationException("The region's start is not part of this document");
        var end = YRelativePosition.Decode(e).ToAbsolute(doc)
            ?? throw new InvalidOperationException("The region's end is not part of this document");
        if (!ReferenceEquals(start.Type, end.Type))
        {
            throw new InvalidOperationException("The region's bounds lie in different types");
        }

        return (start.Type, start.Index, Math.Max(start.Index, end.Index));
    }

    private static void ResolveSequence(YDoc doc, MergeConflictInfo conflict, string? content)
    {
        var (type, si, ei) = Region(doc, conflict);
        content ??= string.Empty;
        string now = LiveExcerpt(doc, type, si, ei);
        switch (VersionRenderer.KindOf(type))
        {
            case TypeKind.Text:
                {
                    if (now == content)
                    {
                        return;
                    }

                    var text = (YText)type;
                    doc.Transact(t =>
                    {
                        if (ei > si)
                        {
                            text.Delete(si, ei - si);
                        }

                        if (content.Length > 0)
                        {
                            var left = StartItem(t, doc, conflict.Start!);
                            var right = left == null ? type.Start : left.Right;
                            uint own = doc.ClientId;
                            new Item(new ItemId(own, doc.Store.GetState(own)), left, left?.LastId, right, right?.Id, type, null, new ContentString(content))
                                .Integrate(t, 0);
                            type.SearchMarkers?.Clear();
                        }
                    });
                    return;
                }

            case TypeKind.Xml:
                {
                    var nodes = XmlNodes.Parse(content);
                    var normalized = new StringBuilder();
                    foreach (var n in nodes)
                    {
                        XmlNodes.Render(n, normalized);
                    }

                    if (now == normalized.ToString())
                    {
                        return;
                    }

                    doc.Transact(t =>
                    {
                        if (ei > si)
                        {
                            type.ListDelete(t, si, ei - si);
                        }

                        if (nodes.Count > 0)
                        {
                            type.ListInsertGenericsAfter(t, StartItem(t, doc, conflict.Start!), nodes.ToArray());
                            type.SearchMarkers?.Clear();
                        }
                    });
                    return;
                }

            default:
                {
                    var values = content.Length == 0 ? new List<object?>() : JsJson.Parse(content) as List<object?>
                        ?? throw new ArgumentException("Array content must be a JSON array", nameof(content));
                    if (now == (JsJson.Stringify(values) ?? "[]"))
                    {
                        return;
                    }

                    doc.Transact(t =>
                    {
                        if (ei > si)
                        {
                            type.ListDelete(t, si, ei - si);
                        }

                        if (values.Count > 0)
                        {
                            type.ListInsertGenericsAfter(t, StartItem(t, doc, conflict.Start!), values);
                            type.SearchMarkers?.Clear();
                        }
                    });
                    return;
                }
        }
    }

    /// <summary>
    /// The item the region starts after (its left bound), split so that it ends there; null at the start of the type.
    /// Inserting right after it keeps the new content inside the region even when the right bound is a tombstone
    /// (an index-based insert would skip tombstones and could land behind it).
    /// </summary>
    private static Item? StartItem(Transaction t, YDoc doc, byte[] start)
    {
        if (YRelativePosition.Decode(start).Item is not { } id)
        {
            return null;
        }

        return doc.Store.GetItemCleanEnd(t, id) as Item
            ?? throw new InvalidOperationException("The region's start was garbage-collected in this document");
    }

    private static void ResolveFormat(YDoc doc, MergeConflictInfo conflict, string? json)
    {
        string key = conflict.Key ?? throw new ArgumentException("A format-overlap conflict needs an attribute", nameof(conflict));
        var (type, si, ei) = Region(doc, conflict);
        if (ei <= si || type is not YText text)
        {
            return;
        }

        object? value = json == null ? null : JsJson.Parse(json);
        doc.Transact(() => text.Format(si, ei - si, new Dictionary<string, object?> { [key] = value }));
    }

    private static void ResolveDeleteEdit(YDoc doc, MergeConflictInfo conflict, string? json, string choice)
    {
        if (json == null)
        {
            return; // the chosen side is the one that deleted it: the merge already did that
        }

        if (conflict.Key is { } mapKey)
        {
            // a map entry: set the key to a new nested type holding the chosen version
            var map = FindType(doc, conflict);
            object? now = map.MapGet(mapKey);
            if (now is AbstractType nowType && (JsJson.Stringify(nowType.ToJson()) ?? "null") == json)
            {
                return;
            }

            var restored = JsJson.Parse(json) switch
            {
                Dictionary<string, object?> d => (AbstractType)new YMap(d),
                List<object?> l => new YArray(l),
                string str => new YText(str),
                _ => null,
            };
            doc.Transact(t => map.MapSet(t, mapKey, restored));
            return;
        }

        if (conflict.Start is not { } s || YRelativePosition.Decode(s).Item is not { } id)
        {
            throw new ArgumentException("A delete-edit conflict of a list item needs its position", nameof(conflict));
        }

        if (doc.Store.GetState(id.Client) <= id.Clock || doc.Store.Find(id) is not Item { Content: ContentType ct } item)
        {
            throw new InvalidOperationException("The deleted item is not part of this document");
        }

        if (!item.Deleted && choice != ConflictResolver.ChoiceCustom)
        {
            return;
        }

        var parent = item.Parent!;
        int index = 0;
        for (var n = item.Left; n != null; n = n.Left)
        {
            if (n.IsVisibleCountable)
            {
                index += n.Length;
            }
        }

        var copy = Prelim(ct.Type, json);
        doc.Transact(t =>
        {
            parent.ListInsertGenerics(t, index, new object?[] { copy });
        });
    }

    /// <summary>A new, preliminary type of the same kind as <paramref name="like"/> holding the excerpt's content.</summary>
    private static AbstractType Prelim(AbstractType like, string json)
    {
        object? value = JsJson.Parse(json);
        switch (like)
        {
            case YXmlElement or YXmlFragment:
                {
                    var nodes = XmlNodes.Parse(value as string ?? string.Empty);
                    if (like is YXmlElement && nodes.Count == 1 && nodes[0] is YXmlElement el)
                    {
                        return el;
                    }

                    var fragment = new YXmlFragment();
                    fragment.Insert(0, nodes.ToArray());
                    return fragment;
                }

            case YXmlText:
                return new YXmlText(value as string ?? string.Empty);
            case YText:
                return new YText(value as string ?? string.Empty);
            case YArray:
                return new YArray(value as List<object?> ?? new List<object?>());
            default:
                return new YMap(value as Dictionary<string, object?> ?? new Dictionary<string, object?>());
        }
    }

    /// <summary>The live content of [si, ei) in the same form as the conflict excerpts.</summary>
    private static string LiveExcerpt(YDoc doc, AbstractType type, int si, int ei)
    {
        var sv = doc.Store.GetStateVector();
        var ds = DeleteSet.FromStore(doc.Store);
        var renderer = new VersionRenderer(new MergeVersions(sv, sv, ds, ds));
        var kind = VersionRenderer.KindOf(type);
        var sb = kind == TypeKind.Array ? null : new StringBuilder();
        var list = kind == TypeKind.Array ? new List<object?>() : null;
        int index = 0;
        for (var n = type.Start; n != null && index < ei; n = n.Right)
        {
            if (!n.IsVisibleCountable)
            {
                continue;
            }

            int from = Math.Max(si - index, 0);
            int to = Math.Min(ei - index, n.Length);
            if (to > from)
            {
                renderer.AppendSeg(new Seg(n, 0, n.Length, SegFlags.InB | SegFlags.InT | SegFlags.InS), from, to - from, Version.Merged, sb, list, kind, 0);
            }

            index += n.Length;
        }

        return list != null ? JsJson.Stringify(list)! : sb!.ToString();
    }
}
