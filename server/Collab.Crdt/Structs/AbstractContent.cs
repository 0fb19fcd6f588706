using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Structs;

/// <summary>The content of an <see cref="Item"/>; one subclass per content ref (1..9).</summary>
internal abstract class AbstractContent
{
    public abstract int Length { get; }

    /// <summary>Whether the content counts towards a type's length and index (format and deleted do not).</summary>
    public abstract bool IsCountable { get; }

    /// <summary>The content ref written in the low 5 bits of the info byte.</summary>
    public abstract byte Ref { get; }

    public abstract AbstractContent Copy();

    /// <summary>Cuts this content at <paramref name="offset"/>, keeping the left part and returning the right part.</summary>
    public virtual AbstractContent Splice(int offset) =>
        throw new InvalidOperationException($"{GetType().Name} cannot be split");

    public virtual bool MergeWith(AbstractContent right) => false;

    public virtual void Integrate(Transaction transaction, Item item)
    {
    }

    public virtual void Delete(Transaction transaction)
    {
    }

    public virtual void Gc(StructStore store)
    {
    }

    public abstract void Write(UpdateEncoder encoder, int offset);

    /// <summary>Appends the user-visible values (yjs getContent) to <paramref name="output"/>.</summary>
    public abstract void AppendContent(List<object?> output);

    /// <summary>The value at <paramref name="index"/> (yjs getContent()[index]).</summary>
    public abstract object? GetValue(int index);
}
