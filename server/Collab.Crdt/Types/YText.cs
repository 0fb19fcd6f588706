using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>
/// Shared rich text (yjs Y.Text). Indexes and lengths are UTF-16 code units. Formatting attributes are
/// string-keyed JSON values; a null value removes the attribute. Embeds are JSON values (or nested types) of length 1.
/// </summary>
public partial class YText : AbstractType
{
    private List<Action>? _pending = new();

    /// <summary>Creates a preliminary text; insert it into a document to use it.</summary>
    public YText()
    {
        SearchMarkers = new List<ArraySearchMarker>();
    }

    /// <summary>Creates a preliminary text holding <paramref name="text"/>.</summary>
    public YText(string text)
        : this()
    {
        ArgumentNullException.ThrowIfNull(text);
        _pending!.Add(() => Insert(0, text));
    }

    internal bool HasFormatting { get; set; }

    /// <summary>Length in UTF-16 code units (embeds count 1).</summary>
    public int Length => LengthField;

    /// <summary>Inserts text at <paramref name="index"/>; without attributes it takes the formatting found there.</summary>
    public void Insert(int index, string text, IReadOnlyDictionary<string, object?>? attributes = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return;
        }

        var doc = Doc;
        if (doc == null)
        {
            AddPending(index, text, attributes);
            return;
        }

