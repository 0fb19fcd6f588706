using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Document;

/// <summary>Structs updates carried that could not be integrated yet, and the lowest missing clock per client.</summary>
internal sealed class PendingStructs
{
    public PendingStructs(Dictionary<uint, uint> missing, byte[] update, Dictionary<uint, (uint Low, uint High)> ranges)
    {
        Missing = missing;
        Update = update;
        Ranges = ranges;
    }

    public Dictionary<uint, uint> Missing { get; }

    /// <summary>A v1 update (no deletes) holding the pending structs.</summary>
    public byte[] Update { get; set; }

    /// <summary>Per client, the first clock and the clock after the last of the pending structs.</summary>
    public Dictionary<uint, (uint Low, uint High)> Ranges { get; }

    /// <summary>Adds the clock ranges of <paramref name="other"/> (after merging its update into this one).</summary>
    public void AddRanges(PendingStructs other)
    {
        foreach (var kv in other.Ranges)
        {
            Ranges[kv.Key] = Ranges.TryGetValue(kv.Key, out var r)
                ? (Math.Min(r.Low, kv.Value.Low), Math.Max(r.High, kv.Value.High))
                : kv.Value;
        }
    }

    /// <summary>
    /// Drops the pending structs (or their parts) whose clocks the store already has. They were integrated from
    /// another update after this copy went pending: the copy must never be retried, served or merged over them.
    /// Returns false when nothing is left. Valid input never gets here (a struct goes pending only beyond the state
    /// of its client, and its own client's state cannot pass it while it waits).
    /// </summary>
    public bool PruneIntegrated(StructStore store)
    {
        Dictionary<uint, uint>? sv = null;
        foreach (var kv in Ranges)
        {
            if (kv.Value.Low < store.GetState(kv.Key))
            {
                sv = store.GetStateVector();
                break;
            }
        }

        if (sv is null)
        {
            return true;
        }

        Update = YUpdate.Diff(Update, sv);
        var clients = new List<uint>(Ranges.Keys);
        foreach (uint client in clients)
        {
            var (low, high) = Ranges[client];
            uint state = sv.GetValueOrDefault(client);
            if (high <= state)
            {
                Ranges.Remove(client);
            }
            else if (low < state)
            {
                Ranges[client] = (state, high);
            }
        }

        return Ranges.Count > 0;
    }
}

/// <summary>Per client, the structs ordered by clock with no gaps (yjs StructStore).</summary>
internal sealed class StructStore
{
    public Dictionary<uint, List<AbstractStruct>> Clients { get; } = new();

    public PendingStructs? PendingStructs { get; set; }

    /// <summary>Deletes that refer to clocks not known yet (kept unsorted, as yjs keeps them).</summary>
    public DeleteSet? PendingDs { get; set; }

    public uint GetState(uint client)
    {
        if (!Clients.TryGetValue(client, out var structs))
        {
            return 0;
        }

        var last = structs[^1];
        return last.EndClock;
    }

    public Dictionary<uint, uint> GetStateVector()
    {
        var sv = new Dictionary<uint, uint>(Clients.Count);
        foreach (var kv in Clients)
        {
            sv[kv.Key] = kv.Value[^1].EndClock;
        }

        return sv;
    }

    // Capacities for the lists of clients that have none yet, set while a long update integrates (see Reserve).
    private Dictionary<uint, int>? _reserved;

    /// <summary>
    /// Makes room for about <paramref name="count"/> more structs of <paramref name="client"/> (a snapshot applied to an
    /// empty document): its list is sized once instead of doubling its way there, copying itself each time.
    /// </summary>
    public void Reserve(uint client, int count)
    {
        if (Clients.TryGetValue(client, out var structs))
        {
            structs.EnsureCapacity(structs.Count + count);
        }
        else
        {
            (_reserved ??= new Dictionary<uint, int>())[client] = count;
        }
    }

    /// <summary>Forgets reservations no struct took (the update's structs went pending).</summary>
    public void ClearReservations() => _reserved = null;

    public void AddStruct(AbstractStruct s, Transaction transaction)
    {
        if (!Clients.TryGetValue(s.Id.Client, out var structs))
        {
            structs = _reserved is not null && _reserved.Remove(s.Id.Client, out int capacity)
                ? new List<AbstractStruct>(capacity)
                : new List<AbstractStruct>();
            Clients[s.Id.Client] = structs;
            transaction.RecordStateChange(s.Id.Client, 0);
        }
        else
        {
            var last = structs[^1];
            if (last.EndClock != s.Id.Clock)
            {
                throw new InvalidOperationException("Struct store integrity: clocks must be contiguous");
            }

            transaction.RecordStateChange(s.Id.Client, s.Id.Clock);
        }

        structs.Add(s);
    }

    /// <summary>
    /// Index of the struct containing <paramref name="clock"/> (yjs findIndexSS, with its pivot guess). The last struct
    /// is taken whenever it holds the clock, not only when it starts there: an update read in clock order names the
    /// struct just integrated for about a third of its origins (the same answer, without the search).
    /// </summary>
    public static int FindIndex(List<AbstractStruct> structs, uint clock)
    {
        var span = CollectionsMarshal.AsSpan(structs);
        int left = 0;
        int right = span.Length - 1;
        var mid = span[right];
        uint midClock = mid.Id.Clock;
        if (clock >= midClock && clock - midClock < (uint)mid.Length)
        {
            return right;
        }

        long denom = (long)midClock + mid.Length - 1;
        int midIndex = denom > 0 ? (int)Math.Floor((double)clock / denom * right) : 0;
        if (midIndex < 0 || midIndex > right)
        {
            midIndex = (left + right) / 2;
        }

        while (left <= right)
        {
            mid = span[midIndex];
            midClock = mid.Id.Clock;
            if (midClock <= clock)
            {
                if (clock < midClock + (uint)mid.Length)
                {
                    return midIndex;
                }

                left = midIndex + 1;
            }
            else
            {
                right = midIndex - 1;
            }

            midIndex = (left + right) / 2;
        }

        throw new InvalidOperationException($"Struct store has no struct at clock {clock}");
    }

