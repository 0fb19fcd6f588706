namespace Collab.EventStore;

/// <summary>The outcome of an append; returned only after the events are durable (see the backend's durability option).</summary>
/// <param name="Branch">The branch appended to.</param>
/// <param name="Events">One stored event per event given, in the same order. For an event whose client update id was stored before, the earlier stored event.</param>
/// <param name="AppendedCount">How many events this call stored; 0 when every event was a retry.</param>
/// <param name="Head">The branch head right after this append.</param>
public sealed record AppendResult(BranchRef Branch, IReadOnlyList<StoredEvent> Events, int AppendedCount, BranchDigest Head)
{
    /// <summary>True when every event was a retry of one stored before and nothing was stored.</summary>
    public bool WasDuplicate => AppendedCount == 0;
}