        doc.TransactCore((Text: this, Index: index, Str: text, Attrs: attributes), static (t, s) => s.Text.InsertCore(t, s.Index, s.Str, s.Attrs), null, true);
    }

    private void AddPending(int index, string text, IReadOnlyDictionary<string, object?>? attributes) =>
        _pending!.Add(() => Insert(index, text, attributes));

    private void InsertCore(Transaction t, int index, string text, IReadOnlyDictionary<string, object?>? attributes)
    {
        var pos = FindPosition(t, index, attributes == null);
        AttributeMap attrs;
        if (attributes == null)
        {
            attrs = new AttributeMap();
            foreach (var kv in pos.CurrentAttributes)
            {
                attrs.Set(kv.Key, kv.Value);
            }
        }
        else
        {
            attrs = ToAttributeMap(attributes);
        }

        InsertTextAt(t, pos, text, attrs);
    }

    /// <summary>Inserts an embed (a JSON value such as a dictionary, or a nested type) at <paramref name="index"/>.</summary>
    public void InsertEmbed(int index, object embed, IReadOnlyDictionary<string, object?>? attributes = null)
    {
        ArgumentNullException.ThrowIfNull(embed);
        if (Doc == null)
        {
            _pending!.Add(() => InsertEmbed(index, embed, attributes));
            return;
        }

        Doc.Transact(t =>
        {
            var pos = FindPosition(t, index, attributes == null);
            InsertTextAt(t, pos, embed, attributes == null ? new AttributeMap() : ToAttributeMap(attributes));
        });
    }

    /// <summary>Deletes <paramref name="length"/> units from <paramref name="index"/>.</summary>
    public void Delete(int index, int length)
    {
        if (length == 0)
        {
            return;
        }

        var doc = Doc;
        if (doc == null)
        {
            AddPendingDelete(index, length);
            return;
        }

        doc.TransactCore((Text: this, Index: index, Length: length), static (t, s) => s.Text.DeleteTextAt(t, s.Text.FindPosition(t, s.Index, true), s.Length), null, true);
    }

    private void AddPendingDelete(int index, int length) => _pending!.Add(() => Delete(index, length));

    /// <summary>Applies formatting attributes to a range (null values remove an attribute).</summary>
    public void Format(int index, int length, IReadOnlyDictionary<string, object?> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (length == 0)
        {
            return;
        }

        if (Doc == null)
        {
            _pending!.Add(() => Format(index, length, attributes));
            return;
        }

        Doc.Transact(t =>
        {
            var pos = FindPosition(t, index, false);
            if (pos.Right == null)
            {
                return;
            }

            FormatTextAt(t, pos, length, ToAttributeMap(attributes));
        });
    }

    /// <summary>Sets an attribute on the text itself (not on a range).</summary>
    public void SetAttribute(string name, object? value) => RequireDoc().Transact(t => MapSet(t, name, value));

    /// <summary>Removes an attribute of the text itself.</summary>
    public void RemoveAttribute(string name) => RequireDoc().Transact(t => MapDelete(t, name));

    /// <summary>An attribute of the text itself.</summary>
    public object? GetAttribute(string name) => MapGet(name);

    /// <summary>All attributes of the text itself.</summary>
    public Dictionary<string, object?> GetAttributes() => MapGetAll();

    private static AttributeMap ToAttributeMap(IReadOnlyDictionary<string, object?> attributes)
    {
        var m = new AttributeMap();
        foreach (var kv in attributes)
        {
            m.Set(kv.Key, kv.Value);
        }

        return m;
    }

    /// <summary>Applies a delta (insert/retain/delete ops) like yjs applyDelta.</summary>
    public void ApplyDelta(IEnumerable<YDeltaOp> delta, bool sanitize = true)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var ops = delta.ToList();
        RequireDoc().Transact(t =>
        {
            var currPos = new ItemTextListPosition(null, Start, 0, new AttributeMap());
            for (int i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                if (op.Insert != null)
                {
                    var ins = op.Insert;
                    if (!sanitize && ins is string s && i == ops.Count - 1 && currPos.Right == null && s.EndsWith('\n'))
                    {
                        ins = s[..^1];
                    }

                    if (ins is not string str || str.Length > 0)
                    {
                        InsertTextAt(t, currPos, ins, op.Attributes == null ? new AttributeMap() : ToAttributeMap(op.Attributes));
                    }
                }
                else if (op.Retain != null)
                {
                    FormatTextAt(t, currPos, op.Retain.Value, op.Attributes == null ? new AttributeMap() : ToAttributeMap(op.Attributes));
                }
                else if (op.Delete != null)
                {
                    DeleteTextAt(t, currPos, op.Delete.Value);
                }
            }
        });
    }

    /// <summary>The text without formatting (embeds omitted).</summary>
    public override string ToString()
    {
        // Measured first, then written once into the string: a long text is a large object, and a builder of it
        // (another one) plus the copy cost the collector a second large object per call.
        int length = 0;
        for (var n = Start; n != null; n = n.Right)
        {
            if (!n.Deleted && n.Countable && n.Content is ContentString cs)
            {
                length += cs.Span.Length;
            }
        }

        if (length == 0)
        {
            return string.Empty;
        }

        return string.Create(length, Start, static (chars, start) =>
        {
            int at = 0;
            for (var n = start; n != null; n = n.Right)
            {
                if (!n.Deleted && n.Countable && n.Content is ContentString cs)
                {
                    var span = cs.Span;
                    span.CopyTo(chars[at..]);
                    at += span.Length;
                }
            }
        });
    }

    /// <summary>The text as it was at <paramref name="snapshot"/> (the document must have gc off).</summary>
    public string ToString(YSnapshot snapshot)
    {
        var sb = new StringBuilder();
        foreach (var op in ToDelta(snapshot))
        {
            if (op.Insert is string s)
            {
                sb.Append(s);
            }
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override object? ToJson() => ToString();

    /// <summary>The content as a delta of inserts with attributes.</summary>
    public List<YDeltaOp> ToDelta() => ToDelta(null, null);

    /// <summary>
    /// The content at <paramref name="snapshot"/>, optionally marking changes since <paramref name="prevSnapshot"/>
    /// with a "ychange" attribute ({type: "added"|"removed"}), as yjs toDelta does.
    /// </summary>
    public List<YDeltaOp> ToDelta(YSnapshot? snapshot, YSnapshot? prevSnapshot = null) => ToDelta(snapshot, prevSnapshot, null);

    /// <summary>
    /// Like <see cref="ToDelta(YSnapshot?, YSnapshot?)"/>; <paramref name="computeYChange"/> (action "added"/"removed",
    /// item id) builds the "ychange" attribute value, as in yjs. A run continues while the value's "user" equals the
    /// item's client and its "type" the action; the default value has no user, so every item starts a new op (as in yjs).
    /// </summary>
    public List<YDeltaOp> ToDelta(YSnapshot? snapshot, YSnapshot? prevSnapshot, Func<string, ItemId, object?>? computeYChange)
    {
        var ops = new List<YDeltaOp>();
        var currentAttributes = new AttributeMap();
        var str = new StringBuilder();
        void PackStr()
        {
            if (str.Length > 0)
            {
                ops.Add(new YDeltaOp
                {
                    Insert = str.ToString(),
                    Attributes = currentAttributes.Count > 0 ? currentAttributes.ToDictionary(false) : null,
                });
                str.Clear();
            }
        }

        void ComputeDelta()
        {
            for (var n = Start; n != null; n = n.Right)
            {
                if (YSnapshot.IsVisible(n, snapshot) || (prevSnapshot != null && YSnapshot.IsVisible(n, prevSnapshot)))
                {
                    switch (n.Content)
                    {
                        case ContentString cs:
                            {
                                currentAttributes.TryGet("ychange", out var cur);
                                var curDict = cur as IReadOnlyDictionary<string, object?>;
                                bool SameChange(string type) =>
                                    curDict != null
                                    && curDict.TryGetValue("user", out var user) && user is not null && JsEquality.StrictEquals(user, (long)n.Id.Client)
                                    && Equals(curDict.GetValueOrDefault("type"), type);
                                object? YChange(string type) =>
                                    computeYChange != null ? computeYChange(type, n.Id) : new Dictionary<string, object?> { ["type"] = type };
                                if (snapshot != null && !YSnapshot.IsVisible(n, snapshot))
                                {
                                    if (cur == null || !SameChange("removed"))
                                    {
                                        PackStr();
                                        currentAttributes.Set("ychange", YChange("removed"));
                                    }
                                }
                                else if (prevSnapshot != null && !YSnapshot.IsVisible(n, prevSnapshot))
                                {
                                    if (cur == null || !SameChange("added"))
                                    {
                                        PackStr();
                                        currentAttributes.Set("ychange", YChange("added"));
                                    }
                                }
                                else if (cur != null)
                                {
                                    PackStr();
                                    currentAttributes.Remove("ychange");
                                }

                                str.Append(cs.Span);
                                break;
                            }

                        case ContentType or ContentEmbed:
                            PackStr();
                            ops.Add(new YDeltaOp
                            {
                                Insert = n.Content.GetValue(0),
                                Attributes = currentAttributes.Count > 0 ? currentAttributes.ToDictionary(false) : null,
                            });
                            break;
                        case ContentFormat cf:
                            if (YSnapshot.IsVisible(n, snapshot))
                            {
                                PackStr();
                                UpdateCurrentAttributes(currentAttributes, cf);
                            }

                            break;
                    }
                }
            }

            PackStr();
        }

        if (snapshot != null || prevSnapshot != null)
        {
            RequireDoc().Transact(
                t =>
                {
                    if (snapshot != null)
                    {
                        YSnapshot.SplitAffectedStructs(t, snapshot);
                    }

                    if (prevSnapshot != null)
                    {
                        YSnapshot.SplitAffectedStructs(t, prevSnapshot);
                    }

                    ComputeDelta();
                },
                "cleanup");
        }
        else
        {
            ComputeDelta();
        }

        return ops;
    }

    internal override AbstractType CopyEmpty() => new YText();

    internal override void WriteTypeRef(UpdateEncoder encoder) => encoder.WriteTypeRef(2);

    internal override void IntegrateInto(YDoc doc, Item? item)
    {
        base.IntegrateInto(doc, item);
        var pending = _pending;
        _pending = null;
        if (pending is { Count: > 0 })
        {
            doc.Transact(_ =>
            {
                foreach (var f in pending)
                {
                    f();
                }
            });
        }
    }

    internal override void AfterChangeWithoutObservers(Transaction transaction)
    {
        base.AfterChangeWithoutObservers(transaction);
        if (!transaction.Local && HasFormatting)
        {
            transaction.NeedFormattingCleanup = true;
        }
    }

    internal override void CallObserver(Transaction transaction, HashSet<string?> parentSubs)
    {
        base.CallObserver(transaction, parentSubs);
        if (HasAnyObserver())
        {
            CallTypeObservers(transaction, new YTextEvent(this, transaction, parentSubs));
        }

        if (!transaction.Local && HasFormatting)
        {
            transaction.NeedFormattingCleanup = true;
        }
    }
}
