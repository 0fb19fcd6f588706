namespace Collab.EventStore.Internal;

/// <summary>Applies the configured upcasters on read, oldest version first, up to the configured schema version.</summary>
internal sealed class Upcasting
{
    private readonly Dictionary<int, IEventUpcaster> _byVersion = [];
    private readonly int _target;

    public Upcasting(EventStoreOptions options)
    {
        _target = options.SchemaVersion;
        foreach (var upcaster in options.Upcasters)
        {
            if (!_byVersion.TryAdd(upcaster.FromVersion, upcaster)) throw new ArgumentException($"Two upcasters read schema version {upcaster.FromVersion}.", nameof(options));
        }
    }

    public StoredEvent Apply(StoredEvent stored)
    {
        var original = stored;
        while (stored.SchemaVersion < _target && _byVersion.TryGetValue(stored.SchemaVersion, out var upcaster))
        {
            var next = upcaster.Upcast(stored);
            if (next.SchemaVersion != stored.SchemaVersion + 1 || next.Ref != stored.Ref || next.Hash != stored.Hash)
            {
                throw new InvalidOperationException($"The upcaster from schema version {stored.SchemaVersion} must return version {stored.SchemaVersion + 1} of the same event (same branch, seq and hash).");
            }

            stored = next;
        }

        // Upcasters change payloads; the record belongs to the event's identity (its hash covers it), so it stays.
        if (!ReferenceEquals(stored, original) && (stored.RecordKind != original.RecordKind || !ReferenceEquals(stored.Record, original.Record)))
        {
            stored = stored with { RecordKind = original.RecordKind, Record = original.Record };
        }

        return stored;
    }

    public bool IsIdentity => _byVersion.Count == 0;
}
