using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Types;

/// <summary>
/// A root type received from an update before anyone asked for it as text, map, array or XML (root types are untyped
/// on the wire). It keeps its items unchanged; <c>YDoc.GetText</c> etc. turn it into the requested type.
/// </summary>
public sealed class YUntypedRoot : AbstractType
{
    internal YUntypedRoot()
    {
    }

    /// <summary>Like yjs's AbstractType.toJSON(): undefined.</summary>
    public override object? ToJson() => YUndefined.Value;

    internal override AbstractType CopyEmpty() => new YUntypedRoot();

    internal override void WriteTypeRef(UpdateEncoder encoder) =>
        throw new InvalidOperationException("An untyped root cannot be nested");

    internal override void CallObserver(Transaction transaction, HashSet<string?> parentSubs)
    {
        base.CallObserver(transaction, parentSubs);
        CallTypeObservers(transaction, new YEvent(this, transaction));
    }
}
