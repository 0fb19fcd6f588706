namespace Collab.Crdt.Structs;

/// <summary>The id of one clock unit of a struct: the creating client and its clock (UTF-16 units for text).</summary>
public readonly record struct ItemId(uint Client, uint Clock)
{
    /// <inheritdoc />
    public override string ToString() => $"({Client},{Clock})";
}
