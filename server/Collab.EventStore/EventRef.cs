namespace Collab.EventStore;

/// <summary>One event: the branch it was written to and its seq there.</summary>
/// <param name="Branch">The branch the event was appended to (not a fork that reads it through its ancestry).</param>
/// <param name="Seq">The event's seq.</param>
public readonly record struct EventRef(BranchRef Branch, EventSeq Seq)
{
    /// <inheritdoc />
    public override string ToString() => $"{Branch}@{Seq}";
}
