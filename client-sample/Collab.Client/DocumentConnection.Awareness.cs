using Collab.Crdt.Protocol;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Client;

public sealed partial class DocumentConnection
{
    private bool _bumpingAwareness;

    /// <summary>
    /// The presence table (cursors, names) shared with the branch's other clients, if one was given to
    /// <c>CollabClient.OpenAsync</c>. Local changes (<c>SetLocalState</c>) are sent; remote ones are applied.
    /// </summary>
    public Awareness? Awareness { get; }

    private void OnAwarenessUpdate(object? sender, AwarenessChange change)
    {
        if (_bumpingAwareness || !Equals(change.Origin, Awareness.LocalOrigin))
        {
            return;
        }

        byte[] update;
        lock (_gate)
        {
            if (!_joined)
            {
                return; // sent on the next join
            }

            update = Awareness!.EncodeUpdate(change.All);
        }

        _ = SendAwarenessAsync(update);
    }

    private void ResendAwareness()
    {
        if (Awareness?.LocalState is not { } state)
        {
            return;
        }

        // While we were away the server told the others we left, with our clock + 1. A state with an equal clock
        // would be ignored, so skip one clock silently before publishing again.
        _bumpingAwareness = true;
        try
        {
            Awareness.SetLocalState(state);
        }
        finally
        {
            _bumpingAwareness = false;
        }

        Awareness.SetLocalState(state);
    }

    private void ForgetRemoteAwareness()
    {
        // Nobody tells us who left while we are away: drop the others now; the server sends everyone again on join.
        if (Awareness is null)
        {
            return;
        }

        var others = Awareness.States.Keys.Where(c => c != Awareness.ClientId).ToArray();
        if (others.Length > 0)
        {
            Awareness.RemoveAwarenessStates(others, this);
        }
    }

    private async Task SendAwarenessAsync(byte[] update)
    {
        try
        {
            if (_client.Hub.State == HubConnectionState.Connected)
            {
                await _client.Hub.InvokeAsync("Awareness", DocumentId, Branch, update).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _client.ReportError(e);
        }
    }
}
