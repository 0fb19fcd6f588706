namespace Collab.Crdt.Updates;

/// <summary>What a struct of an update is.</summary>
public enum UpdateStructKind
{
    /// <summary>Garbage-collected clocks: nothing but their length is known.</summary>
    Gc,

    /// <summary>A gap in a merged or diffed update.</summary>
    Skip,

    /// <summary>Deleted content (ref 1).</summary>
    Deleted,

    /// <summary>Legacy JSON values (ref 2).</summary>
    Json,

    /// <summary>A byte array (ref 3).</summary>
    Binary,

    /// <summary>Text (ref 4).</summary>
    String,

    /// <summary>A text embed (ref 5).</summary>
    Embed,

    /// <summary>A formatting mark (ref 6).</summary>
    Format,

    /// <summary>A nested shared type (ref 7).</summary>
    Type,

    /// <summary><c>any</c> values (ref 8).</summary>
    Any,

    /// <summary>A subdocument (ref 9).</summary>
    Doc,
}

/// <summary>An id (client, clock) as it appears in an update.</summary>
/// <param name="Client">The client.</param>
/// <param name="Clock">The clock.</param>
public readonly record struct UpdateId(uint Client, uint Clock);

/// <summary>One struct of an update, decoded without a document (yjs's <c>decodeUpdate</c>).</summary>
public sealed record UpdateStructInfo
{
    /// <summary>The struct kind.</summary>
    public required UpdateStructKind Kind { get; init; }

    /// <summary>Its first id.</summary>
    public required UpdateId Id { get; init; }

    /// <summary>Its length in clocks (UTF-16 units for text).</summary>
    public required uint Length { get; init; }

    /// <summary>The left neighbour at insertion, if written.</summary>
    public UpdateId? Origin { get; init; }

    /// <summary>The right neighbour at insertion, if written.</summary>
    public UpdateId? RightOrigin { get; init; }

    /// <summary>The root type name, when the item has no neighbours and sits in a root type.</summary>
    public string? ParentKey { get; init; }

    /// <summary>The item holding the parent type, when the item has no neighbours and sits in a nested type.</summary>
    public UpdateId? ParentId { get; init; }

    /// <summary>The map key, when written (items without neighbours only).</summary>
    public string? ParentSub { get; init; }

    /// <summary>The text of a String item.</summary>
    public string? Text { get; init; }

    /// <summary>The encoded content, as in the update (empty for GC and Skip).</summary>
    public required byte[] Content { get; init; }
}

/// <summary>An update decoded into its structs (in wire order) and its delete set.</summary>
/// <param name="Structs">The structs.</param>
/// <param name="Deleted">Deleted ranges per client, as written.</param>
public sealed record DecodedUpdate(IReadOnlyList<UpdateStructInfo> Structs, IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> Deleted);
