namespace Collab.Client;

/// <summary>
/// The local copy of a document that a <see cref="DocumentConnection"/> keeps in sync, seen as Yjs update bytes.
/// <see cref="YDocReplica"/> adapts the engine's <c>YDoc</c>; a load generator may use something lighter.
/// </summary>
/// <remarks>
/// A <see cref="DocumentConnection"/> calls these members under its own lock, one at a time; the implementation need
/// not be thread safe as long as local edits also go through <see cref="DocumentConnection.Transact"/>.
/// </remarks>
public interface IDocumentReplica
{
    /// <summary>Raised with the update v1 bytes of each local change (never for <see cref="ApplyRemoteUpdate"/>).</summary>
    event Action<byte[]>? LocalUpdate;

    /// <summary>The replica's state vector (lib0 encoded).</summary>
    byte[] EncodeStateVector();

    /// <summary>What a peer with <paramref name="stateVector"/> lacks, as an update v1.</summary>
    byte[] EncodeStateAsUpdate(byte[] stateVector);

    /// <summary>Applies an update from the server without raising <see cref="LocalUpdate"/>.</summary>
    void ApplyRemoteUpdate(byte[] update);
}
