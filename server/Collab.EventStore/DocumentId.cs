using System.Diagnostics.CodeAnalysis;

namespace Collab.EventStore;

/// <summary>The id of a document: 1–128 characters of <c>[A-Za-z0-9._-]</c> (see <see cref="NameRules"/>).</summary>
public readonly record struct DocumentId
{
    /// <summary>Creates an id; throws <see cref="EventStoreException"/> (<see cref="EventStoreError.InvalidName"/>) when invalid.</summary>
    public DocumentId(string value)
    {
        var error = NameRules.DocumentIdError(value);
        if (error is not null) throw new EventStoreException(EventStoreError.InvalidName, $"Invalid document id \"{value}\": {error}.");
        Value = value;
    }

    /// <summary>The id text.</summary>
    public string Value { get; }

    /// <summary>Parses without throwing.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out DocumentId? id)
    {
        id = NameRules.DocumentIdError(value) is null ? new DocumentId(value!) : null;
        return id is not null;
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
