using System.Net.WebSockets;
using System.Threading.Channels;

namespace Collab.Server.Protocols;

/// <summary>
/// The frames waiting to be sent on one raw WebSocket, drained by one task (a WebSocket allows one send at a time).
/// Broadcasts only enqueue, never wait, so a socket that stops reading cannot hold up a branch's writer or the other
/// connections. Bounded by a frame count and a byte total like the hub's outbox: a socket that falls that far behind is
/// aborted; its provider reconnects and resyncs, and loses nothing acknowledged because the log holds it.
/// </summary>
internal sealed class SocketOutbox
{
    private readonly WebSocket _socket;
    private readonly string _connectionId;
    private readonly Channel<Outgoing> _queue;
    private readonly long _maxBytes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private long _bytes;
    private int _closed;

    public SocketOutbox(WebSocket socket, string connectionId, int maxMessages, long maxBytes, ILogger logger)
    {
        _socket = socket;
        _connectionId = connectionId;
        _maxBytes = maxBytes;
        _logger = logger;
        _queue = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(maxMessages)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; nobody ever waits
        });
        Completion = Task.Run(DrainAsync);
    }

    /// <summary>Frames queued and not yet taken by the drain task.</summary>
    public int QueuedFrames => _queue.Reader.Count;

    /// <summary>Bytes of frames queued or being sent.</summary>
    public long QueuedBytes => Interlocked.Read(ref _bytes);

    /// <summary>Completes when the drain task has stopped (after a close frame was sent, <see cref="Abort"/>, or a transport failure).</summary>
    public Task Completion { get; }

    /// <summary>
    /// Queues one binary frame without waiting. When the outbox is full (by count, or by bytes while something is
    /// already queued, so that one frame larger than the byte limit can still go out alone) the socket is aborted and
    /// false is returned.
    /// </summary>
    public bool TrySend(byte[] frame)
    {
        if (Volatile.Read(ref _closed) != 0) return false;
        var total = Interlocked.Add(ref _bytes, frame.Length);
        if ((total > _maxBytes && total != frame.Length) || !_queue.Writer.TryWrite(new Outgoing(frame, null, null)))
        {
            Interlocked.Add(ref _bytes, -frame.Length);
            Overflow();
            return false;
        }
        return true;
    }

    /// <summary>
    /// Sends a close frame after what is queued, then stops taking frames. The peer answers with its own close, which
    /// ends the connection's receive loop.
    /// </summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        if (!_queue.Writer.TryWrite(new Outgoing(null, status, YWebsocket.YWebsocketEndpoint.CloseReason(reason)))) Abort();
        _queue.Writer.TryComplete();
    }

    /// <summary>Drops what is queued and aborts the socket (it closed, or it fell behind).</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref _closed, 1);
        _queue.Writer.TryComplete();
        _closing.Cancel();
        _socket.Abort();
    }

    private void Overflow()
    {
        if (Volatile.Read(ref _closed) != 0) return;
        ServerLog.OutboxOverflow(_logger, _connectionId, _queue.Reader.Count, Interlocked.Read(ref _bytes));
        Abort();
    }

    private async Task DrainAsync()
    {
        try
        {
            await foreach (var outgoing in _queue.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                if (outgoing.Frame is { } frame)
                {
                    try
                    {
                        // Awaits the transport's back-pressure: only this socket's task waits for a slow reader.
                        await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, _closing.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Add(ref _bytes, -frame.Length);
                    }
                }
                else if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(outgoing.Status!.Value, outgoing.Reason, _closing.Token).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // aborted
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The transport went away; the connection's receive loop sees it too and cleans up.
        }
    }

    private readonly record struct Outgoing(byte[]? Frame, WebSocketCloseStatus? Status, string? Reason);
}
