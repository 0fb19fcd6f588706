using System.Collections;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Types;

/// <summary>
/// A tiny insertion-ordered map with JavaScript Map semantics (delete then set moves a key to the end), used for
/// formatting attributes where the order decides which format items are created first.
/// </summary>
internal sealed class AttributeMap : IEnumerable<KeyValuePair<string, object?>>
{
    private static readonly List<KeyValuePair<string, object?>> Empty = new();

    // allocated on first Set: most positions in plain text carry no formatting
    private List<KeyValuePair<string, object?>>? _list;

    public AttributeMap()
    {
    }

    public AttributeMap(AttributeMap other)
    {
        if (other._list is { Count: > 0 })
        {
            _list = new List<KeyValuePair<string, object?>>(other._list);
        }
    }

    public int Count => _list?.Count ?? 0;

    private List<KeyValuePair<string, object?>> _entries => _list ?? Empty;

    private int IndexOf(string key)
    {
        if (_list == null)
        {
            return -1;
        }

        for (int i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }

    public bool TryGet(string key, out object? value)
    {
        int i = IndexOf(key);
        value = i >= 0 ? _entries[i].Value : null;
        return i >= 0;
    }

    /// <summary>JS <c>map.get(key) ?? null</c>.</summary>
    public object? GetOrNull(string key) => TryGet(key, out var v) && v is not YUndefined ? v : null;

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public void Set(string key, object? value)
    {
        int i = IndexOf(key);
        if (i >= 0)
        {
            _list![i] = new KeyValuePair<string, object?>(key, value);
        }
        else
        {
            (_list ??= new List<KeyValuePair<string, object?>>()).Add(new KeyValuePair<string, object?>(key, value));
        }
    }

    public bool Remove(string key)
    {
        int i = IndexOf(key);
        if (i >= 0)
        {
            _list!.RemoveAt(i);
            return true;
        }

        return false;
    }

    public List<KeyValuePair<string, object?>> Snapshot() => new(_entries);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>As a plain object (JavaScript key order), skipping null values when asked.</summary>
    public Dictionary<string, object?> ToDictionary(bool skipNulls)
    {
        var d = new Dictionary<string, object?>();
        foreach (var kv in JsKeyOrder.Order(_entries))
        {
            if (!skipNulls || kv.Value != null)
            {
                d[kv.Key] = kv.Value;
            }
        }

        return d;
    }
}

/// <summary>JavaScript equality helpers for attribute values.</summary>
internal static class JsEquality
{
    /// <summary>JS <c>===</c>: primitives by value (numbers numerically), objects by reference.</summary>
    public static bool StrictEquals(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null)
        {
            return false;
        }

        if (a is string sa)
        {
            return b is string sb && sa == sb;
        }

        if (a is bool ba)
        {
            return b is bool bb && ba == bb;
        }

        if (IsNumber(a) && IsNumber(b))
        {
            return Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture) == Convert.ToDouble(b, System.Globalization.CultureInfo.InvariantCulture);
        }

        return false;
    }

    public static bool IsNumber(object o) => o is long or int or double or float or short or ushort or uint or ulong or byte or sbyte or decimal;

    /// <summary>yjs equalAttrs: strict equality, or a flat comparison of two objects/arrays.</summary>
    public static bool EqualAttrs(object? a, object? b)
    {
        if (StrictEquals(a, b))
        {
            return true;
        }

        if (a is IReadOnlyDictionary<string, object?> da && b is IReadOnlyDictionary<string, object?> db)
        {
            if (da.Count != db.Count)
            {
                return false;
            }

            foreach (var kv in da)
            {
                if (!db.TryGetValue(kv.Key, out var bv) || !StrictEquals(bv, kv.Value))
                {
                    return false;
                }
            }

            return true;
        }

        if (a is IList la && b is IList lb && a is not string && b is not string)
        {
            if (la.Count != lb.Count)
            {
                return false;
            }

            for (int i = 0; i < la.Count; i++)
            {
                if (!StrictEquals(la[i], lb[i]))
                {
                    return false;
                }
            }

            return true;
        }

        return false;
    }
}
