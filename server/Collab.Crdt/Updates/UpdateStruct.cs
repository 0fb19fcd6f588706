namespace Collab.Crdt.Updates;

/// <summary>What kind of struct a run of clocks in an update is.</summary>
internal enum StructKind : byte
{
    /// <summary>Garbage-collected clocks (content ref 0).</summary>
    Gc,

    /// <summary>A gap filler written by merge and diff (content ref 10); carries nothing.</summary>
    Skip,

    /// <summary>An item with content (content refs 1 to 9).</summary>
    Item,
}

/// <summary>How an item without neighbours names its parent.</summary>
internal enum ParentKind : byte
{
    /// <summary>The item has an origin or right origin: the parent comes from the neighbour.</summary>
    None,

    /// <summary>A root type, named by a string.</summary>
    RootKey,

    /// <summary>A nested type, named by the id of the item that holds it.</summary>
    ItemId,
}

/// <summary>
/// One struct of a v1 update, read without a document: its header fields decoded, its content left as encoded bytes
/// in <see cref="Source"/>. Slicing never copies content: it moves <see cref="Clock"/> and records how many units
/// of the content are cut from the front (<see cref="ContentOffset"/>); the cut happens when the struct is written.
/// </summary>
internal struct UpdateStruct
{
    public StructKind Kind;
    public byte ContentRef;
    public uint Client;
    public uint Clock;
    public uint Length;

    public bool HasOrigin;
    public uint OriginClient;
    public uint OriginClock;

    public bool HasRightOrigin;
    public uint RightOriginClient;
    public uint RightOriginClock;

    public ParentKind Parent;
    public uint ParentClient;
    public uint ParentClock;

    /// <summary>Raw UTF-8 of the root type name (when <see cref="Parent"/> is <see cref="ParentKind.RootKey"/>).</summary>
    public int ParentKeyStart;
    public int ParentKeyLength;

    /// <summary>Whether the item sits under a map key; yjs keeps this through slicing even when not written.</summary>
    public bool HasParentSub;
    public int ParentSubStart;
    public int ParentSubLength;

    /// <summary>The encoded content (after the header) in <see cref="Source"/>.</summary>
    public int ContentStart;
    public int ContentLength;

    /// <summary>Units of content already sliced off the front.</summary>
    public uint ContentOffset;

    public byte[] Source;

    /// <summary>Absolute position of the info byte, for error messages.</summary>
    public int Offset;

    /// <summary>First clock after this struct (computed in 64 bits: never overflows).</summary>
    public readonly ulong End => (ulong)Clock + Length;

    /// <summary>
    /// The right part of this struct from <paramref name="diff"/> on, as yjs's <c>sliceStruct</c> makes it: the
    /// item's origin becomes the last clock of the cut-off part.
    /// </summary>
    public readonly UpdateStruct SliceFrom(uint diff)
    {
        var right = this;
        right.Clock = Clock + diff;
        right.Length = Length - diff;
        if (Kind == StructKind.Item)
        {
            right.HasOrigin = true;
            right.OriginClient = Client;
            right.OriginClock = Clock + diff - 1;
            right.ContentOffset = ContentOffset + diff;
        }

        return right;
    }
}
