namespace Collab.EventStore;

/// <summary>
/// A record of a domain event other than a merge or a resolution (a proposal opened or approved, a revert, a branch
/// state change, a branch protected…): a type and name/value fields. It rides on the <see cref="NewEvent"/> it
/// explains, is stored with it, is returned on every read (<see cref="StoredEvent.Record"/>) and is covered by the
/// event's hash (hash encoding v2, docs/event-store.md), so an auditor can prove it was not edited.
/// </summary>
/// <param name="Type">What the record says, 1–32 characters of <c>[a-z0-9._-]</c> (e.g. <c>proposal.approved</c>). The store does not interpret it.</param>
/// <param name="Fields">The facts as name/value pairs (names not empty). Their order does not matter: the hash encodes them sorted.</param>
public sealed record DomainRecord(string Type, IReadOnlyDictionary<string, string> Fields);

/// <summary>Which record an event carries in the hash chain.</summary>
public enum EventRecordKind
{
    /// <summary>None (the event is hashed with encoding v1). Events written before records were chained have none, even when a merge or resolution record was stored beside them.</summary>
    None = 0,

    /// <summary>A <see cref="MergeRecord"/> (read it with <see cref="IEventStore.GetMergeRecordAsync"/>).</summary>
    Merge = 1,

    /// <summary>A <see cref="ResolutionRecord"/> (read it with <see cref="IEventStore.ListResolutionsAsync"/>).</summary>
    Resolution = 2,

    /// <summary>A <see cref="DomainRecord"/> (in <see cref="StoredEvent.Record"/>).</summary>
    Domain = 3,
}
