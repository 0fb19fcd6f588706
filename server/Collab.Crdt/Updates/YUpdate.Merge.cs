using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>Below this many heads V8 sorts by binary insertion: cheap enough to replay at every step.</summary>
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
            deleteSets[i] = ReadDeleteSet(readers[i].Data, readers[i].Position, out _);
        }

        WriteDeleteSet(output, DeleteSet.Merge(deleteSets));
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
        var state = new MergeHeads();
        bool hasWrite = false;
        UpdateStruct write = default;
        while (true)
        {
            (head, count) = OrderHeads(state, heads, head, count, sorted);
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
    /// yjs's order of the decoders: higher client first, then lower clock, then Skip last (re-sorted at every step).
    /// The comparator treats a GC run and an item at the same id as each less than the other, so while such a pair
    /// is among the heads only V8's own algorithm gives yjs's order; <see cref="V8ArraySort{T}"/> replays it. Otherwise
    /// (the common case) the comparator is consistent, every stable sort agrees, and with 64 heads or more only the
    /// head that moved is re-inserted.
    /// </summary>
    private static (int Head, int Count) OrderHeads(MergeHeads state, UpdateStructReader[] heads, int head, int count, bool sorted)
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
            state.Ties = false;
            return (head, count);
        }

        if (!sorted || n < ShortSortLimit || state.Ties || TiesWithRest(heads, head, count))
        {
            state.Sorter.Sort(heads, head, count);
            state.Ties = HasAdjacentTie(heads, head, count);
        }
        else
        {
            ReinsertHead(heads, head, count);
        }

        return (head, count);
    }

    /// <summary>The sorter, and whether a GC run and an item start at the same id among the heads.</summary>
    private sealed class MergeHeads
    {
        public V8ArraySort<UpdateStructReader> Sorter { get; } = new(CompareHeads);

        public bool Ties { get; set; }
    }

    /// <summary>Whether the head (which moved) starts at the id of a head of the other kind, among sorted heads without ties.</summary>
    private static bool TiesWithRest(UpdateStructReader[] a, int head, int count)
    {
        ref readonly var moved = ref a[head].Current;
        int left = head + 1;
        int right = count;
        while (left < right)
        {
            int mid = left + ((right - left) >> 1);
            if (CompareIds(a[mid].Current, moved) < 0)
            {
                left = mid + 1;
            }
            else
            {
                right = mid;
            }
        }

        for (int i = left; i < count && CompareIds(a[i].Current, moved) == 0; i++)
        {
            if (a[i].Current.Kind != moved.Kind)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether neighbours start at the same id with different kinds (same ids end up adjacent after sorting).</summary>
    private static bool HasAdjacentTie(UpdateStructReader[] a, int head, int count)
    {
        for (int i = head + 1; i < count; i++)
        {
            if (CompareIds(a[i - 1].Current, a[i].Current) == 0 && a[i - 1].Current.Kind != a[i].Current.Kind)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>yjs's order of ids: higher client first, then lower clock.</summary>
    private static int CompareIds(in UpdateStruct x, in UpdateStruct y) =>
        x.Client != y.Client ? (x.Client > y.Client ? -1 : 1) : x.Clock.CompareTo(y.Clock);

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
