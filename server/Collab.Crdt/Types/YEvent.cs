using Collab.Crdt.Document;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>One operation of a delta: exactly one of Insert, Retain, Delete is set.</summary>
public sealed class YDeltaOp
{
    /// <summary>Inserted content: a string for text, an embed value, a nested type, or (arrays) a list of values.</summary>
    public object? Insert { get; init; }

    /// <summary>Number of units kept.</summary>
    public int? Retain { get; init; }

    /// <summary>Number of units deleted.</summary>
    public int? Delete { get; init; }

    /// <summary>Formatting attributes of an insert or retain (null when none).</summary>
    public Dictionary<string, object?>? Attributes { get; init; }

    /// <summary>The op as a yjs-style JSON object ({insert, attributes} / {retain} / {delete}).</summary>
    public Dictionary<string, object?> ToJson()
    {
        var d = new Dictionary<string, object?>();
        if (Insert != null)
        {
            d["insert"] = Insert is List<object?> list ? list.ConvertAll(AbstractType.ValueToJson) : AbstractType.ValueToJson(Insert);
        }

        if (Retain != null)
        {
            d["retain"] = (long)Retain.Value;
        }

        if (Delete != null)
        {
            d["delete"] = (long)Delete.Value;
        }

        if (Attributes != null)
        {
            d["attributes"] = Attributes;
        }

        return d;
    }
}

/// <summary>How a map key changed in a transaction.</summary>
public sealed record YKeyChange(string Action, object? OldValue);

/// <summary>An event describing the changes of one type in one transaction (yjs YEvent).</summary>
public class YEvent
{
    private Dictionary<string, YKeyChange>? _keys;
    private List<YDeltaOp>? _delta;
    private List<object>? _path;

    internal YEvent(AbstractType target, Transaction transaction)
    {
        Target = target;
        CurrentTarget = target;
        Transaction = transaction;
    }

    /// <summary>The type that changed.</summary>
    public AbstractType Target { get; }

    /// <summary>The type whose observer is being called (differs from Target for deep observers).</summary>
    public AbstractType CurrentTarget { get; internal set; }

    /// <summary>The transaction.</summary>
    public Transaction Transaction { get; }

    /// <summary>Path from CurrentTarget to Target: map keys (string) and array indexes (int).</summary>
    public IReadOnlyList<object> Path => _path ??= GetPathTo(CurrentTarget, Target);

    internal void ResetPath() => _path = null;

    /// <summary>Whether the struct was deleted in this transaction.</summary>
    internal bool Deletes(AbstractStruct s) => Transaction.DeleteSet.Contains(s.Id);

    /// <summary>Whether the struct was added in this transaction.</summary>
    internal bool Adds(AbstractStruct s) => s.Id.Clock >= Transaction.BeforeStateOf(s.Id.Client);

    /// <summary>Changed map keys with action "add", "update" or "delete" and the old value.</summary>
    public IReadOnlyDictionary<string, YKeyChange> Keys
    {
        get
        {
            if (_keys == null)
            {
                var keys = new Dictionary<string, YKeyChange>();
                if (Transaction.TryGetChanged(Target, out var changed))
                {
                    foreach (var key in changed)
                    {
                        if (key == null || !Target.Map.TryGetValue(key, out var item))
                        {
                            continue;
                        }

                        string action;
                        object? oldValue;
                        if (Adds(item))
                        {
                            var prev = item.Left;
                            while (prev != null && Adds(prev))
                            {
                                prev = prev.Left;
                            }

                            if (Deletes(item))
                            {
                                if (prev != null && Deletes(prev))
                                {
                                    action = "delete";
                                    oldValue = LastValue(prev);
                                }
                                else
                                {
                                    continue;
                                }
                            }
                            else if (prev != null && Deletes(prev))
                            {
                                action = "update";
                                oldValue = LastValue(prev);
                            }
                            else
                            {
                                action = "add";
                                oldValue = null;
                            }
                        }
                        else if (Deletes(item))
                        {
                            action = "delete";
                            oldValue = LastValue(item);
                        }
                        else
                        {
                            continue;
                        }

                        keys[key] = new YKeyChange(action, oldValue);
                    }
                }

                _keys = keys;
            }

            return _keys;
        }
    }

