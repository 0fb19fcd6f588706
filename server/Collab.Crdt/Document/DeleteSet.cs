using System.Runtime.InteropServices;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Document;

/// <summary>A deleted clock range of one client.</summary>
public readonly record struct DeleteRange(uint Clock, uint Length)
{
    /// <summary>Clock just past the range.</summary>
    public uint End => Clock + Length;
}

/// <summary>Deleted clock ranges per client (yjs DeleteSet). Ranges are sorted and merged by <see cref="SortAndMerge()"/>.</summary>
public sealed class DeleteSet
{
    internal Dictionary<uint, List<DeleteRange>> Clients { get; } = new();

    /// <summary>Clients with at least one range, and their ranges.</summary>
    public IReadOnlyDictionary<uint, List<DeleteRange>> Ranges => Clients;

    /// <summary>Whether no client has a range.</summary>
    public bool IsEmpty => Clients.Count == 0;

    internal void Add(uint client, uint clock, uint length)
    {
        if (!Clients.TryGetValue(client, out var list))
        {
            list = new List<DeleteRange>(2);
            Clients[client] = list;
        }

        list.Add(new DeleteRange(clock, length));
    }

    /// <summary>Whether the id lies in a deleted range (ranges must be sorted).</summary>
    public bool Contains(ItemId id) =>
        Clients.TryGetValue(id.Client, out var dis) && FindIndex(CollectionsMarshal.AsSpan(dis), id.Clock) >= 0;

    internal static int FindIndex(ReadOnlySpan<DeleteRange> dis, uint clock)
    {
        int left = 0;
        int right = dis.Length - 1;
        while (left <= right)
        {
            int midIndex = (left + right) / 2;
            var mid = dis[midIndex];
            if (mid.Clock <= clock)
            {
                if (clock < mid.Clock + mid.Length)
                {
                    return midIndex;
                }

                left = midIndex + 1;
            }
            else
            {
                right = midIndex - 1;
            }
        }

        return -1;
    }

    /// <summary>Sorts each client's ranges by clock and merges overlapping or adjacent ones.</summary>
    public void SortAndMerge()
    {
        foreach (var kv in Clients)
        {
            SortAndMerge(kv.Value);
        }
    }

    internal static void SortAndMerge(List<DeleteRange> dels)
    {
        if (dels.Count > 1)
        {
            var span = CollectionsMarshal.AsSpan(dels);
            bool sorted = true;
            for (int k = 1; k < span.Length; k++)
            {
                if (span[k - 1].Clock > span[k].Clock)
                {
                    sorted = false;
                    break;
                }
            }

            if (!sorted)
            {
                span.Sort(static (a, b) => a.Clock.CompareTo(b.Clock));
            }
        }

        int i, j;
        for (i = 1, j = 1; i < dels.Count; i++)
        {
            var left = dels[j - 1];
            var right = dels[i];
            if (left.Clock + left.Length >= right.Clock)
            {
                dels[j - 1] = new DeleteRange(left.Clock, Math.Max(left.Length, right.Clock + right.Length - left.Clock));
            }
            else
            {
                if (j < i)
                {
                    dels[j] = right;
                }

                j++;
            }
        }

        if (j < dels.Count)
        {
            dels.RemoveRange(j, dels.Count - j);
        }
    }

    /// <summary>Union of several delete sets (yjs mergeDeleteSets).</summary>
    public static DeleteSet Merge(IReadOnlyList<DeleteSet> sets)
    {
        var merged = new DeleteSet();
        for (int i = 0; i < sets.Count; i++)
        {
            foreach (var kv in sets[i].Clients)
            {
                if (!merged.Clients.ContainsKey(kv.Key))
                {
                    var dels = new List<DeleteRange>(kv.Value);
                    for (int k = i + 1; k < sets.Count; k++)
                    {
                        if (sets[k].Clients.TryGetValue(kv.Key, out var more))
                        {
                            dels.AddRange(more);
                        }
                    }

                    merged.Clients[kv.Key] = dels;
                }
            }
        }

        merged.SortAndMerge();
        return merged;
    }

