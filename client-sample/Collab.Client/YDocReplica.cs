using Collab.Crdt.Document;

namespace Collab.Client;

/// <summary>Adapts the engine's <see cref="YDoc"/> to <see cref="IDocumentReplica"/>.</summary>
public sealed class YDocReplica : IDocumentReplica, IDisposable
{
    private readonly object _remoteOrigin = new();

    /// <summary>Watches <paramref name="doc"/>'s updates; every transaction not applied by the connection is sent.</summary>
    public YDocReplica(YDoc doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        Doc = doc;
        Doc.UpdateV1 += OnUpdate;
    }

    /// <inheritdoc />
    public event Action<byte[]>? LocalUpdate;

    /// <summary>The document kept in sync.</summary>
    public YDoc Doc { get; }

    /// <inheritdoc />
    public byte[] EncodeStateVector() => Doc.EncodeStateVector();

    /// <inheritdoc />
    public byte[] EncodeStateAsUpdate(byte[] stateVector) => Doc.EncodeStateAsUpdate(stateVector);

    /// <inheritdoc />
    public void ApplyRemoteUpdate(byte[] update) => Doc.ApplyUpdate(update, _remoteOrigin);

    /// <summary>Stops watching the document.</summary>
    public void Dispose() => Doc.UpdateV1 -= OnUpdate;

    private void OnUpdate(byte[] update, object? origin)
    {
        if (!ReferenceEquals(origin, _remoteOrigin))
        {
            LocalUpdate?.Invoke(update);
        }
    }
}
