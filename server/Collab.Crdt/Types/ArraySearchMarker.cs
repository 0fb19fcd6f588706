using System.Runtime.InteropServices;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>A cached (item, index) pair that speeds up index lookups in lists and texts (yjs ArraySearchMarker).</summary>
internal sealed class ArraySearchMarker
{
    public const int MaxSearchMarkers = 80;
    private static long s_timestamp;

    public ArraySearchMarker(Item p, int index)
    {
        p.Marker = true;
        P = p;
        Index = index;
        Timestamp = s_timestamp++;
    }

    public Item P;
    public int Index;
    public long Timestamp;

    public void Refresh() => Timestamp = s_timestamp++;

    public void Overwrite(Item p, int index)
    {
        P.Marker = false;
        P = p;
        p.Marker = true;
        Index = index;
        Timestamp = s_timestamp++;
    }

    public static ArraySearchMarker MarkPosition(List<ArraySearchMarker> markers, Item p, int index)
    {
        if (markers.Count >= MaxSearchMarkers)
        {
            var oldest = markers[0];
            for (int i = 1; i < markers.Count; i++)
            {
                if (markers[i].Timestamp < oldest.Timestamp)
                {
                    oldest = markers[i];
                }
            }

            Unsettle(markers, oldest, p);
            oldest.Overwrite(p, index);
            return oldest;
        }

        if (!p.IsVisibleCountable)
        {
            p.Parent!.SearchMarkersSettled = false;
        }

        var pm = new ArraySearchMarker(p, index);
        markers.Add(pm);
        return pm;
    }

    /// <summary>Finds (and caches) a marker near <paramref name="index"/> (yjs findMarker).</summary>
    public static ArraySearchMarker? Find(AbstractType yarray, int index)
    {
        var markers = yarray.SearchMarkers;
        if (yarray.Start == null || index == 0 || markers == null)
        {
            return null;
        }

        ArraySearchMarker? marker = null;
        var all = CollectionsMarshal.AsSpan(markers);
        if (all.Length > 0)
        {
            marker = all[0];
            int best = Math.Abs(index - marker.Index);
            for (int i = 1; i < all.Length; i++)
            {
                int d = Math.Abs(index - all[i].Index);
                if (d < best)
                {
                    best = d;
                    marker = all[i];
                }
            }
        }

        var p = yarray.Start;
        int pindex = 0;
        if (marker != null)
        {
            p = marker.P;
            pindex = marker.Index;
            marker.Refresh();
        }

        while (p.Right != null && pindex < index)
        {
            if (p.IsVisibleCountable)
            {
                if (index < pindex + p.Length)
                {
                    break;
                }

                pindex += p.Length;
            }

            p = p.Right;
        }

        while (p.Left != null && pindex > index)
        {
            p = p.Left;
            if (p.IsVisibleCountable)
            {
                pindex -= p.Length;
            }
        }

        // go left while the item could be merged with its left neighbour, so markers rest on merge heads
        while (p.Left != null && p.Left.Id.Client == p.Id.Client && p.Left.Id.Clock + (uint)p.Left.Length == p.Id.Clock)
        {
            p = p.Left;
            if (p.IsVisibleCountable)
            {
                pindex -= p.Length;
            }
        }

        if (marker != null && Math.Abs(marker.Index - pindex) < (double)p.Parent!.LengthField / MaxSearchMarkers)
        {
            Unsettle(markers, marker, p);
            marker.Overwrite(p, pindex);
            return marker;
        }

        return MarkPosition(markers, p, pindex);
    }

    /// <summary>
    /// Before <paramref name="moving"/> moves to <paramref name="p"/>: the markers stay settled only if p is visible
    /// and countable and no other marker rests on the item it leaves (Overwrite clears that item's marker flag).
    /// </summary>
    private static void Unsettle(List<ArraySearchMarker> markers, ArraySearchMarker moving, Item p)
    {
        var type = p.Parent!;
        if (!type.SearchMarkersSettled)
        {
            return;
        }

        if (!p.IsVisibleCountable)
        {
            type.SearchMarkersSettled = false;
            return;
        }

        var old = moving.P;
        foreach (var m in markers)
        {
            if (m != moving && m.P == old)
            {
                type.SearchMarkersSettled = false;
                return;
            }
        }
    }

    /// <summary>Shifts markers after an insert (len &gt; 0) or delete (len &lt; 0) at index (yjs updateMarkerChanges).</summary>
    public static void UpdateChanges(AbstractType type, int index, int len)
    {
        var markers = type.SearchMarkers!;
        if (len > 0 && type.SearchMarkersSettled)
        {
            // Settled: every marker's item is visible, countable and flagged, so yjs's walk would change nothing.
            foreach (var m in CollectionsMarshal.AsSpan(markers))
            {
                if (index <= m.Index)
                {
                    m.Index += len;
                }
            }

            return;
        }

        for (int i = markers.Count - 1; i >= 0; i--)
        {
            var m = markers[i];
            if (len > 0)
            {
                Item? p = m.P;
                p.Marker = false;
                while (p != null && (p.Deleted || !p.Countable))
                {
                    p = p.Left;
                    if (p != null && p.IsVisibleCountable)
                    {
                        m.Index -= p.Length;
                    }
                }

                if (p == null || p.Marker)
                {
                    markers.RemoveAt(i);
                    continue;
                }

                m.P = p;
                p.Marker = true;
            }

            if (index < m.Index || (len > 0 && index == m.Index))
            {
                m.Index = Math.Max(index, m.Index + len);
            }
        }

        if (len > 0)
        {
            type.SearchMarkersSettled = true;
        }
    }
}