    /// <summary>The delete set of everything deleted in a struct store (yjs createDeleteSetFromStructStore).</summary>
    internal static DeleteSet FromStore(StructStore store)
    {
        var ds = new DeleteSet();
        foreach (var kv in store.Clients)
        {
            var structs = kv.Value;
            List<DeleteRange>? items = null;
            for (int i = 0; i < structs.Count; i++)
            {
                var s = structs[i];
                if (s.Deleted)
                {
                    uint clock = s.Id.Clock;
                    uint len = (uint)s.Length;
                    while (i + 1 < structs.Count && structs[i + 1].Deleted)
                    {
                        i++;
                        len += (uint)structs[i].Length;
                    }

                    (items ??= new List<DeleteRange>()).Add(new DeleteRange(clock, len));
                }
            }

            if (items != null)
            {
                ds.Clients[kv.Key] = items;
            }
        }

        return ds;
    }

    /// <summary>Writes the delete set: clients in descending order, then (clock, len) per range.</summary>
    internal void Write(UpdateEncoder encoder)
    {
        var w = encoder.Rest;
        w.WriteVarUInt((ulong)Clients.Count);
        if (Clients.Count == 0)
        {
            return;
        }

        var keys = new uint[Clients.Count];
        Clients.Keys.CopyTo(keys, 0);
        Array.Sort(keys, static (a, b) => b.CompareTo(a));
        foreach (uint client in keys)
        {
            var items = Clients[client];
            encoder.ResetDsCurVal();
            w.WriteVarUInt(client);
            w.WriteVarUInt((ulong)items.Count);
            foreach (var it in items)
            {
                encoder.WriteDsClock(it.Clock);
                encoder.WriteDsLen(it.Length);
            }
        }
    }

    /// <summary>Reads a delete set (yjs readDeleteSet); ranges are kept as written.</summary>
    internal static DeleteSet Read<TR>(ref TR r)
        where TR : IUpdateReader, allows ref struct => Read(ref r, strict: false);

    /// <summary>
    /// Reads a delete set (yjs readDeleteSet); ranges are kept as written. With <paramref name="strict"/>, refuses
    /// what yjs cannot keep: a range of length 0 (yjs's v2 encoder throws on it when the range is kept as a pending
    /// delete set, so every peer it reaches fails on it), and ranges of a client that are not in ascending clock order
    /// without overlap (v2 encodes each range as a non-negative distance from the end of the previous one: yjs writes
    /// such pending ranges as garbage). A v2 update cannot express either; yjs never writes them in v1.
    /// </summary>
    internal static DeleteSet Read<TR>(ref TR r, bool strict)
        where TR : IUpdateReader, allows ref struct
    {
        var ds = new DeleteSet();
        int numClients = r.ReadCount(2);
        for (int i = 0; i < numClients; i++)
        {
            r.ResetDsCurVal();
            uint client = r.ReadRestVarUInt32();
            int n = r.ReadCount(2);
            if (n > 0)
            {
                if (!ds.Clients.TryGetValue(client, out var list))
                {
                    list = new List<DeleteRange>(Math.Min(n, 4096));
                    ds.Clients[client] = list;
                }

                for (int k = 0; k < n; k++)
                {
                    long start = r.Offset;
                    uint clock = r.ReadDsClock();
                    uint len = r.ReadDsLen();
                    if ((ulong)clock + len > uint.MaxValue)
                    {
                        throw new YjsFormatException("Delete range exceeds the clock space", start);
                    }

                    if (strict)
                    {
                        if (len == 0)
                        {
                            throw new YjsFormatException($"Delete range of length 0 (client {client}, clock {clock})", start);
                        }

                        if (list.Count > 0 && clock < list[^1].End)
                        {
                            throw new YjsFormatException($"Delete ranges of client {client} are not in ascending order without overlap (clock {clock} after a range ending at {list[^1].End})", start);
                        }
                    }

                    list.Add(new DeleteRange(clock, len));
                }
            }
        }

        return ds;
    }

    /// <summary>Encodes this delete set as a v1 update with no structs.</summary>
    internal byte[] ToUpdate()
    {
        var encoder = new UpdateEncoderV1(new Lib0Writer(32));
        encoder.Rest.WriteVarUInt(0);
        Write(encoder);
        return encoder.ToArray();
    }
}
