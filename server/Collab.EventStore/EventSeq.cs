namespace Collab.EventStore;

/// <summary>
/// A position in a branch: the seq of an event (1, 2, 3 … gapless per branch), or <see cref="Zero"/> for
/// "before the first event". A fork at seq k continues its parent's numbering: its first own event is k + 1,
/// so a seq means the same prefix of history on a branch and on every fork that contains it.
/// </summary>
/// <param name="Value">The position, 0 or more.</param>
public readonly record struct EventSeq(long Value) : IComparable<EventSeq>
{
    /// <summary>Before the first event; the head of an empty branch.</summary>
    public static readonly EventSeq Zero = new(0);

    /// <summary>The largest position; use as an open upper bound of a range.</summary>
    public static readonly EventSeq MaxValue = new(long.MaxValue);

    /// <summary>The next position.</summary>
    public EventSeq Next => new(Value + 1);

    /// <inheritdoc />
    public int CompareTo(EventSeq other) => Value.CompareTo(other.Value);

    /// <summary>Compares positions.</summary>
    public static bool operator <(EventSeq left, EventSeq right) => left.Value < right.Value;

    /// <summary>Compares positions.</summary>
    public static bool operator >(EventSeq left, EventSeq right) => left.Value > right.Value;

    /// <summary>Compares positions.</summary>
    public static bool operator <=(EventSeq left, EventSeq right) => left.Value <= right.Value;

    /// <summary>Compares positions.</summary>
    public static bool operator >=(EventSeq left, EventSeq right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
