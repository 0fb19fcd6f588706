using Collab.Crdt.Structs;
using Collab.Crdt.Updates;

namespace Collab.Crdt.History;

/// <summary>What the content of an inserted struct is.</summary>
public enum InsertedContent : byte
{
    /// <summary>Garbage-collected clocks: nothing left.</summary>
    Gc,

    /// <summary>An item whose content was dropped (deleted).</summary>
    Deleted,

    /// <summary>Characters of a text (one clock per UTF-16 unit).</summary>
    Text,

    /// <summary>An embed in a text.</summary>
    Embed,

    /// <summary>A formatting mark in a text (not counted).</summary>
    Format,

    /// <summary>A nested shared type.</summary>
    Type,

    /// <summary>Values of an array or map (JSON, binary, subdocument).</summary>
    Value,
}

/// <summary>One struct an update inserts.</summary>
/// <param name="Client">Its client.</param>
/// <param name="Clock">Its first clock.</param>
/// <param name="Length">How many clocks it spans.</param>
/// <param name="Content">What it holds.</param>
/// <param name="RootKey">The root type it sits in directly, when the update names it.</param>
/// <param name="Parent">The item holding the nested type it sits in, when the update names it.</param>
/// <param name="Origin">Its left neighbour when inserted (its parent is that neighbour's).</param>
/// <param name="RightOrigin">Its right neighbour when inserted.</param>
/// <param name="UnderKey">Whether it is a map entry.</param>
/// <param name="TypeKind">What a root holding it directly would be (map entry: map; characters: text…); null for GC'd or deleted content.</param>
public readonly record struct InsertedStruct(
    uint Client,
    uint Clock,
    uint Length,
    InsertedContent Content,
    string? RootKey,
    ItemId? Parent,
    ItemId? Origin,
    ItemId? RightOrigin,
    bool UnderKey,
    RootKind? TypeKind);

/// <summary>The result of <see cref="YUpdate.Inspect"/>.</summary>
/// <param name="Inserted">The structs, in update order (clients descending, clocks ascending).</param>
/// <param name="Deleted">Per client, the clock ranges the delete set deletes (sorted, joined).</param>
public sealed record UpdateDetail(IReadOnlyList<InsertedStruct> Inserted, IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>> Deleted);
