namespace Collab.Documents.Sessions;

/// <summary>
/// The few operations a live session needs from the CRDT engine. Keeping them behind this seam lets the session logic
/// be tested on its own and keeps the engine's event wiring in one adapter.
/// </summary>
public interface ICrdtDocument : IDisposable
{
    /// <summary>
    /// Applies a v1 update atomically and returns the v1 updates the document emitted (what was integrated, including
    /// previously pending structs that became integrable); empty when nothing was integrated. What depends on state
    /// the document lacks stays pending in memory (see <see cref="HasPending"/>) and is not part of the result. Throws
    /// <see cref="Collab.Crdt.YjsFormatException"/> for malformed input and then leaves the document unchanged.
    /// </summary>
    IReadOnlyList<AppliedUpdate> Apply(byte[] update);

    /// <summary>Whether structs or deletes wait for missing dependencies.</summary>
    bool HasPending { get; }

    /// <summary>
    /// Whether applying <paramref name="update"/> now would leave any of it pending, without applying it. Throws
    /// <see cref="Collab.Crdt.YjsFormatException"/> for malformed input.
    /// </summary>
    bool WouldLeavePending(byte[] update);

    /// <summary>Drops everything pending (integrated content is untouched).</summary>
    void ClearPending();

    /// <summary>The document's state vector (client → next clock) of integrated content.</summary>
    IReadOnlyDictionary<uint, uint> GetStateVector();

    /// <summary>
    /// Whether applying <paramref name="update"/> would change the document (structs it lacks, or deletions it has not
    /// applied), without applying it. Used to refuse a read-only peer's changes while accepting its empty answers.
    /// </summary>
    bool WouldChange(byte[] update);

    /// <summary>The document's state vector (v1).</summary>
    byte[] EncodeStateVector();

    /// <summary>
    /// The whole document, or what a peer with <paramref name="stateVector"/> lacks (v1): integrated content only, never
    /// pending structs or deletes (they are unverified claims; a forged one could shadow integrated content).
    /// </summary>
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
