namespace Collab.Crdt.Updates;

/// <summary>
/// What an update carries, per client, without applying it: the clock ranges it inserts (items and GC'd runs;
/// Skip gaps excluded) and the ranges its delete set deletes. Ranges are sorted and joined. Used for blame and for
/// the client ids recorded with each event.
/// </summary>
public sealed class UpdateSummary
{
    internal UpdateSummary(
        IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> inserted,
        IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> deleted)
    {
        Inserted = inserted;
        Deleted = deleted;
        var clients = inserted.Keys.ToArray();
        Array.Sort(clients);
        Array.Reverse(clients);
        ClientIds = clients;
    }

    /// <summary>Per client, the clock ranges of structs the update carries.</summary>
    public IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> Inserted { get; }

    /// <summary>Per client, the clock ranges the update's delete set marks deleted (the client that created them, not the deleter).</summary>
    public IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> Deleted { get; }

    /// <summary>
    /// The clients whose structs the update carries, descending. A delete set does not say who deleted, so an
    /// update that only deletes has none.
    /// </summary>
    public IReadOnlyList<uint> ClientIds { get; }

    /// <summary>Whether the update inserts nothing and deletes nothing.</summary>
    public bool IsEmpty => Inserted.Count == 0 && !Deleted.Values.Any(static ranges => ranges.Any(static r => r.Length > 0));

    /// <summary>Total number of clocks inserted.</summary>
    public ulong InsertedLength => Sum(Inserted);

    /// <summary>Total number of clocks deleted.</summary>
    public ulong DeletedLength => Sum(Deleted);

    private static ulong Sum(IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> map)
    {
        ulong total = 0;
        foreach (var ranges in map.Values)
        {
            foreach (var range in ranges)
            {
                total += range.Length;
            }
        }

        return total;
    }
}
