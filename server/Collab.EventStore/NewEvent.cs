namespace Collab.EventStore;

/// <summary>An event to append. The store fills in branch, seq, server time and hashes.</summary>
/// <param name="Kind">What the event is (<see cref="EventKind.Update"/>, <see cref="EventKind.Merge"/>…).</param>
/// <param name="Payload">Opaque bytes (a Yjs update v1); 1 byte up to the store's payload limit.</param>
/// <param name="Author">The authenticated user; 1–256 characters.</param>
public sealed record NewEvent(EventKind Kind, ReadOnlyMemory<byte> Payload, string Author)
{
    /// <summary>Longest author, in characters.</summary>
    public const int MaxAuthorLength = 256;

    /// <summary>Longest client update id, in characters.</summary>
    public const int MaxClientUpdateIdLength = 128;

    /// <summary>Most client ids on one event.</summary>
    public const int MaxClientIds = 4096;

    /// <summary>The Yjs client ids the payload carries, as the caller found them (the store never parses payloads).</summary>
    public IReadOnlyList<uint> ClientIds { get; init; } = [];

    /// <summary>
    /// Idempotency key chosen by the client, unique within the branch (1–128 characters). Appending an event with
    /// an id the branch has stored already stores nothing and returns the stored event, provided kind, author and
    /// payload are the same; otherwise the append fails with <see cref="EventStoreError.IdempotencyConflict"/>.
    /// </summary>
    public string? ClientUpdateId { get; init; }

    /// <summary>The schema version of the payload (1..<see cref="EventSchema.CurrentVersion"/>).</summary>
    public int SchemaVersion { get; init; } = EventSchema.CurrentVersion;

    /// <summary>A merge record to store in the same transaction as this event (normally for <see cref="EventKind.Merge"/>).</summary>
    public MergeRecordDraft? Merge { get; init; }

    /// <summary>A resolution record to store in the same transaction as this event (normally for <see cref="EventKind.Resolution"/>).</summary>
    public ResolutionRecordDraft? Resolution { get; init; }

    /// <summary>
    /// A record of another domain event (proposal, revert, branch state, protection…), stored with this event, returned
    /// on read and covered by its hash. An event carries at most one of <see cref="Merge"/>, <see cref="Resolution"/> and this.
    /// </summary>
    public DomainRecord? Record { get; init; }

    /// <summary>
    /// For imports only: the server time the event has in the log it is copied from (whole milliseconds are kept), so
    /// that its hash is the same as there. Null (always, outside imports): the store's clock.
    /// </summary>
    public DateTimeOffset? ServerTime { get; init; }
}
