namespace Collab.EventStore;

/// <summary>Schema versions of event payloads.</summary>
public static class EventSchema
{
    /// <summary>The version new events are written with by default and, unless a store is configured otherwise, the version reads upcast older events to.</summary>
    public const int CurrentVersion = 1;
}

/// <summary>
/// Turns an event of schema version <see cref="FromVersion"/> into version <see cref="FromVersion"/> + 1, so that old
/// logs replay forever. Backends apply upcasters on read, in version order, until the configured schema version (<see cref="EventStoreOptions.SchemaVersion"/>).
/// Hashes are always those of the event as stored: verification re-hashes the stored form, never the upcast one.
/// </summary>
public interface IEventUpcaster
{
    /// <summary>The version this upcaster reads.</summary>
    int FromVersion { get; }

    /// <summary>Returns the event in version <see cref="FromVersion"/> + 1 (payload and/or kind changed, same identity and hashes).</summary>
    StoredEvent Upcast(StoredEvent stored);
}
