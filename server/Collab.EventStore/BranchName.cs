using System.Diagnostics.CodeAnalysis;

namespace Collab.EventStore;

/// <summary>The name of a branch: 1–128 characters of <c>[A-Za-z0-9._/-]</c> (see <see cref="NameRules"/>).</summary>
public readonly record struct BranchName
{
    /// <summary>The branch every document is created with.</summary>
    public static readonly BranchName Main = new("main");

    /// <summary>Creates a name; throws <see cref="EventStoreException"/> (<see cref="EventStoreError.InvalidName"/>) when invalid.</summary>
    public BranchName(string value)
    {
        var error = NameRules.BranchNameError(value);
        if (error is not null) throw new EventStoreException(EventStoreError.InvalidName, $"Invalid branch name \"{value}\": {error}.");
        Value = value;
    }

    /// <summary>The name text.</summary>
    public string Value { get; }

    /// <summary>Parses without throwing.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out BranchName? name)
    {
        name = NameRules.BranchNameError(value) is null ? new BranchName(value!) : null;
        return name is not null;
    }

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
