namespace Collab.EventStore;

/// <summary>An event as stored. Immutable: never updated, never deleted.</summary>
/// <param name="Branch">The branch the event was appended to. A fork reading its parent's prefix gets the parent here.</param>
/// <param name="Seq">Position in that branch (1, 2, 3 … gapless).</param>
/// <param name="Kind">What the event is.</param>
/// <param name="Payload">Opaque bytes.</param>
/// <param name="Author">Who appended it.</param>
/// <param name="ClientIds">The Yjs client ids the caller said the payload carries.</param>
/// <param name="ServerTime">When the store accepted it (UTC, millisecond precision).</param>
/// <param name="ClientUpdateId">The idempotency key, if the client gave one.</param>
/// <param name="SchemaVersion">Schema version of the payload as it is now (after upcasting, if any).</param>
/// <param name="PreviousHash">The hash of the event before it in the branch's view (or the fork hash / genesis).</param>
/// <param name="Hash">SHA-256 over the canonical encoding of the stored fields (see <see cref="EventChain"/>).</param>
public sealed record StoredEvent(
    BranchRef Branch,
    EventSeq Seq,
    EventKind Kind,
    ReadOnlyMemory<byte> Payload,
    string Author,
    IReadOnlyList<uint> ClientIds,
    DateTimeOffset ServerTime,
    string? ClientUpdateId,
    int SchemaVersion,
    EventHash PreviousHash,
    EventHash Hash)
{
    /// <summary>The event's identity.</summary>
    public EventRef Ref => new(Branch, Seq);

    /// <summary>
    /// The record this event carries in the hash chain: a merge or resolution record (read them with the record
    /// methods of <see cref="IEventStore"/>), a <see cref="DomainRecord"/> (in <see cref="Record"/>), or none.
    /// </summary>
    public EventRecordKind RecordKind { get; init; }

    /// <summary>The domain record, when <see cref="RecordKind"/> is <see cref="EventRecordKind.Domain"/>.</summary>
    public DomainRecord? Record { get; init; }

    /// <summary>The hash encoding of this event: 1 without a record, 2 with one (docs/event-store.md).</summary>
    public int HashVersion => RecordKind == EventRecordKind.None ? 1 : 2;
}
