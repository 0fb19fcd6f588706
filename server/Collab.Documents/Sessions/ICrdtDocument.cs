namespace Collab.Documents.Sessions;

/// <summary>
/// The few operations a live session needs from the CRDT engine. Keeping them behind this seam lets the session logic
/// be tested on its own and keeps the engine's event wiring in one adapter.
/// </summary>
public interface ICrdtDocument : IDisposable
{
    /// <summary>
    /// Applies a v1 update atomically and returns the v1 updates the document emitted (what actually changed, including
    /// previously pending structs that became integrable); empty when nothing changed. Throws
    /// <see cref="Collab.Crdt.YjsFormatException"/> for malformed input and then leaves the document unchanged.
    /// </summary>
    IReadOnlyList<AppliedUpdate> Apply(byte[] update);

    /// <summary>
    /// Whether applying <paramref name="update"/> would change the document (structs it lacks, or deletions it has not
    /// applied), without applying it. Used to refuse a read-only peer's changes while accepting its empty answers.
    /// </summary>
    bool WouldChange(byte[] update);

    /// <summary>The document's state vector (v1).</summary>
    byte[] EncodeStateVector();

    /// <summary>The whole document, or what a peer with <paramref name="stateVector"/> lacks (v1).</summary>
    byte[] EncodeStateAsUpdate(byte[]? stateVector);
}

/// <summary>One update a document emitted while applying, with the Yjs client ids it carries (for the event log).</summary>
public sealed record AppliedUpdate(byte[] Update, IReadOnlyList<uint> ClientIds);

/// <summary>Creates empty CRDT documents for sessions.</summary>
public interface ICrdtDocumentFactory
{
    /// <summary>A new empty document.</summary>
    ICrdtDocument Create();
}
