using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Structs;

/// <summary>A run of clock units of one client: an <see cref="Item"/>, a <see cref="GcStruct"/> or a <see cref="SkipStruct"/>.</summary>
internal abstract class AbstractStruct
{
    public ItemId Id;
    public int Length;

    protected AbstractStruct(ItemId id, int length)
    {
        Id = id;
        Length = length;
    }

    public abstract bool Deleted { get; }

    /// <summary>Clock just past the end of this struct.</summary>
    public uint EndClock => Id.Clock + (uint)Length;

    public abstract bool MergeWith(AbstractStruct right);

    public abstract void Write(UpdateEncoder encoder, int offset);

    public abstract void Integrate(Transaction transaction, int offset);

    /// <summary>The client whose missing struct blocks integration, or null once all dependencies are found.</summary>
    public abstract uint? GetMissing(Transaction transaction, StructStore store);
}

/// <summary>Garbage-collected clock range (content ref 0): nothing but its length survives.</summary>
internal sealed class GcStruct : AbstractStruct
{
    public GcStruct(ItemId id, int length)
        : base(id, length)
    {
    }

    public override bool Deleted => true;

    public override bool MergeWith(AbstractStruct right)
    {
        if (right is not GcStruct)
        {
            return false;
        }

        Length += right.Length;
        return true;
    }

    public override void Write(UpdateEncoder encoder, int offset)
    {
        encoder.WriteInfo(0);
        encoder.WriteLen((ulong)(Length - offset));
    }

    public override void Integrate(Transaction transaction, int offset)
    {
        if (offset > 0)
        {
            Id = new ItemId(Id.Client, Id.Clock + (uint)offset);
            Length -= offset;
        }

        transaction.Doc.Store.AddStruct(this, transaction);
    }

    public override uint? GetMissing(Transaction transaction, StructStore store) => null;
}

/// <summary>A gap in a merged or diffed update (content ref 10); never integrated.</summary>
internal sealed class SkipStruct : AbstractStruct
{
    public SkipStruct(ItemId id, int length)
        : base(id, length)
    {
    }

    public override bool Deleted => true;

    public override bool MergeWith(AbstractStruct right)
    {
        if (right is not SkipStruct)
        {
            return false;
        }

        Length += right.Length;
        return true;
    }

    public override void Write(UpdateEncoder encoder, int offset)
    {
        encoder.WriteInfo(10);
        encoder.Rest.WriteVarUInt((ulong)(Length - offset));
    }

    public override void Integrate(Transaction transaction, int offset) =>
        throw new InvalidOperationException("Skip structs cannot be integrated");

    public override uint? GetMissing(Transaction transaction, StructStore store) => null;
}
