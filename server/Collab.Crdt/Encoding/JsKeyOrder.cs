namespace Collab.Crdt.Encoding;

/// <summary>
/// JavaScript enumerates an object's own keys with array-index keys ("0", "1", ... up to 2^32-2) first in ascending
/// numeric order, then the other keys in insertion order. Writers use this so encoded objects match lib0's bytes.
/// </summary>
internal static class JsKeyOrder
{
    public static List<KeyValuePair<string, object?>> Order(IEnumerable<KeyValuePair<string, object?>> entries)
    {
        var list = new List<KeyValuePair<string, object?>>(entries);
        bool anyIndex = false;
        foreach (var kv in list)
        {
            if (IsArrayIndex(kv.Key, out _))
            {
                anyIndex = true;
                break;
            }
        }

        if (!anyIndex)
        {
            return list;
        }

        var indexed = new List<(uint Index, KeyValuePair<string, object?> Entry)>();
        var rest = new List<KeyValuePair<string, object?>>();
        foreach (var kv in list)
        {
            if (IsArrayIndex(kv.Key, out uint idx))
            {
                indexed.Add((idx, kv));
            }
            else
            {
                rest.Add(kv);
            }
        }

        indexed.Sort((a, b) => a.Index.CompareTo(b.Index));
        var result = new List<KeyValuePair<string, object?>>(list.Count);
        foreach (var e in indexed)
        {
            result.Add(e.Entry);
        }

        result.AddRange(rest);
        return result;
    }

    /// <summary>Canonical array index: no leading zeros (except "0"), value below 2^32 - 1.</summary>
    public static bool IsArrayIndex(string key, out uint index)
    {
        index = 0;
        if (key.Length == 0 || key.Length > 10 || (key.Length > 1 && key[0] == '0'))
        {
            return false;
        }

        ulong v = 0;
        foreach (char c in key)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }

            v = (v * 10) + (ulong)(c - '0');
        }

        if (v >= uint.MaxValue)
        {
            return false;
        }

        index = (uint)v;
        return true;
    }
}
