namespace Collab.Crdt;

/// <summary>
/// The JavaScript value <c>undefined</c> (lib0 <c>any</c> tag 127, or the JSON-content text "undefined").
/// C# <c>null</c> stands for JavaScript <c>null</c>; this singleton keeps the two apart so re-encoding is byte exact.
/// </summary>
public sealed class YUndefined
{
    private YUndefined()
    {
    }

    /// <summary>The singleton.</summary>
    public static YUndefined Value { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "undefined";
}
