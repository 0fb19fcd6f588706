using System.Text;
using Collab.Crdt.Types;

namespace Collab.Crdt.Merging;

/// <summary>
/// Reads the XML that conflict excerpts of XML child lists are written in (elements with quoted attributes, text with
/// &amp;lt; &amp;gt; &amp;amp; &amp;quot; escapes) back into preliminary <see cref="YXmlElement"/> / <see cref="YXmlText"/> nodes.
/// </summary>
internal static class XmlNodes
{
    private const int MaxDepth = 256;

    private sealed record Node(string? Name, string? Text, SortedDictionary<string, string> Attrs, List<Node> Children);

    /// <summary>Parses a list of nodes; throws <see cref="ArgumentException"/> on malformed markup.</summary>
    public static List<AbstractType> Parse(string xml)
    {
        int pos = 0;
        var nodes = ParseList(xml, ref pos, null, 0);
        if (pos != xml.Length)
        {
            throw new ArgumentException($"Unexpected markup at {pos}");
        }

        return nodes.ConvertAll(ToType);
    }

    /// <summary>Renders preliminary nodes made by <see cref="Parse"/> the way excerpts are written.</summary>
    public static void Render(AbstractType node, StringBuilder sb)
    {
        switch (node)
        {
            case YXmlText t:
                VersionRenderer.XmlEscape(PrelimText(t), sb, false);
                break;
            case YXmlElement e:
                sb.Append('<').Append(e.NodeName);
                foreach (var kv in e.GetAttributes().OrderBy(static kv => kv.Key, StringComparer.Ordinal))
                {
                    sb.Append(' ').Append(kv.Key).Append("=\"");
                    VersionRenderer.XmlEscape(kv.Value as string ?? string.Empty, sb, true);
                    sb.Append('"');
                }

                sb.Append('>');
                foreach (var c in e.ToArray())
                {
                    Render(c, sb);
                }

                sb.Append("</").Append(e.NodeName).Append('>');
                break;
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<YXmlText, string> Texts = new();

    private static string PrelimText(YXmlText t) => Texts.TryGetValue(t, out var s) ? s : t.ToString();

    private static AbstractType ToType(Node n)
    {
        if (n.Name == null)
        {
            var t = new YXmlText(n.Text!);
            Texts.AddOrUpdate(t, n.Text!);
            return t;
        }

        var el = new YXmlElement(n.Name);
        foreach (var kv in n.Attrs)
        {
            el.SetAttribute(kv.Key, kv.Value);
        }

        if (n.Children.Count > 0)
        {
            el.Insert(0, n.Children.ConvertAll(ToType).ToArray());
        }

        return el;
    }

    private static List<Node> ParseList(string s, ref int pos, string? closing, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException("XML nested too deeply");
        }

        var list = new List<Node>();
        var text = new StringBuilder();
        while (pos < s.Length)
        {
            char c = s[pos];
            if (c == '<')
            {
                if (text.Length > 0)
                {
                    list.Add(new Node(null, text.ToString(), new(StringComparer.Ordinal), new()));
                    text.Clear();
                }

                if (pos + 1 < s.Length && s[pos + 1] == '/')
                {
                    if (closing == null)
                    {
                        throw new ArgumentException($"Unexpected closing tag at {pos}");
                    }

                    string close = "</" + closing + ">";
                    if (string.CompareOrdinal(s, pos, close, 0, close.Length) != 0)
                    {
                        throw new ArgumentException($"Expected {close} at {pos}");
                    }

                    pos += close.Length;
                    return list;
                }

                list.Add(ParseElement(s, ref pos, depth));
            }
            else
            {
                text.Append(ReadChar(s, ref pos));
            }
        }

        if (closing != null)
        {
            throw new ArgumentException($"Missing </{closing}>");
        }

        if (text.Length > 0)
        {
            list.Add(new Node(null, text.ToString(), new(StringComparer.Ordinal), new()));
        }

        return list;
    }

    private static Node ParseElement(string s, ref int pos, int depth)
    {
        pos++; // '<'
        string name = ReadName(s, ref pos);
        var attrs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            SkipSpaces(s, ref pos);
            if (pos >= s.Length)
            {
                throw new ArgumentException("Unterminated tag");
            }

            if (s[pos] == '>')
            {
                pos++;
                break;
            }

            string key = ReadName(s, ref pos);
            if (pos + 1 >= s.Length || s[pos] != '=' || s[pos + 1] != '"')
            {
                throw new ArgumentException($"Expected =\" at {pos}");
            }

            pos += 2;
            var value = new StringBuilder();
            while (pos < s.Length && s[pos] != '"')
            {
                value.Append(ReadChar(s, ref pos));
            }

            if (pos >= s.Length)
            {
                throw new ArgumentException("Unterminated attribute");
            }

            pos++;
            attrs[key] = value.ToString();
        }

        var children = ParseList(s, ref pos, name, depth + 1);
        return new Node(name, null, attrs, children);
    }

    private static string ReadName(string s, ref int pos)
    {
        int start = pos;
        while (pos < s.Length && !char.IsWhiteSpace(s[pos]) && s[pos] is not ('>' or '=' or '<' or '/' or '"'))
        {
            pos++;
        }

        if (pos == start)
        {
            throw new ArgumentException($"Expected a name at {pos}");
        }

        return s[start..pos];
    }

    private static void SkipSpaces(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos]))
        {
            pos++;
        }
    }

    private static string ReadChar(string s, ref int pos)
    {
        if (s[pos] != '&')
        {
            return s[pos++].ToString();
        }

        foreach (var (entity, ch) in Entities)
        {
            if (string.CompareOrdinal(s, pos, entity, 0, entity.Length) == 0)
            {
                pos += entity.Length;
                return ch;
            }
        }

        return s[pos++].ToString();
    }

    private static readonly (string Entity, string Char)[] Entities =
    {
        ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("&quot;", "\""),
    };
}
