using Collab.Crdt.Document;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>Event of a <see cref="YText"/>: a rich-text delta of the change and the text attributes changed.</summary>
public sealed class YTextEvent : YEvent
{
    private List<YDeltaOp>? _delta;

    internal YTextEvent(YText target, Transaction transaction, HashSet<string?> subs)
        : base(target, transaction)
    {
        KeysChanged = new HashSet<string>();
        foreach (var s in subs)
        {
            if (s == null)
            {
                ChildListChanged = true;
            }
            else
            {
                KeysChanged.Add(s);
            }
        }
    }

    /// <summary>Whether the content changed (not only attributes of the text itself).</summary>
    public bool ChildListChanged { get; }

    /// <summary>Attributes of the text itself that changed.</summary>
    public HashSet<string> KeysChanged { get; }

    /// <summary>The change as a rich-text delta (yjs YTextEvent.delta).</summary>
    public override IReadOnlyList<YDeltaOp> Delta => _delta ??= ComputeDelta();

    private List<YDeltaOp> ComputeDelta()
    {
        var delta = new List<YDeltaOp>();
        var doc = Target.Doc!;
        doc.Transact(transaction =>
        {
            var currentAttributes = new AttributeMap();
            var oldAttributes = new AttributeMap();
            var item = Target.Start;
            string? action = null;
            var attributes = new AttributeMap();
            object insert = string.Empty;
            var insertSb = new System.Text.StringBuilder();
            int retain = 0;
            int deleteLen = 0;
            void AddOp()
            {
                if (action == null)
                {
                    return;
                }

                YDeltaOp? op = null;
                switch (action)
                {
                    case "delete":
                        if (deleteLen > 0)
                        {
                            op = new YDeltaOp { Delete = deleteLen };
                        }

                        deleteLen = 0;
                        break;
                    case "insert":
                        object ins = insert is string ? insertSb.ToString() : insert;
                        if (ins is not string s || s.Length > 0)
                        {
                            Dictionary<string, object?>? attrs = null;
                            if (currentAttributes.Count > 0)
                            {
                                attrs = currentAttributes.ToDictionary(skipNulls: true);
                            }

                            op = new YDeltaOp { Insert = ins, Attributes = attrs };
                        }

                        insert = string.Empty;
                        insertSb.Clear();
                        break;
                    case "retain":
                        if (retain > 0)
                        {
                            op = new YDeltaOp { Retain = retain, Attributes = attributes.Count > 0 ? attributes.ToDictionary(false) : null };
                        }

                        retain = 0;
                        break;
                }

                if (op != null)
                {
                    delta.Add(op);
                }

                action = null;
            }

            while (item != null)
            {
                switch (item.Content)
                {
                    case ContentType or ContentEmbed:
                        if (Adds(item))
                        {
                            if (!Deletes(item))
                            {
                                AddOp();
                                action = "insert";
                                insert = item.Content.GetValue(0)!;
                                AddOp();
                            }
                        }
                        else if (Deletes(item))
                        {
                            if (action != "delete")
                            {
                                AddOp();
                                action = "delete";
                            }

                            deleteLen += 1;
                        }
                        else if (!item.Deleted)
                        {
                            if (action != "retain")
                            {
                                AddOp();
                                action = "retain";
                            }

                            retain += 1;
                        }

                        break;
                    case ContentString cs:
                        if (Adds(item))
                        {
                            if (!Deletes(item))
                            {
                                if (action != "insert")
                                {
                                    AddOp();
                                    action = "insert";
                                }

                                insertSb.Append(cs.Span);
                            }
                        }
                        else if (Deletes(item))
                        {
                            if (action != "delete")
                            {
                                AddOp();
                                action = "delete";
                            }

                            deleteLen += item.Length;
                        }
                        else if (!item.Deleted)
                        {
                            if (action != "retain")
                            {
                                AddOp();
                                action = "retain";
                            }

                            retain += item.Length;
                        }

                        break;
                    case ContentFormat cf:
                        {
                            string key = cf.Key;
                            object? value = cf.Value;
                            if (Adds(item))
                            {
                                if (!Deletes(item))
                                {
                                    var curVal = currentAttributes.GetOrNull(key);
                                    if (!JsEquality.EqualAttrs(curVal, value))
                                    {
                                        if (action == "retain")
                                        {
                                            AddOp();
                                        }

                                        if (JsEquality.EqualAttrs(value, oldAttributes.GetOrNull(key)))
                                        {
                                            attributes.Remove(key);
                                        }
                                        else
                                        {
                                            attributes.Set(key, value);
                                        }
                                    }
                                    else if (value != null)
                                    {
                                        item.Delete(transaction);
                                    }
                                }
                            }
                            else if (Deletes(item))
                            {
                                oldAttributes.Set(key, value);
                                var curVal = currentAttributes.GetOrNull(key);
                                if (!JsEquality.EqualAttrs(curVal, value))
                                {
                                    if (action == "retain")
                                    {
                                        AddOp();
                                    }

                                    attributes.Set(key, curVal);
                                }
                            }
                            else if (!item.Deleted)
                            {
                                oldAttributes.Set(key, value);
                                if (attributes.TryGet(key, out var attr))
                                {
                                    if (!JsEquality.EqualAttrs(attr, value))
                                    {
                                        if (action == "retain")
                                        {
                                            AddOp();
                                        }

                                        if (value == null)
                                        {
                                            attributes.Remove(key);
                                        }
                                        else
                                        {
                                            attributes.Set(key, value);
                                        }
                                    }
                                    else if (attr != null)
                                    {
                                        item.Delete(transaction);
                                    }
                                }
                            }

                            if (!item.Deleted)
                            {
                                if (action == "insert")
                                {
                                    AddOp();
                                }

                                YText.UpdateCurrentAttributes(currentAttributes, cf);
                            }

                            break;
                        }
                }

                item = item.Right;
            }

            AddOp();
            while (delta.Count > 0)
            {
                var lastOp = delta[^1];
                if (lastOp.Retain != null && lastOp.Attributes == null)
                {
                    delta.RemoveAt(delta.Count - 1);
                }
                else
                {
                    break;
                }
            }
        });
        return delta;
    }
}
