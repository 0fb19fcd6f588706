using Collab.Crdt.Document;
using System.Text;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Merging;

/// <summary>What a shared type holds, as far as excerpts and decisions are concerned.</summary>
internal enum TypeKind : byte
{
    Text,
    Array,
    Map,
    Xml,
}

/// <summary>Renders shared types and runs of items as they are in one version of a merge (excerpts).</summary>
internal sealed class VersionRenderer
{
    private readonly MergeVersions _versions;
    private readonly List<Seg> _scratch = new();

    public VersionRenderer(MergeVersions versions)
    {
        _versions = versions;
    }

    /// <summary>Gives an untyped root the type its content shows, so the public editing API can be used on it.</summary>
    public static void TypeRoot(YDoc doc, string root)
    {
        if (doc.GetRoot(root) is not YUntypedRoot untyped)
        {
            return;
        }

        switch (KindOf(untyped))
        {
            case TypeKind.Text:
                doc.GetText(root);
                break;
            case TypeKind.Xml:
                doc.GetXmlFragment(root);
                break;
            case TypeKind.Map:
                doc.GetMap(root);
                break;
            default:
                doc.GetArray(root);
                break;
        }
    }

    /// <summary>Appends the runs of <paramref name="item"/> (see <see cref="MergeVersions.Split"/>).</summary>
    public void Split(Item item, List<Seg> output) => _versions.Split(item, output);

    public static TypeKind KindOf(AbstractType type)
    {
        switch (type)
        {
            case YText:
                return TypeKind.Text;
            case YXmlFragment:
                return TypeKind.Xml;
            case YArray:
                return TypeKind.Array;
            case YMap:
                return TypeKind.Map;
        }

        // untyped root: infer from what it holds
        for (var n = type.Start; n != null; n = n.Right)
        {
            switch (n.Content)
            {
                case ContentString or ContentFormat or ContentEmbed:
                    return TypeKind.Text;
                case ContentType { Type: YXmlFragment or YXmlText or YXmlHook }:
                    return TypeKind.Xml;
                case ContentDeleted:
                    continue;
                default:
                    return TypeKind.Array;
            }
        }

        return type.Start == null && type.Map.Count > 0 ? TypeKind.Map : TypeKind.Array;
    }

    /// <summary>The type as a JSON-like graph in version <paramref name="v"/> (text: string; XML: markup; map: object).</summary>
    public object? Render(AbstractType type, Version v, int depth = 0)
    {
        if (depth > JsJson.MaxDepth)
        {
            return null;
        }

        var kind = KindOf(type);
        switch (kind)
        {
            case TypeKind.Map:
                return RenderMap(type, v, depth);
            case TypeKind.Text:
                {
                    var sb = new StringBuilder();
                    AppendSequence(type, v, sb, null, kind, depth);
                    return sb.ToString();
                }

            case TypeKind.Xml:
                {
                    var sb = new StringBuilder();
                    AppendXmlNode(type, v, sb, depth);
                    return sb.ToString();
                }

            default:
                {
                    var list = new List<object?>();
                    AppendSequence(type, v, null, list, kind, depth);
                    return list;
                }
        }
    }

    /// <summary>The value of a map entry (its last unit) in version <paramref name="v"/>.</summary>
    public object? RenderSegValue(in Seg seg, Version v, int depth)
    {
        var content = seg.Item.Content;
        object? value = content.GetValue(seg.Offset + seg.Len - 1);
        return value is AbstractType t ? Render(t, v, depth + 1) : value;
    }

    private Dictionary<string, object?> RenderMap(AbstractType type, Version v, int depth)
    {
        var res = new Dictionary<string, object?>();
        foreach (string key in type.Map.Keys.Order(StringComparer.Ordinal))
        {
            if (EntryIn(type.Map[key], v) is { } seg)
            {
                res[key] = RenderSegValue(seg, v, depth);
            }
        }

        return res;
    }

    /// <summary>The rightmost run of a map key's items that exists in version <paramref name="v"/>, if it is not deleted there.</summary>
    public Seg? EntryIn(Item rightmost, Version v)
    {
        var seg = RightmostIn(rightmost, v);
        return seg is { } s && MergeVersions.Visible(s, v) ? s : null;
    }

