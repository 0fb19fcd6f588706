namespace Collab.EventStore;

/// <summary>Settings every backend honours.</summary>
public class EventStoreOptions
{
    /// <summary>Largest event payload in bytes; larger ones are refused with <see cref="EventStoreError.PayloadTooLarge"/>. Default 1 MiB.</summary>
    public int MaxPayloadBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Largest snapshot state in bytes; larger ones are refused with <see cref="EventStoreError.PayloadTooLarge"/>. Default
    /// 64 MiB. Separate from <see cref="MaxPayloadBytes"/> because a snapshot holds a whole document: a backend stores a
    /// state above its payload limit in pieces of at most <see cref="MaxPayloadBytes"/>.
    /// </summary>
    public int MaxSnapshotBytes { get; set; } = 64 * 1024 * 1024;

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
        if (MaxSnapshotBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxSnapshotBytes), MaxSnapshotBytes, "must be at least 1");
        if (MaxEventsPerAppend < 1) throw new ArgumentOutOfRangeException(nameof(MaxEventsPerAppend), MaxEventsPerAppend, "must be at least 1");
        if (SchemaVersion < 1) throw new ArgumentOutOfRangeException(nameof(SchemaVersion), SchemaVersion, "must be at least 1");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