    private static object? LastValue(Item item)
    {
        var list = new List<object?>();
        item.Content.AppendContent(list);
        return list.Count > 0 ? list[^1] : null;
    }

    /// <summary>The list delta (inserted values, retains, deletes) of an array-like target.</summary>
    public virtual IReadOnlyList<YDeltaOp> Delta => _delta ??= ComputeListDelta();

    private List<YDeltaOp> ComputeListDelta()
    {
        var delta = new List<YDeltaOp>();
        if (!Transaction.TryGetChanged(Target, out var changed) || !changed.Contains(null))
        {
            return delta;
        }

        // accumulate: 0 none, 1 insert, 2 retain, 3 delete
        int kind = 0;
        List<object?>? ins = null;
        int count = 0;
        void Pack()
        {
            switch (kind)
            {
                case 1:
                    delta.Add(new YDeltaOp { Insert = ins });
                    break;
                case 2:
                    delta.Add(new YDeltaOp { Retain = count });
                    break;
                case 3:
                    delta.Add(new YDeltaOp { Delete = count });
                    break;
            }
        }

        for (var item = Target.Start; item != null; item = item.Right)
        {
            if (item.Deleted)
            {
                if (Deletes(item) && !Adds(item))
                {
                    if (kind != 3)
                    {
                        Pack();
                        kind = 3;
                        count = 0;
                    }

                    count += item.Length;
                }
            }
            else if (Adds(item))
            {
                if (kind != 1)
                {
                    Pack();
                    kind = 1;
                    ins = new List<object?>();
                }

                item.Content.AppendContent(ins!);
            }
            else
            {
                if (kind != 2)
                {
                    Pack();
                    kind = 2;
                    count = 0;
                }

                count += item.Length;
            }
        }

        if (kind != 0 && kind != 2)
        {
            Pack();
        }

        return delta;
    }

    private static List<object> GetPathTo(AbstractType parent, AbstractType child)
    {
        var path = new List<object>();
        while (child.ParentItem != null && child != parent)
        {
            if (child.ParentItem.ParentSub != null)
            {
                path.Insert(0, child.ParentItem.ParentSub);
            }
            else
            {
                int i = 0;
                var c = child.ParentItem.Parent!.Start;
                while (c != child.ParentItem && c != null)
                {
                    if (c.IsVisibleCountable)
                    {
                        i += c.Length;
                    }

                    c = c.Right;
                }

                path.Insert(0, i);
            }

            child = child.ParentItem.Parent!;
        }

        return path;
    }
}

/// <summary>Event of a <see cref="YArray"/>.</summary>
public sealed class YArrayEvent : YEvent
{
    internal YArrayEvent(AbstractType target, Transaction transaction)
        : base(target, transaction)
    {
    }
}

/// <summary>Event of a <see cref="YMap"/>: <see cref="KeysChanged"/> lists the keys touched.</summary>
public sealed class YMapEvent : YEvent
{
    internal YMapEvent(AbstractType target, Transaction transaction, HashSet<string?> subs)
        : base(target, transaction)
    {
        KeysChanged = new HashSet<string>();
        foreach (var s in subs)
        {
            if (s != null)
            {
                KeysChanged.Add(s);
            }
        }
    }

    /// <summary>Keys set or deleted in the transaction.</summary>
    public HashSet<string> KeysChanged { get; }
}

/// <summary>Event of XML types: child list and attribute changes.</summary>
public sealed class YXmlEvent : YEvent
{
    internal YXmlEvent(AbstractType target, Transaction transaction, HashSet<string?> subs)
        : base(target, transaction)
    {
        AttributesChanged = new HashSet<string>();
        foreach (var s in subs)
        {
            if (s == null)
            {
                ChildListChanged = true;
            }
            else
            {
                AttributesChanged.Add(s);
            }
        }
    }

    /// <summary>Whether children were inserted or deleted.</summary>
    public bool ChildListChanged { get; }

    /// <summary>Attributes set or removed.</summary>
    public HashSet<string> AttributesChanged { get; }
}
