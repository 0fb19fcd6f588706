namespace Collab.Crdt.Updates;

/// <summary>A run of clocks of one client: <see cref="Clock"/> up to but not including <see cref="End"/>.</summary>
/// <param name="Clock">First clock of the run.</param>
/// <param name="Length">Number of clocks (UTF-16 units for text).</param>
public readonly record struct ClockRange(uint Clock, uint Length)
{
    /// <summary>The first clock after the run.</summary>
    public ulong End => (ulong)Clock + Length;
}
