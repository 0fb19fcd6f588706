using System.Runtime.CompilerServices;
using Collab.Crdt.Document;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Merging;

/// <summary>Where a run of clock units exists and where it is deleted.</summary>
[Flags]
internal enum SegFlags : byte
{
    None = 0,
    InB = 1,
    InT = 2,
    InS = 4,
    DelT = 8,
    DelS = 16,
}

/// <summary>
/// A run of one item of the merged document whose clock units all share the same <see cref="SegFlags"/>. Items of the
/// merged document can straddle the base state vector or a delete-range boundary of one side, so analysis works on
/// these runs instead of whole items.
/// </summary>
internal readonly record struct Seg(Item Item, int Offset, int Len, SegFlags Flags)
{
    public bool InB => (Flags & SegFlags.InB) != 0;

    public bool VisibleB => (Flags & SegFlags.InB) != 0 && (Flags & (SegFlags.DelT | SegFlags.DelS)) != (SegFlags.DelT | SegFlags.DelS);

    public bool VisibleT => (Flags & (SegFlags.InT | SegFlags.DelT)) == SegFlags.InT;

    public bool VisibleS => (Flags & (SegFlags.InS | SegFlags.DelS)) == SegFlags.InS;

    public bool VisibleM => (Flags & (SegFlags.DelT | SegFlags.DelS)) == 0;

    public ItemId FirstId => new(Item.Id.Client, Item.Id.Clock + (uint)Offset);

    public ItemId IdAt(int i) => new(Item.Id.Client, Item.Id.Clock + (uint)(Offset + i));
}

/// <summary>The four versions of a merge: base B, target T ("ours"), source S ("theirs") and merged M.</summary>
internal enum Version : byte
{
    Base,
    Ours,
    Theirs,
    Merged,
}

/// <summary>Classifies clock units of the merged document by the base, target and source states.</summary>
internal sealed class MergeVersions
{
    private static readonly List<DeleteRange> NoRanges = new();
    private readonly Dictionary<uint, uint> _svB;
    private readonly Dictionary<uint, uint> _svT;
    private readonly Dictionary<uint, uint> _svS;
    private readonly DeleteSet _dsT;
    private readonly DeleteSet _dsS;

    public MergeVersions(Dictionary<uint, uint> svT, Dictionary<uint, uint> svS, DeleteSet dsT, DeleteSet dsS)
    {
        _svT = svT;
        _svS = svS;
        _dsT = dsT;
        _dsS = dsS;
        _svB = new Dictionary<uint, uint>();
        foreach (var kv in svT)
        {
            if (svS.TryGetValue(kv.Key, out uint s))
            {
                _svB[kv.Key] = Math.Min(kv.Value, s);
            }
        }
    }

    public Dictionary<uint, uint> BaseStateVector => _svB;

    public uint BaseClock(uint client) => _svB.GetValueOrDefault(client);

    public static bool Visible(in Seg s, Version v) => v switch
    {
        Version.Base => s.VisibleB,
        Version.Ours => s.VisibleT,
        Version.Theirs => s.VisibleS,
        _ => s.VisibleM,
    };

    /// <summary>Whether the whole item lies in the base and is not deleted by either side (the common case).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsUnchangedBase(Item item) =>
        !item.Deleted && item.Id.Clock + (uint)item.Length <= _svB.GetValueOrDefault(item.Id.Client);

    /// <summary>Appends the runs of <paramref name="item"/> to <paramref name="output"/>.</summary>
    public void Split(Item item, List<Seg> output)
    {
        uint client = item.Id.Client;
        uint start = item.Id.Clock;
        uint end = start + (uint)item.Length;
        uint b = _svB.GetValueOrDefault(client);
        if (!item.Deleted && end <= b)
        {
            output.Add(new Seg(item, 0, item.Length, SegFlags.InB | SegFlags.InT | SegFlags.InS));
            return;
        }

        uint t = _svT.GetValueOrDefault(client);
        uint s = _svS.GetValueOrDefault(client);
        var rt = _dsT.Clients.TryGetValue(client, out var lt) ? lt : NoRanges;
        var rs = _dsS.Clients.TryGetValue(client, out var ls) ? ls : NoRanges;
        int it = FirstEndingAfter(rt, start);
        int iS = FirstEndingAfter(rs, start);
        uint x = start;
        while (x < end)
        {
            uint next = end;
            var f = SegFlags.None;
            if (x < b)
            {
                f |= SegFlags.InB;
                next = Math.Min(next, b);
            }

            if (x < t)
            {
                f |= SegFlags.InT;
                next = Math.Min(next, t);
                while (it < rt.Count && rt[it].End <= x)
                {
                    it++;
                }

                if (it < rt.Count)
                {
                    var r = rt[it];
                    if (r.Clock <= x)
                    {
                        f |= SegFlags.DelT;
                        next = Math.Min(next, r.End);
                    }
                    else
                    {
                        next = Math.Min(next, r.Clock);
                    }
                }
            }

            if (x < s)
            {
                f |= SegFlags.InS;
                next = Math.Min(next, s);
                while (iS < rs.Count && rs[iS].End <= x)
                {
                    iS++;
                }

                if (iS < rs.Count)
                {
                    var r = rs[iS];
                    if (r.Clock <= x)
                    {
                        f |= SegFlags.DelS;
                        next = Math.Min(next, r.End);
                    }
                    else
                    {
                        next = Math.Min(next, r.Clock);
                    }
                }
            }

            output.Add(new Seg(item, (int)(x - start), (int)(next - x), f));
            x = next;
        }
    }

    /// <summary>The flags of a single clock unit.</summary>
    public SegFlags FlagsOf(ItemId id)
    {
        uint client = id.Client;
        var f = SegFlags.None;
        if (id.Clock < _svB.GetValueOrDefault(client))
        {
            f |= SegFlags.InB;
        }

        if (id.Clock < _svT.GetValueOrDefault(client))
        {
            f |= SegFlags.InT;
            if (_dsT.Contains(id))
            {
                f |= SegFlags.DelT;
            }
        }

        if (id.Clock < _svS.GetValueOrDefault(client))
        {
            f |= SegFlags.InS;
            if (_dsS.Contains(id))
            {
                f |= SegFlags.DelS;
            }
        }

        return f;
    }

    private static int FirstEndingAfter(List<DeleteRange> ranges, uint clock)
    {
        int lo = 0;
        int hi = ranges.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ranges[mid].End <= clock)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