    // The indexes the last two lookups by id found (any client's list): integrating a long update, the structs read
    // in clock order often name the same neighbour as the struct before them (typed at the same place). A hint is
    // only a guess, taken when the struct at that index of the list holds the clock — then it is the answer — so
    // whatever changed the lists since, it can never give a wrong one.
    private int _hint0;
    private int _hint1;

    /// <summary><see cref="FindIndex"/> trying the indexes of the last lookups (and the ones after them) first.</summary>
    private int FindIndexHinted(List<AbstractStruct> structs, uint clock)
    {
        var span = CollectionsMarshal.AsSpan(structs);
        int index = Holds(span, _hint0, clock) ? _hint0
            : Holds(span, _hint1, clock) ? _hint1
            : Holds(span, _hint0 + 1, clock) ? _hint0 + 1
            : Holds(span, _hint1 + 1, clock) ? _hint1 + 1
            : FindIndex(structs, clock);
        if (index != _hint0)
        {
            _hint1 = _hint0;
            _hint0 = index;
        }

        return index;

        static bool Holds(ReadOnlySpan<AbstractStruct> span, int at, uint clock)
        {
            if ((uint)at >= (uint)span.Length)
            {
                return false;
            }

            var s = span[at];
            return clock >= s.Id.Clock && clock - s.Id.Clock < (uint)s.Length;
        }
    }

    /// <summary>
    /// <see cref="FindIndex"/> for lookups in clock order (the ranges of a delete set): walks a few structs from
    /// <paramref name="near"/>, the index the previous range found, before searching the whole list. Any index it
    /// returns holds the clock, so it is the answer whatever changed since.
    /// </summary>
    public static int FindIndexNear(List<AbstractStruct> structs, uint clock, int near)
    {
        const int MaxSteps = 8;
        var span = CollectionsMarshal.AsSpan(structs);
        if ((uint)near < (uint)span.Length)
        {
            int step = span[near].Id.Clock <= clock ? 1 : -1;
            for (int i = 0, at = near; i <= MaxSteps && (uint)at < (uint)span.Length; i++, at += step)
            {
                var s = span[at];
                if (clock >= s.Id.Clock && clock - s.Id.Clock < (uint)s.Length)
                {
                    return at;
                }
            }
        }

        return FindIndex(structs, clock);
    }

    public AbstractStruct Find(ItemId id)
    {
        var structs = Clients[id.Client];
        return structs[FindIndexHinted(structs, id.Clock)];
    }

    public static int FindIndexCleanStart(Transaction transaction, List<AbstractStruct> structs, uint clock) =>
        CleanStart(transaction, structs, clock, FindIndex(structs, clock));

    private static int CleanStart(Transaction transaction, List<AbstractStruct> structs, uint clock, int index)
    {
        var s = structs[index];
        if (s.Id.Clock < clock && s is Item item)
        {
            structs.Insert(index + 1, item.Split(transaction, (int)(clock - s.Id.Clock)));
            return index + 1;
        }

        return index;
    }

    public AbstractStruct GetItemCleanStart(Transaction transaction, ItemId id)
    {
        var structs = Clients[id.Client];
        return structs[CleanStart(transaction, structs, id.Clock, FindIndexHinted(structs, id.Clock))];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Item GetItemCleanStartItem(Transaction transaction, ItemId id) => (Item)GetItemCleanStart(transaction, id);

    public AbstractStruct GetItemCleanEnd(Transaction transaction, ItemId id)
    {
        var structs = Clients[id.Client];
        int index = FindIndexHinted(structs, id.Clock);
        var s = structs[index];
        if (id.Clock != s.EndClock - 1 && s is Item item)
        {
            structs.Insert(index + 1, item.Split(transaction, (int)(id.Clock - s.Id.Clock + 1)));
        }

        return s;
    }

    public void ReplaceStruct(AbstractStruct s, AbstractStruct replacement)
    {
        var structs = Clients[s.Id.Client];
        structs[FindIndex(structs, s.Id.Clock)] = replacement;
    }

    /// <summary>Calls <paramref name="f"/> for every struct in [clockStart, clockStart+len), splitting at the edges.</summary>
    public static void IterateStructs(Transaction transaction, List<AbstractStruct> structs, uint clockStart, uint len, Action<AbstractStruct> f)
    {
        if (len == 0)
        {
            return;
        }

        uint clockEnd = clockStart + len;
        int index = FindIndexCleanStart(transaction, structs, clockStart);
        AbstractStruct s;
        do
        {
            s = structs[index++];
            if (clockEnd < s.EndClock)
            {
                FindIndexCleanStart(transaction, structs, clockEnd);
            }

            f(s);
        }
        while (index < structs.Count && structs[index].Id.Clock < clockEnd);
    }
}
