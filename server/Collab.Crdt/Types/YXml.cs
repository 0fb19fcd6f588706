using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>A list of XML nodes (<see cref="YXmlElement"/>, <see cref="YXmlText"/>, <see cref="YXmlHook"/>), yjs Y.XmlFragment.</summary>
public class YXmlFragment : AbstractType
{
    private List<object?>? _prelim = new();

    /// <summary>Creates a preliminary fragment.</summary>
    public YXmlFragment()
    {
    }

    /// <summary>Number of child nodes.</summary>
    public int Length => Doc == null && _prelim != null ? _prelim.Count : LengthField;

    /// <summary>Inserts child nodes at <paramref name="index"/>.</summary>
    public void Insert(int index, params AbstractType[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (Doc == null)
        {
            _prelim!.InsertRange(index, content);
            return;
        }

        Doc.Transact(t => ListInsertGenerics(t, index, content));
    }

    /// <summary>Inserts child nodes after <paramref name="reference"/> (null: at the start).</summary>
    public void InsertAfter(AbstractType? reference, params AbstractType[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (Doc == null)
        {
            int index = reference == null ? 0 : _prelim!.IndexOf(reference) + 1;
            if (index == 0 && reference != null)
            {
                throw new ArgumentException("Reference item not found");
            }

            _prelim!.InsertRange(index, content);
            return;
        }

        Doc.Transact(t => ListInsertGenericsAfter(t, reference?.ParentItem, content));
    }

    /// <summary>Appends child nodes.</summary>
    public void Push(params AbstractType[] content) => Insert(Length, content);

    /// <summary>Deletes <paramref name="length"/> children from <paramref name="index"/>.</summary>
    public void Delete(int index, int length = 1)
    {
        if (Doc == null)
        {
            _prelim!.RemoveRange(index, length);
            return;
        }

        Doc.Transact(t => ListDelete(t, index, length));
    }

    /// <summary>The child at <paramref name="index"/>.</summary>
    public AbstractType Get(int index) => (AbstractType)(Doc == null ? _prelim![index] : ListGet(index))!;

    /// <summary>The children.</summary>
    public List<AbstractType> ToArray() => (Doc == null ? _prelim! : ListToArray()).ConvertAll(static x => (AbstractType)x!);

    /// <summary>The first child, or null.</summary>
    public AbstractType? FirstChild => First?.Content.GetValue(0) as AbstractType;

    /// <summary>Concatenated XML strings of the children.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var c in ListToArray())
        {
            sb.Append(JsString(c));
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override object? ToJson() => ToString();

    internal override AbstractType CopyEmpty() => new YXmlFragment();

    internal override void WriteTypeRef(UpdateEncoder encoder) => encoder.WriteTypeRef(4);

    internal override void IntegrateInto(YDoc doc, Item? item)
    {
        base.IntegrateInto(doc, item);
        var prelim = _prelim;
        _prelim = null;
        if (prelim is { Count: > 0 })
        {
            doc.Transact(t => ListInsertGenerics(t, 0, prelim));
        }
    }

    internal override void CallObserver(Transaction transaction, HashSet<string?> parentSubs)
    {
        if (HasAnyObserver())
        {
            CallTypeObservers(transaction, new YXmlEvent(this, transaction, parentSubs));
        }
    }

    internal static string JsString(object? v) => v switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        long l => JsNumber.ToString(l),
        int i => JsNumber.ToString(i),
        double d => JsNumber.ToString(d),
        YUndefined => "undefined",
        YXmlFragment or YText => Render((AbstractType)v, static x => x.ToString() ?? string.Empty),
        AbstractType => "[object Object]",
        System.Collections.IList list => string.Join(",", list.Cast<object?>().Select(x => x is null or YUndefined ? string.Empty : JsString(x))),
        IEnumerable<KeyValuePair<string, object?>> => "[object Object]",
        _ => v.ToString() ?? string.Empty,
    };
}

/// <summary>An XML element with a node name, attributes and children (yjs Y.XmlElement).</summary>
public sealed class YXmlElement : YXmlFragment
{
    private Dictionary<string, object?>? _prelimAttrs = new();

    /// <summary>Creates a preliminary element.</summary>
    public YXmlElement(string nodeName = "UNDEFINED")
    {
        NodeName = nodeName;
    }

    /// <summary>The node name as given (ToString lower-cases it, as yjs does).</summary>
    public string NodeName { get; }

    /// <summary>The next sibling node, or null.</summary>
    public AbstractType? NextSibling => ParentItem?.Next?.Content.GetValue(0) as AbstractType;

    /// <summary>The previous sibling node, or null.</summary>
    public AbstractType? PrevSibling => ParentItem?.Prev?.Content.GetValue(0) as AbstractType;

    /// <summary>Sets an attribute.</summary>
    public void SetAttribute(string name, object? value)
    {
        if (Doc == null)
        {
            _prelimAttrs![name] = value;
            return;
        }

        Doc.Transact(t => MapSet(t, name, value));
    }

    /// <summary>Removes an attribute.</summary>
    public void RemoveAttribute(string name)
    {
        if (Doc == null)
        {
            _prelimAttrs!.Remove(name);
            return;
        }

        Doc.Transact(t => MapDelete(t, name));
    }

    /// <summary>An attribute value, or null.</summary>
    public object? GetAttribute(string name) => Doc == null ? _prelimAttrs!.GetValueOrDefault(name) : MapGet(name);

    /// <summary>Whether the attribute is set.</summary>
    public bool HasAttribute(string name) => Doc == null ? _prelimAttrs!.ContainsKey(name) : MapHas(name);

    /// <summary>All attributes.</summary>
    public Dictionary<string, object?> GetAttributes() => Doc == null ? new Dictionary<string, object?>(_prelimAttrs!) : MapGetAll();

    /// <summary>All attributes at a snapshot.</summary>
    public Dictionary<string, object?> GetAttributes(YSnapshot snapshot) => MapGetAll(snapshot);

    /// <summary>XML string: lower-cased node name, attributes sorted by name, then the children.</summary>
    public override string ToString()
    {
        var attrs = GetAttributes();
        var keys = attrs.Keys.ToList();
        keys.Sort(string.CompareOrdinal);
        var sb = new StringBuilder();
        string nodeName = NodeName.ToLowerInvariant();
        sb.Append('<').Append(nodeName);
        foreach (var k in keys)
        {
            sb.Append(' ').Append(k).Append("=\"").Append(JsString(attrs[k])).Append('"');
        }

        sb.Append('>').Append(base.ToString()).Append("</").Append(nodeName).Append('>');
        return sb.ToString();
    }

    internal override AbstractType CopyEmpty() => new YXmlElement(NodeName);

    internal override void WriteTypeRef(UpdateEncoder encoder)
    {
        encoder.WriteTypeRef(3);
        encoder.WriteKey(NodeName);
    }

    internal override void IntegrateInto(YDoc doc, Item? item)
    {
        base.IntegrateInto(doc, item);
        var prelim = _prelimAttrs;
        _prelimAttrs = null;
        if (prelim is { Count: > 0 })
        {
            doc.Transact(t =>
            {
                foreach (var kv in prelim)
                {
                    MapSet(t, kv.Key, kv.Value);
                }
            });
        }
    }
}

/// <summary>Rich text inside XML (yjs Y.XmlText); formatting attributes render as nested tags in ToString.</summary>
public sealed class YXmlText : YText
{
    /// <summary>Creates a preliminary XML text.</summary>
    public YXmlText()
    {
    }

    /// <summary>Creates a preliminary XML text holding <paramref name="text"/>.</summary>
    public YXmlText(string text)
        : base(text)
    {
    }

    /// <summary>The next sibling node, or null.</summary>
    public AbstractType? NextSibling => ParentItem?.Next?.Content.GetValue(0) as AbstractType;

    /// <summary>The previous sibling node, or null.</summary>
    public AbstractType? PrevSibling => ParentItem?.Prev?.Content.GetValue(0) as AbstractType;

    /// <summary>The delta rendered as XML: each attribute becomes a tag (sorted), its value's fields attributes.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var op in ToDelta())
        {
            var nested = new List<(string Node, List<(string Key, object? Value)> Attrs)>();
            if (op.Attributes != null)
            {
                foreach (var kv in op.Attributes)
                {
                    var attrs = new List<(string Key, object? Value)>();
                    if (kv.Value is IEnumerable<KeyValuePair<string, object?>> d)
                    {
                        foreach (var a in JsKeyOrder.Order(d))
                        {
                            attrs.Add((a.Key, a.Value));
                        }
                    }

                    attrs.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key) < 0 ? -1 : 1);
                    nested.Add((kv.Key, attrs));
                }
            }

            nested.Sort(static (a, b) => string.CompareOrdinal(a.Node, b.Node) < 0 ? -1 : 1);
            foreach (var n in nested)
            {
                sb.Append('<').Append(n.Node);
                foreach (var a in n.Attrs)
                {
                    sb.Append(' ').Append(a.Key).Append("=\"").Append(YXmlFragment.JsString(a.Value)).Append('"');
                }

                sb.Append('>');
            }

            sb.Append(YXmlFragment.JsString(op.Insert));
            for (int i = nested.Count - 1; i >= 0; i--)
            {
                sb.Append("</").Append(nested[i].Node).Append('>');
            }
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override object? ToJson() => ToString();

    internal override AbstractType CopyEmpty() => new YXmlText();

    internal override void WriteTypeRef(UpdateEncoder encoder) => encoder.WriteTypeRef(6);
}

/// <summary>A custom XML node kept as a map with a hook name (yjs Y.XmlHook); preserved through decode/encode.</summary>
public sealed class YXmlHook : YMap
{
    /// <summary>Creates a preliminary hook.</summary>
    public YXmlHook(string hookName)
    {
        HookName = hookName;
    }

    /// <summary>The hook name.</summary>
    public string HookName { get; }

    internal override AbstractType CopyEmpty() => new YXmlHook(HookName);

    internal override void WriteTypeRef(UpdateEncoder encoder)
    {
        encoder.WriteTypeRef(5);
        encoder.WriteKey(HookName);
    }
}
