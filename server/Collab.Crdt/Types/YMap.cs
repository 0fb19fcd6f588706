using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Types;

/// <summary>
/// A shared map (yjs Y.Map). Values: null, bool, numbers, strings, byte[], string-keyed dictionaries, lists,
/// <see cref="YUndefined"/>, nested types (e.g. <c>new YText("x")</c>) and subdocuments (<see cref="YDoc"/>).
/// </summary>
public class YMap : AbstractType
{
    private Dictionary<string, object?>? _prelim = new();

    /// <summary>Creates a preliminary map; insert it into a document to use it.</summary>
    public YMap()
    {
    }

    /// <summary>Creates a preliminary map with content written when it is inserted.</summary>
    public YMap(IEnumerable<KeyValuePair<string, object?>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var kv in entries)
        {
            _prelim![kv.Key] = kv.Value;
        }
    }

    /// <summary>Number of keys with a value.</summary>
    public int Count
    {
        get
        {
            if (_prelim != null && Doc == null)
            {
                return _prelim.Count;
            }

            int n = 0;
            foreach (var kv in Map)
            {
                if (!kv.Value.Deleted)
                {
                    n++;
                }
            }

            return n;
        }
    }

    /// <summary>Keys with a value, in insertion order.</summary>
    public IEnumerable<string> Keys
    {
        get
        {
            foreach (var kv in Map)
            {
                if (!kv.Value.Deleted)
                {
                    yield return kv.Key;
                }
            }
        }
    }

    /// <summary>Sets a key (in its own transaction unless inside Transact).</summary>
    public void Set(string key, object? value)
    {
        if (Doc == null)
        {
            _prelim![key] = value;
            return;
        }

        Doc.Transact(t => MapSet(t, key, value));
    }

    /// <summary>The value of a key, or null when absent (use <see cref="ContainsKey"/> to tell null from absent).</summary>
    public object? Get(string key) => Doc == null ? _prelim!.GetValueOrDefault(key) : MapGet(key);

    /// <summary>Whether the key has a value.</summary>
    public bool ContainsKey(string key) => Doc == null ? _prelim!.ContainsKey(key) : MapHas(key);

    /// <summary>Deletes a key.</summary>
    public void Delete(string key)
    {
        if (Doc == null)
        {
            _prelim!.Remove(key);
            return;
        }

        Doc.Transact(t => MapDelete(t, key));
    }

    /// <summary>Deletes every key.</summary>
    public void Clear()
    {
        if (Doc == null)
        {
            _prelim!.Clear();
            return;
        }

        Doc.Transact(t =>
        {
            foreach (var k in Keys.ToList())
            {
                MapDelete(t, k);
            }
        });
    }

    /// <summary>Current entries (nested types as objects, not JSON).</summary>
    public Dictionary<string, object?> Entries() => MapGetAll();

    /// <summary>The map's entries at a snapshot (document with gc off).</summary>
    public Dictionary<string, object?> ToJson(YSnapshot snapshot)
    {
        var res = new Dictionary<string, object?>();
        foreach (var kv in MapGetAll(snapshot))
        {
            res[kv.Key] = ValueToJson(kv.Value);
        }

        return OrderKeys(res);
    }

    /// <inheritdoc />
    public override object? ToJson()
    {
        var res = new Dictionary<string, object?>();
        foreach (var kv in Map)
        {
            if (!kv.Value.Deleted)
            {
                res[kv.Key] = ValueToJson(kv.Value.Content.GetValue(kv.Value.Length - 1));
            }
        }

        return OrderKeys(res);
    }

    internal static Dictionary<string, object?> OrderKeys(Dictionary<string, object?> d)
    {
        var ordered = JsKeyOrder.Order(d);
        if (ordered.Count == d.Count)
        {
            bool same = true;
            int i = 0;
            foreach (var k in d.Keys)
            {
                if (!ReferenceEquals(k, ordered[i++].Key))
                {
                    same = false;
                    break;
                }
            }

            if (same)
            {
                return d;
            }
        }

        var res = new Dictionary<string, object?>(ordered.Count);
        foreach (var kv in ordered)
        {
            res[kv.Key] = kv.Value;
        }

        return res;
    }

    internal override AbstractType CopyEmpty() => new YMap();

    internal override void WriteTypeRef(UpdateEncoder encoder) => encoder.WriteTypeRef(1);

    internal override void IntegrateInto(YDoc doc, Structs.Item? item)
    {
        base.IntegrateInto(doc, item);
        var prelim = _prelim;
        _prelim = null;
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

    internal override void CallObserver(Transaction transaction, HashSet<string?> parentSubs)
    {
        base.CallObserver(transaction, parentSubs);
        if (HasAnyObserver())
        {
            CallTypeObservers(transaction, new YMapEvent(this, transaction, parentSubs));
        }
    }
}
