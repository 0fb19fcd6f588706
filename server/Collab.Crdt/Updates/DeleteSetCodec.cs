using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>
/// The delete set at the end of a v1 update, as a map from client to ranges, with yjs's read, sort-and-merge and
/// write rules (clients written in descending order; ranges kept as read unless merged).
/// </summary>
internal static class DeleteSetCodec
{
    /// <summary>
    /// Reads a delete set and appends its ranges to <paramref name="into"/>, as yjs's <c>readDeleteSet</c> does:
    /// clients with no ranges are not added, a client listed twice gets both lists.
    /// </summary>
    public static void Read(ref Lib0Reader r, Dictionary<uint, List<ClockRange>> into)
    {
        ulong clients = r.ReadVarUInt();
        for (ulong i = 0; i < clients; i++)
        {
            uint client = r.ReadVarUInt32();
            int count = r.ReadVarUIntAsLength(2); // clock and length take a byte each at least
            if (count == 0)
            {
                continue;
            }

            if (!into.TryGetValue(client, out var ranges))
            {
                ranges = new List<ClockRange>(count);
                into[client] = ranges;
            }

            for (int j = 0; j < count; j++)
            {
                long at = r.Offset;
                uint clock = r.ReadVarUInt32();
                uint len = r.ReadVarUInt32();
                if ((ulong)clock + len > uint.MaxValue)
                {
                    throw new YjsFormatException($"Deleted range of client {client} exceeds clock 2^32", at);
                }

                ranges.Add(new ClockRange(clock, len));
            }
        }
    }

    /// <summary>Sorts each client's ranges by clock and joins overlapping or touching ones (yjs's sortAndMergeDeleteSet).</summary>
    public static void SortAndMerge(Dictionary<uint, List<ClockRange>> ds)
    {
        foreach (var ranges in ds.Values)
        {
            SortAndMerge(ranges);
        }
    }

    /// <summary>Sorts ranges by clock and joins overlapping or touching ones, in place.</summary>
    public static void SortAndMerge(List<ClockRange> ranges)
    {
        // Ranges with equal clocks always merge into the longest, so an unstable sort gives the same result.
        ranges.Sort(static (a, b) => a.Clock.CompareTo(b.Clock));
        int j = 1;
        for (int i = 1; i < ranges.Count; i++)
        {
            var left = ranges[j - 1];
            var right = ranges[i];
            if (left.End >= right.Clock)
            {
                ulong end = Math.Max(left.End, right.End);
                ranges[j - 1] = new ClockRange(left.Clock, (uint)(end - left.Clock));
            }
            else
            {
                ranges[j++] = right;
            }
        }

        if (ranges.Count > j)
        {
            ranges.RemoveRange(j, ranges.Count - j);
        }
    }

    /// <summary>Writes a delete set: client count, then per client (descending) its ranges as they are.</summary>
    public static void Write(Lib0Writer w, Dictionary<uint, List<ClockRange>> ds)
    {
        w.WriteVarUInt((ulong)ds.Count);
        foreach (uint client in SortedDescending(ds.Keys))
        {
            var ranges = ds[client];
            w.WriteVarUInt(client);
            w.WriteVarUInt((ulong)ranges.Count);
            foreach (var range in ranges)
            {
                w.WriteVarUInt(range.Clock);
                w.WriteVarUInt(range.Length);
            }
        }
    }

    /// <summary>Client ids in the descending order yjs writes them.</summary>
    public static uint[] SortedDescending(IEnumerable<uint> clients)
    {
        var sorted = clients.ToArray();
        Array.Sort(sorted);
        Array.Reverse(sorted);
        return sorted;
    }
}
