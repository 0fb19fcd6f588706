namespace Collab.Documents.Sessions;

/// <summary>Placeholder until the engine branch lands: the adapter over Collab.Crdt's YDoc replaces it.</summary>
public sealed class YDocFactory : ICrdtDocumentFactory
{
    /// <inheritdoc />
    public ICrdtDocument Create() => throw new NotSupportedException("The CRDT engine (YDoc) is not merged into this branch yet.");
}
