using Collab.Client.Protocol;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Client;

public sealed partial class DocumentConnection
{
    private string? _awarenessJson;
    private ulong _awarenessClock;
    private bool _awarenessPublished;

    /// <summary>
    /// Publishes this client's presence (a JSON object such as <c>{"user":{"name":"alice"}}</c>) to the branch's
    /// other clients, or withdraws it with null. The state is sent again after every reconnect.
    /// </summary>
    public async Task SetLocalAwarenessStateAsync(string? stateJson, CancellationToken cancellationToken = default)
    {
        byte[]? update;
        lock (_gate)
        {
            if (stateJson is null && !_awarenessPublished)
            {
                return;
            }

            _awarenessJson = stateJson;
            _awarenessClock++;
            _awarenessPublished = stateJson is not null;
            update = _joined ? EncodeLocalAwareness() : null;
        }

        if (update is not null && _client.Hub.State == HubConnectionState.Connected)
        {
            await _client.Hub.InvokeAsync("Awareness", DocumentId, Branch, update, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ResendAwarenessAsync()
    {
        byte[] update;
        lock (_gate)
        {
            if (_awarenessJson is null)
            {
                return;
            }

            // While we were away the server told the others we left, with our clock + 1; only a higher clock wins.
            _awarenessClock += 2;
            update = EncodeLocalAwareness();
        }

        try
        {
            await _client.Hub.InvokeAsync("Awareness", DocumentId, Branch, update).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _client.ReportError(e);
        }
    }

    private byte[] EncodeLocalAwareness() =>
        AwarenessCodec.Encode([new AwarenessEntry(_replica.ClientId, _awarenessClock, _awarenessJson)]);
}
