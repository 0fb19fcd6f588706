using Collab.EventStore;

namespace Collab.Documents.Sessions;

/// <summary>
/// An event the server itself writes on a branch (a merge, a resolution, a revert…): a Yjs v1 update applied to the live
/// document and appended through the branch's single ordered writer, like a client update, with the record that
/// explains it.
/// </summary>
/// <param name="Kind">The event kind (<see cref="EventKind.Merge"/>, <see cref="EventKind.Resolution"/>, <see cref="EventKind.Revert"/>…).</param>
/// <param name="Update">The Yjs v1 update to apply.</param>
/// <param name="Author">The user on whose behalf it is written.</param>
public sealed record DomainEvent(EventKind Kind, byte[] Update, string Author)
{
    /// <summary>The merge record to store with the event.</summary>
    public MergeRecordDraft? Merge { get; init; }

    /// <summary>
    /// The resolution record to store with the event. Like <see cref="Record"/>, it is written even when the update
    /// changes nothing (a decision to keep the merged outcome is still a decision on record).
    /// </summary>
    public ResolutionRecordDraft? Resolution { get; init; }

    /// <summary>
    /// Any other record (a revert, a proposal change, a protection change, a named version…). An event whose update
    /// changes nothing is still written when it carries a record: the record is the event (its payload is then the
    /// empty update, and nothing is broadcast).
    /// </summary>
    public DomainRecord? Record { get; init; }

    /// <summary>The empty Yjs v1 update (no structs, no deletions): the payload of a record-only event.</summary>
    public static byte[] EmptyUpdate => [0, 0];

    /// <summary>A record-only event: no content change, only the record in the hash chain.</summary>
    public static DomainEvent RecordOnly(EventKind kind, DomainRecord record, string author) => new(kind, EmptyUpdate, author) { Record = record };

    /// <summary>
    /// When set, the event is written only if the branch's head (counting updates accepted but still being appended) is
    /// this seq; otherwise it fails with <see cref="BranchMovedException"/> and nothing changes. A merge analysed at a
    /// head uses it to learn that the target moved.
    /// </summary>
    public long? ExpectedHead { get; init; }
}

/// <summary>A domain event's expected head was not the branch's head: the branch moved since the caller looked.</summary>
public sealed class BranchMovedException : Exception
{
    public BranchMovedException(long head)
        : base($"The branch moved: its head is now {head}.") => Head = head;

    public BranchMovedException()
        : base("The branch moved.")
    {
    }

    public BranchMovedException(string message)
        : base(message)
    {
    }

    public BranchMovedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The head the branch had (including updates being appended).</summary>
    public long Head { get; }
}

/// <summary>What writing a domain event did.</summary>
/// <param name="Seq">The seq of the stored event, or null when the update changed nothing (nothing was written).</param>
/// <param name="HeadBefore">The branch's head just before the event (including updates being appended then).</param>
public sealed record DomainEventResult(long? Seq, long HeadBefore);
