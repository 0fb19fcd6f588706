namespace Collab.EventStore;

/// <summary>What an event is; 1–32 characters of <c>[a-z0-9._-]</c>. The store does not interpret it.</summary>
public readonly record struct EventKind
{
    /// <summary>A client's CRDT update.</summary>
    public static readonly EventKind Update = new("update");

    /// <summary>The changes a merge brought in; carries a <see cref="MergeRecord"/>.</summary>
    public static readonly EventKind Merge = new("merge");

    /// <summary>The decisions on merge conflicts; carries a <see cref="ResolutionRecord"/>.</summary>
    public static readonly EventKind Resolution = new("resolution");

    /// <summary>An update that undoes earlier events.</summary>
    public static readonly EventKind Revert = new("revert");

    /// <summary>Creates a kind; throws <see cref="EventStoreException"/> (<see cref="EventStoreError.InvalidName"/>) when invalid.</summary>
    public EventKind(string value)
    {
        var error = NameRules.KindError(value);
        if (error is not null) throw new EventStoreException(EventStoreError.InvalidName, $"Invalid event kind \"{value}\": {error}.");
        Value = value;
    }

    /// <summary>The kind text.</summary>
    public string Value { get; }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
