using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Client;

/// <summary>
/// One SignalR connection to the Collab hub (<c>/hubs/documents</c>) carrying any number of open documents.
/// It reconnects on its own, without giving up, and re-joins every open document after a reconnect.
/// </summary>
public sealed partial class CollabClient : IAsyncDisposable
{
    /// <summary>Path of the hub relative to the server's base address.</summary>
    public const string HubPath = "hubs/documents";

    private readonly CollabClientOptions _options;
    private readonly ConcurrentDictionary<(string DocumentId, string Branch), DocumentConnection> _documents = new();
    private readonly CancellationTokenSource _disposed = new();
    private volatile bool _wantConnected;

    /// <summary>Creates a client; nothing is sent until <see cref="ConnectAsync"/>.</summary>
    public CollabClient(CollabClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(options.ServerUrl, HubPath), http =>
            {
                http.AccessTokenProvider = options.AccessTokenProvider;
                if (options.SkipNegotiation)
                {
                    http.SkipNegotiation = true;
                    http.Transports = HttpTransportType.WebSockets;
                }

                options.ConfigureHttpConnection?.Invoke(http);
            })
            .WithAutomaticReconnect(new ForeverRetryPolicy(options.MaxReconnectDelay));
        if (options.Protocol == CollabHubProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        else
        {
            builder.AddJsonProtocol();
        }

        Hub = builder.Build();
        Hub.On<string, string, byte[]>("Sync", (documentId, branch, message) =>
        {
            // While a document moves to a new branch it is registered under both; only the new branch's messages count.
            if (_documents.TryGetValue((documentId, branch), out var document) && document.Branch == branch)
            {
                document.Receive(isAwareness: false, message);
            }
        });
        Hub.On<string, string, byte[]>("Awareness", (documentId, branch, update) =>
        {
            if (_documents.TryGetValue((documentId, branch), out var document) && document.Branch == branch)
            {
                document.Receive(isAwareness: true, update);
            }
        });
        Hub.Reconnecting += _ =>
        {
            foreach (var document in _documents.Values)
            {
                document.OnConnectionLost();
            }

            return Task.CompletedTask;
        };
        Hub.Reconnected += _ => RejoinAllAsync();
        Hub.Closed += OnClosedAsync;
    }

    /// <summary>The underlying SignalR connection.</summary>
    public HubConnection Hub { get; }

    /// <summary>State of the underlying connection.</summary>
    public HubConnectionState State => Hub.State;

    /// <summary>Raised when something goes wrong in the background (a failed rejoin, a malformed message).</summary>
    public event Action<Exception>? Error;

    /// <summary>Connects (if not connected) and re-joins documents that were open before a <see cref="DisconnectAsync"/>.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        _wantConnected = true;
        if (Hub.State == HubConnectionState.Disconnected)
        {
            await Hub.StartAsync(cancellationToken).ConfigureAwait(false);
            await RejoinAllAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the connection. Open documents stay usable offline: their edits queue up and are sent, with their original
    /// update ids, by the next <see cref="ConnectAsync"/>.
    /// </summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        _wantConnected = false;
        await Hub.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var document in _documents.Values)
        {
            document.OnConnectionLost();
        }
    }

    /// <summary>
    /// Joins <paramref name="documentId"/>@<paramref name="branch"/> and starts syncing <paramref name="replica"/> with
    /// it, and <paramref name="awareness"/> (if given) with the branch's presence. The returned connection's
    /// <see cref="DocumentConnection.Synced"/> completes after the first handshake.
    /// </summary>
    public async Task<DocumentConnection> OpenAsync(
        string documentId, string branch, IDocumentReplica replica, Collab.Crdt.Protocol.Awareness? awareness = null,
        CancellationToken cancellationToken = default)
    {
        var document = new DocumentConnection(this, documentId, branch, replica, awareness);
        if (!_documents.TryAdd((documentId, branch), document))
        {
            document.Detach();
            throw new InvalidOperationException($"{documentId}@{branch} is already open on this client.");
        }

        try
        {
            if (Hub.State == HubConnectionState.Connected)
            {
                await document.JoinAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _documents.TryRemove((documentId, branch), out _);
            document.Detach();
            throw;
        }

        return document;
    }

    /// <summary>
    /// Joins <paramref name="documentId"/>@<paramref name="branch"/> and keeps <paramref name="doc"/> in sync with it.
    /// Edit the document inside <see cref="DocumentConnection.Transact"/>.
    /// </summary>
    public Task<DocumentConnection> OpenAsync(
        string documentId, string branch, Collab.Crdt.Document.YDoc doc, Collab.Crdt.Protocol.Awareness? awareness = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(documentId, branch, new YDocReplica(doc), awareness, cancellationToken);

    internal async Task CloseDocumentAsync(DocumentConnection document)
    {
        _documents.TryRemove((document.DocumentId, document.Branch), out _);
        if (Hub.State == HubConnectionState.Connected)
        {
            await Hub.InvokeAsync("Leave", document.DocumentId, document.Branch).ConfigureAwait(false);
        }
    }

    internal void ReportError(Exception error) => Error?.Invoke(error);

    private async Task RejoinAllAsync()
    {
        foreach (var document in _documents.Values)
        {
            var delay = TimeSpan.FromMilliseconds(100);
            while (Hub.State == HubConnectionState.Connected && !_disposed.IsCancellationRequested)
            {
                try
                {
                    await document.JoinAsync(_disposed.Token).ConfigureAwait(false);
                    break;
                }
                catch (HubException e) when (DocumentConnection.IsTransient(e))
                {
                    // The server is starting, stopping or reloading the branch: join again shortly.
                    ReportError(e);
                    await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Refused (no access any more, document gone) or the link dropped: the next reconnect tries again.
                    ReportError(e);
                    break;
                }
            }
        }
    }

    private async Task OnClosedAsync(Exception? error)
    {
        foreach (var document in _documents.Values)
        {
            document.OnConnectionLost();
        }

        // Automatic reconnect only covers a drop after a successful start; keep trying while the user wants a link.
        var delay = TimeSpan.FromMilliseconds(250);
        while (_wantConnected && !_disposed.IsCancellationRequested && Hub.State == HubConnectionState.Disconnected)
        {
            try
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
                if (!_wantConnected || Hub.State != HubConnectionState.Disconnected)
                {
                    return;
                }

                await Hub.StartAsync(_disposed.Token).ConfigureAwait(false);
                await RejoinAllAsync().ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or System.Net.WebSockets.WebSocketException or InvalidOperationException)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _wantConnected = false;
        await _disposed.CancelAsync().ConfigureAwait(false);
        await Hub.DisposeAsync().ConfigureAwait(false);
        foreach (var document in _documents.Values)
        {
            document.Detach();
        }

        _documents.Clear();
        _disposed.Dispose();
    }

    private sealed class ForeverRetryPolicy(TimeSpan max) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext)
        {
            double ms = 100 * Math.Pow(2, Math.Min(retryContext.PreviousRetryCount, 10));
            return TimeSpan.FromMilliseconds(Math.Min(ms, max.TotalMilliseconds));
        }
    }
}
