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
        var inserted = new Dictionary<uint, List<ClockRange>>();
        var deleted = new Dictionary<uint, List<ClockRange>>();
        WalkAll(update, deleted, (in UpdateStruct s) =>
        {
            if (s.Kind == StructKind.Skip || s.Length == 0)
            {
                return;
            }

            if (!inserted.TryGetValue(s.Client, out var ranges))
            {
                ranges = [];
                inserted[s.Client] = ranges;
            }

            // Structs of a client come in clock order, so joining with the last range is usually enough;
            // SortAndMerge below handles the rest.
            if (ranges.Count > 0 && ranges[^1].End == s.Clock)
            {
                ranges[^1] = new ClockRange(ranges[^1].Clock, ranges[^1].Length + s.Length);
            }
            else
            {
                ranges.Add(new ClockRange(s.Clock, s.Length));
            }
        });

        DeleteSetCodec.SortAndMerge(inserted);
        DeleteSetCodec.SortAndMerge(deleted);
        return new UpdateSummary(Freeze(inserted), Freeze(deleted));
    }

    private static Dictionary<uint, IReadOnlyList<ClockRange>> Freeze(Dictionary<uint, List<ClockRange>> map)
    {
        var result = new Dictionary<uint, IReadOnlyList<ClockRange>>(map.Count);
        foreach (var (client, ranges) in map)
        {
            result[client] = ranges.AsReadOnly();
        }

        return result;
    }
}