    /// <summary>The rightmost run (visible or not) of a key's item chain that exists in version <paramref name="v"/>.</summary>
    public Seg? RightmostIn(Item rightmost, Version v)
    {
        for (Item? n = rightmost; n != null; n = n.Left)
        {
            _scratch.Clear();
            _versions.Split(n, _scratch);
            for (int i = _scratch.Count - 1; i >= 0; i--)
            {
                var s = _scratch[i];
                bool exists = v switch
                {
                    Version.Base => (s.Flags & SegFlags.InB) != 0,
                    Version.Ours => (s.Flags & SegFlags.InT) != 0,
                    Version.Theirs => (s.Flags & SegFlags.InS) != 0,
                    _ => true,
                };
                if (exists)
                {
                    return s;
                }
            }
        }

        return null;
    }

    private void AppendSequence(AbstractType type, Version v, StringBuilder? sb, List<object?>? list, TypeKind kind, int depth)
    {
        var segs = new List<Seg>();
        for (var n = type.Start; n != null; n = n.Right)
        {
            if (!n.Countable)
            {
                continue;
            }

            segs.Clear();
            _versions.Split(n, segs);
            foreach (var s in segs)
            {
                if (MergeVersions.Visible(s, v))
                {
                    AppendSeg(s, 0, s.Len, v, sb, list, kind, depth);
                }
            }
        }
    }

    /// <summary>Appends units [from, from + len) of a run: text to <paramref name="sb"/>, values to <paramref name="list"/>.</summary>
    public void AppendSeg(in Seg s, int from, int len, Version v, StringBuilder? sb, List<object?>? list, TypeKind kind, int depth)
    {
        var content = s.Item.Content;
        if (kind == TypeKind.Text && sb != null)
        {
            if (content is ContentString cs)
            {
                sb.Append(cs.Span.Slice(s.Offset + from, len));
            }
            else if (content.IsCountable)
            {
                sb.Append('\uFFFC');
            }

            return;
        }

        if (kind == TypeKind.Xml && sb != null)
        {
            for (int i = 0; i < len; i++)
            {
                if (content.GetValue(s.Offset + from + i) is AbstractType t)
                {
                    AppendXmlNode(t, v, sb, depth + 1);
                }
            }

            return;
        }

        if (list != null)
        {
            for (int i = 0; i < len; i++)
            {
                object? value = content.GetValue(s.Offset + from + i);
                list.Add(value is AbstractType t ? Render(t, v, depth + 1) : value);
            }
        }
    }

    private void AppendXmlNode(AbstractType type, Version v, StringBuilder sb, int depth)
    {
        if (depth > JsJson.MaxDepth)
        {
            return;
        }

        switch (type)
        {
            case YXmlText:
                {
                    var inner = new StringBuilder();
                    AppendSequence(type, v, inner, null, TypeKind.Text, depth);
                    XmlEscape(inner.ToString(), sb, false);
                    return;
                }

            case YXmlElement el:
                sb.Append('<').Append(el.NodeName);
                foreach (string key in type.Map.Keys.Order(StringComparer.Ordinal))
                {
                    if (EntryIn(type.Map[key], v) is { } seg)
                    {
                        object? value = RenderSegValue(seg, v, depth);
                        sb.Append(' ').Append(key).Append("=\"");
                        XmlEscape(value as string ?? JsJson.Stringify(value) ?? string.Empty, sb, true);
                        sb.Append('"');
                    }
                }

                sb.Append('>');
                AppendSequence(type, v, sb, null, TypeKind.Xml, depth);
                sb.Append("</").Append(el.NodeName).Append('>');
                return;
            case YXmlHook:
                return;
            default:
                AppendSequence(type, v, sb, null, TypeKind.Xml, depth);
                return;
        }
    }

    public static void XmlEscape(string text, StringBuilder sb, bool attribute)
    {
        foreach (char c in text)
        {
            switch (c)
            {
                case '<':
                    sb.Append("&lt;");
                    break;
                case '>':
                    sb.Append("&gt;");
                    break;
                case '&':
                    sb.Append("&amp;");
                    break;
                case '"' when attribute:
                    sb.Append("&quot;");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
    }
}
