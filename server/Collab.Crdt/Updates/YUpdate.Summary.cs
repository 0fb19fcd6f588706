using System.Runtime.InteropServices;
using Collab.Crdt.Document;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// Summarizes what <paramref name="update"/> carries per client: inserted clock ranges and deleted clock ranges.
    /// Validates the whole update like <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static UpdateSummary Summarize(ReadOnlySpan<byte> update)
    {
        var inserted = new DeleteSet();
        var deleted = WalkAll(update, (in UpdateStruct s) =>
        {
            if (s.Kind == StructKind.Skip || s.Length == 0)
            {
                return;
            }

            // Structs of a client usually come in clock order: join with the last range when they touch, and let
            // SortAndMerge below handle the rest.
            if (inserted.Clients.TryGetValue(s.Client, out var ranges) && ranges[^1].End == s.Clock)
            {
                ranges[^1] = new DeleteRange(ranges[^1].Clock, ranges[^1].Length + s.Length);
            }
            else
            {
                inserted.Add(s.Client, s.Clock, s.Length);
            }
        });
        inserted.SortAndMerge();
        deleted.SortAndMerge();
        return new UpdateSummary(ToClockRanges(inserted), ToClockRanges(deleted));
    }

    private static Dictionary<uint, IReadOnlyList<ClockRange>> ToClockRanges(DeleteSet set)
    {
        var result = new Dictionary<uint, IReadOnlyList<ClockRange>>(set.Clients.Count);
        foreach (var (client, ranges) in set.Clients)
        {
            var list = new ClockRange[ranges.Count];
            var span = CollectionsMarshal.AsSpan(ranges);
            for (int i = 0; i < span.Length; i++)
            {
                list[i] = new ClockRange(span[i].Clock, span[i].Length);
            }

            result[client] = list;
        }

        return result;
    }
}
