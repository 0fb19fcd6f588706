using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.History;

/// <summary>What a root type of a document holds.</summary>
public enum RootKind
{
    /// <summary>A Y.Text (text with formatting).</summary>
    Text,

    /// <summary>A Y.Map.</summary>
    Map,

    /// <summary>A Y.Array.</summary>
    Array,

    /// <summary>A Y.XmlFragment (its children rendered as XML).</summary>
    Xml,
}

/// <summary>One root of a document as a person reads it.</summary>
/// <param name="Name">The root's name.</param>
/// <param name="Kind">What it holds.</param>
/// <param name="Text">Text roots: the plain text (embeds omitted).</param>
/// <param name="DeltaJson">Text roots: the Quill-style delta with formats, as JSON (<c>[{"insert":"..","attributes":{..}}]</c>).</param>
/// <param name="Json">Map and array roots: the value as JSON.</param>
/// <param name="Xml">XML roots: the children as XML.</param>
public sealed record RenderedRoot(string Name, RootKind Kind, string? Text, string? DeltaJson, string? Json, string? Xml);

/// <summary>
/// Renders every root of a document. Roots of a document built from a log are untyped (root types are untyped on the
/// wire): each is typed from what it holds, else from <c>hints</c> (what the document's history says it is), else as
/// an array (the yjs default for an empty untyped root is "undefined"; an empty array renders the same nothing).
/// </summary>
public static class DocumentRender
{
    /// <summary>Types every root of <paramref name="doc"/> (modifies its root table only) and returns them by name.</summary>
    public static IReadOnlyList<(string Name, RootKind Kind)> TypeRoots(YDoc doc, IReadOnlyDictionary<string, RootKind>? hints = null)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var result = new List<(string, RootKind)>();
        foreach (string name in doc.RootNames.Order(StringComparer.Ordinal).ToList())
        {
            result.Add((name, TypeRoot(doc, name, hints?.GetValueOrDefault(name))));
        }

        return result;
    }

    /// <summary>Types root <paramref name="name"/> (creating it empty when absent) and returns its kind.</summary>
    public static RootKind TypeRoot(YDoc doc, string name, RootKind? hint)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var root = doc.GetRoot(name);
        switch (root)
        {
            case YText:
                return RootKind.Text;
            case YXmlFragment:
                return RootKind.Xml;
            case YArray:
                return RootKind.Array;
            case YMap:
                return RootKind.Map;
        }

        var kind = root is null ? hint ?? RootKind.Text : Infer(root) ?? hint ?? RootKind.Array;
        switch (kind)
        {
            case RootKind.Text:
                doc.GetText(name);
                break;
            case RootKind.Map:
                doc.GetMap(name);
                break;
            case RootKind.Xml:
                doc.GetXmlFragment(name);
                break;
            default:
                doc.GetArray(name);
                break;
        }

        return kind;
    }

    /// <summary>Every root rendered (typed first, see <see cref="TypeRoots"/>), in name order.</summary>
    public static IReadOnlyList<RenderedRoot> RenderAll(YDoc doc, IReadOnlyDictionary<string, RootKind>? hints = null)
    {
        var result = new List<RenderedRoot>();
        foreach (var (name, kind) in TypeRoots(doc, hints))
        {
            result.Add(Render(doc, name, kind));
        }

        return result;
    }

    /// <summary>One root rendered, as <see cref="TypeRoot"/> typed it.</summary>
    public static RenderedRoot Render(YDoc doc, string name, RootKind kind)
    {
        ArgumentNullException.ThrowIfNull(doc);
        switch (kind)
        {
            case RootKind.Text:
                {
                    var text = (YText)doc.GetRoot(name)!;
                    if (IsPlain(text))
                    {
                        // Text without formats or embeds is one insert (as ToDelta makes it), written without walking it again.
                        var plain = text.ToString();
                        return new RenderedRoot(name, kind, plain, plain.Length == 0 ? "[]" : "[{\"insert\":" + JsJson.Stringify(plain) + "}]", null, null);
                    }

                    var delta = new List<object?>();
                    foreach (var op in text.ToDelta())
                    {
                        delta.Add(op.ToJson());
                    }

                    return new RenderedRoot(name, kind, text.ToString(), JsJson.Stringify(delta), null, null);
                }

            case RootKind.Xml:
                return new RenderedRoot(name, kind, null, null, null, ((YXmlFragment)doc.GetRoot(name)!).ToString());
            case RootKind.Map:
                return new RenderedRoot(name, kind, null, null, JsJson.Stringify(doc.GetRoot(name)!.ToJson()) ?? "{}", null);
            default:
                return new RenderedRoot(name, kind, null, null, JsJson.Stringify(doc.GetRoot(name)!.ToJson()) ?? "[]", null);
        }
    }

    /// <summary>Whether every item the text shows is a string (no formats, embeds or nested types): its delta is one insert of its text.</summary>
    public static bool IsPlain(YText text)
    {
        for (var n = text.Start; n != null; n = n.Right)
        {
            if (!n.Deleted && n.Content is not ContentString)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What an untyped root holds, judged by its items (deleted ones too while they keep their content); null when nothing tells.</summary>
    internal static RootKind? Infer(AbstractType type)
    {
        for (var n = type.Start; n != null; n = n.Right)
        {
            switch (n.Content)
            {
                case ContentString or ContentFormat or ContentEmbed:
                    return RootKind.Text;
                case ContentType { Type: YXmlFragment or YXmlText or YXmlHook }:
                    return RootKind.Xml;
                case ContentDeleted:
                    continue;
                default:
                    return RootKind.Array;
            }
        }

        return type.Map.Count > 0 ? RootKind.Map : null;
    }
}
