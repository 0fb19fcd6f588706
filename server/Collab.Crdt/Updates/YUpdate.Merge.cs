using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>Below this many inputs the head order is computed the way V8 sorts short arrays (see <see cref="OrderHeads"/>).</summary>
    private const int ShortSortLimit = 64;

    /// <summary>
    /// Merges v1 updates into one without a document: the same bytes as yjs's <c>mergeUpdates</c>. Structs of all
    /// inputs are written per client in clock order, overlaps are written once, gaps become Skip structs, and the
    /// delete sets are united (sorted and joined per client). A single update is returned as it is (after checking it).
    /// </summary>
    /// <exception cref="YjsFormatException">An input is malformed; the message names the byte offset.</exception>
    public static byte[] Merge(IEnumerable<byte[]> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        var inputs = updates as IReadOnlyList<byte[]> ?? updates.ToList();
        if (inputs.Count == 1)
        {
            ArgumentNullException.ThrowIfNull(inputs[0], nameof(updates));
            Walk(inputs[0], null);
            return inputs[0];
        }

        var readers = new UpdateStructReader[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(updates));
            readers[i] = new UpdateStructReader(inputs[i], skipSkips: true);
        }

        var writer = new LazyStructWriter();
        MergeStructs(readers, writer);
        var output = new Lib0Writer((int)Math.Min(inputs.Sum(static u => (long)u.Length) + 16, 1 << 24));
        writer.Finish(output);

        var deleteSets = new DeleteSet[readers.Length];
        for (int i = 0; i < readers.Length; i++)
        {
            DrainStructs(readers[i]);
            var r = new Lib0Reader(readers[i].Data.AsSpan(readers[i].Position), readers[i].Position);
            deleteSets[i] = DeleteSet.Read(ref r);
        }

        DeleteSet.Merge(deleteSets).Write(output);
        return output.ToArray();
    }

    /// <summary>The struct part of yjs's <c>mergeUpdatesV2</c>, step for step.</summary>
    private static void MergeStructs(UpdateStructReader[] readers, LazyStructWriter writer)
    {
        // heads[head..count) are the readers that still have structs, in yjs's sorted order.
        var heads = (UpdateStructReader[])readers.Clone();
        int head = 0;
        int count = heads.Length;
        bool sorted = false;
        bool hasWrite = false;
        UpdateStruct write = default;
        while (true)
        {
            (head, count) = OrderHeads(heads, head, count, sorted);
            sorted = true;
            if (count == head)
            {
                break;
            }

            var dec = heads[head];
            uint firstClient = dec.Current.Client;
            if (hasWrite)
            {
                bool iterated = false;

                // Skip what has been written already (higher clients are written first).
                while (dec.HasCurrent && dec.Current.End <= write.End && dec.Current.Client >= write.Client)
                {
                    dec.Next();
                    iterated = true;
                }

                if (!dec.HasCurrent || dec.Current.Client != firstClient || (iterated && dec.Current.Clock > write.End))
                {
                    continue;
                }

                var curr = dec.Current;
                if (firstClient != write.Client)
                {
                    writer.Write(write, 0);
                    write = curr;
                    dec.Next();
                }
                else if (write.End < curr.Clock)
                {
                    if (write.Kind == StructKind.Skip)
                    {
                        // Extend the skip over curr, as yjs does.
                        write.Length = (uint)(curr.End - write.Clock);
                    }
                    else
                    {
                        writer.Write(write, 0);
                        write = MakeSkip(firstClient, (uint)write.End, (uint)(curr.Clock - write.End));
                    }
                }
                else
                {
                    uint diff = (uint)(write.End - curr.Clock);
                    if (diff > 0)
                    {
                        if (write.Kind == StructKind.Skip)
                        {
                            if (diff > write.Length)
                            {
                                // Only reachable with clients out of order inside an update; yjs would write a
                                // negative length here.
                                throw new YjsFormatException($"Structs of client {firstClient} overlap out of order");
                            }

                            write.Length -= diff;
                        }
                        else
                        {
                            curr = curr.SliceFrom(diff);
                        }
                    }

                    if (!TryAppend(ref write, curr))
                    {
                        writer.Write(write, 0);
                        write = curr;
                        dec.Next();
                    }
                }
            }
            else
            {
                write = dec.Current;
                hasWrite = true;
                dec.Next();
            }

            for (; dec.HasCurrent && dec.Current.Client == firstClient && dec.Current.Clock == write.End
                   && dec.Current.Kind != StructKind.Skip; dec.Next())
            {
                writer.Write(write, 0);
                write = dec.Current;
            }
        }

        if (hasWrite)
        {
            writer.Write(write, 0);
        }
    }

    /// <summary>yjs's <c>mergeWith</c> in this setting: GC runs join; items never do (their right neighbour is unknown).</summary>
    private static bool TryAppend(ref UpdateStruct left, in UpdateStruct right)
    {
        if (left.Kind == StructKind.Gc && right.Kind == StructKind.Gc)
        {
            left.Length += right.Length;
            return true;
        }

        return false;
    }

    private static UpdateStruct MakeSkip(uint client, uint clock, uint length) => new()
    {
        Kind = StructKind.Skip,
        ContentRef = StructCodec.RefSkip,
        Client = client,
        Clock = clock,
        Length = length,
    };

    /// <summary>
    /// yjs's order of the decoders: higher client first, then lower clock, then Skip last. The comparator treats
    /// a GC and an item at the same id as each less than the other, so the order then depends on the sorting
    /// algorithm: below <see cref="ShortSortLimit"/> heads this replays what V8's TimSort does for short arrays
    /// (one natural run, then binary insertion). Above it, only the head that moved is re-inserted, which is
    /// the same result whenever the comparator is consistent.
    /// </summary>
    private static (int Head, int Count) OrderHeads(UpdateStructReader[] heads, int head, int count, bool sorted)
    {
        if (!sorted)
        {
            // Drop readers that were empty from the start, keeping order (yjs's filter).
            int kept = head;
            for (int i = head; i < count; i++)
            {
                if (heads[i].HasCurrent)
                {
                    heads[kept++] = heads[i];
                }
            }

            count = kept;
        }
        else if (count > head && !heads[head].HasCurrent)
        {
            // Only the head reader advances between sorts, so only it can have run out.
            head++;
        }

        int n = count - head;
        if (n < 2)
        {
            return (head, count);
        }

        if (n < ShortSortLimit)
        {
            V8ShortSort(heads, head, count);
        }
        else if (!sorted)
        {
            MergeSort(heads, head, count);
        }
        else
        {
            ReinsertHead(heads, head, count);
        }

        return (head, count);
    }

    private static int CompareHeads(UpdateStructReader a, UpdateStructReader b)
    {
        ref readonly var x = ref a.Current;
        ref readonly var y = ref b.Current;
        if (x.Client == y.Client)
        {
            if (x.Clock != y.Clock)
            {
                return x.Clock < y.Clock ? -1 : 1;
            }

            return x.Kind == y.Kind ? 0 : x.Kind == StructKind.Skip ? 1 : -1;
        }

        return x.Client > y.Client ? -1 : 1;
    }

    /// <summary>V8's TimSort for fewer than 64 elements: count (and reverse) the first run, then binary insertion.</summary>
    private static void V8ShortSort(UpdateStructReader[] a, int low, int high)
    {
        int run = 2;
        bool descending = CompareHeads(a[low + 1], a[low]) < 0;
        var previous = a[low + 1];
        for (int i = low + 2; i < high; i++)
        {
            int order = CompareHeads(a[i], previous);
            if (descending ? order >= 0 : order < 0)
            {
                break;
            }

            previous = a[i];
            run++;
        }

        if (descending)
        {
            Array.Reverse(a, low, run);
        }

        for (int start = low + run; start < high; start++)
        {
            var pivot = a[start];
            int left = low;
            int right = start;
            while (left < right)
            {
                int mid = left + ((right - left) >> 1);
                if (CompareHeads(pivot, a[mid]) < 0)
                {
                    right = mid;
                }
                else
                {
                    left = mid + 1;
                }
            }

            Array.Copy(a, left, a, left + 1, start - left);
            a[left] = pivot;
        }
    }

    /// <summary>Stable merge sort of a[low..high).</summary>
    private static void MergeSort(UpdateStructReader[] a, int low, int high)
    {
        var tmp = new UpdateStructReader[high - low];
        for (int width = 1; width < high - low; width *= 2)
        {
            for (int lo = low; lo < high - width; lo += 2 * width)
            {
                int mid = lo + width;
                int hi = Math.Min(lo + (2 * width), high);
                int i = lo, j = mid, k = 0;
                while (i < mid && j < hi)
                {
                    tmp[k++] = CompareHeads(a[j], a[i]) < 0 ? a[j++] : a[i++];
                }

                while (i < mid)
                {
                    tmp[k++] = a[i++];
                }

                while (j < hi)
                {
                    tmp[k++] = a[j++];
                }

                Array.Copy(tmp, 0, a, lo, k);
            }
        }
    }

    /// <summary>Moves the head (which advanced) to its place among the sorted rest, before its equals (stability).</summary>
    private static void ReinsertHead(UpdateStructReader[] a, int head, int count)
    {
        var moved = a[head];
        int left = head + 1;
        int right = count;
        while (left < right)
        {
            int mid = left + ((right - left) >> 1);
            if (CompareHeads(a[mid], moved) < 0)
            {
                left = mid + 1;
            }
            else
            {
                right = mid;
            }
        }

        Array.Copy(a, head + 1, a, head, left - head - 1);
        a[left - 1] = moved;
    }
}
