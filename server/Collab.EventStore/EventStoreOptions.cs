namespace Collab.EventStore;

/// <summary>Settings every backend honours.</summary>
public class EventStoreOptions
{
    /// <summary>Largest event payload or snapshot state in bytes; larger ones are refused with <see cref="EventStoreError.PayloadTooLarge"/>. Default 1 MiB.</summary>
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>Most events in one append call. Default 1,000.</summary>
    public int MaxEventsPerAppend { get; set; } = 1000;

    /// <summary>The schema version reads upcast to and the highest version appends accept. Default <see cref="EventSchema.CurrentVersion"/>.</summary>
    public int SchemaVersion { get; set; } = EventSchema.CurrentVersion;

    /// <summary>Upcasters for older schema versions (one per <see cref="IEventUpcaster.FromVersion"/>).</summary>
    public IList<IEventUpcaster> Upcasters { get; } = new List<IEventUpcaster>();

    /// <summary>The clock for server times (tests replace it).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws when a setting is out of range.</summary>
    public virtual void Validate()
    {
        if (MaxPayloadBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxPayloadBytes), MaxPayloadBytes, "must be at least 1");
        if (MaxEventsPerAppend < 1) throw new ArgumentOutOfRangeException(nameof(MaxEventsPerAppend), MaxEventsPerAppend, "must be at least 1");
        if (SchemaVersion < 1) throw new ArgumentOutOfRangeException(nameof(SchemaVersion), SchemaVersion, "must be at least 1");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
