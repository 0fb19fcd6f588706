using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Hubs;

/// <summary>
/// The messages waiting to be sent to one connection, drained by one task per connection. Broadcasts only enqueue
/// (never wait), so one connection that stops reading can never hold up a branch's writer or the other connections.
/// Bounded by a message count and a byte total: a connection that falls that far behind is aborted; it reconnects and
/// resyncs, and loses nothing acknowledged because the log holds it.
/// </summary>
internal sealed class ConnectionOutbox
{
    private readonly HubConnectionContext _connection;
    private readonly Channel<Outgoing> _queue;
    private readonly long _maxBytes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private long _bytes;
    private int _closed;

    public ConnectionOutbox(HubConnectionContext connection, int maxMessages, long maxBytes, ILogger logger)
    {
        _connection = connection;
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

    /// <summary>Messages queued and not yet taken by the drain task.</summary>
    public int QueuedMessages => _queue.Reader.Count;

    /// <summary>Bytes queued or being written (released once the transport took them).</summary>
    public long QueuedBytes => Interlocked.Read(ref _bytes);

    /// <summary>Completes when the drain task has stopped (after <see cref="Close"/> or an abort).</summary>
    public Task Completion { get; }

    /// <summary>
    /// Queues a message without waiting. When the outbox is full (by count, or by bytes while something is already
    /// queued, so that one message larger than the byte limit can still go out alone), the connection is aborted and
    /// false is returned.
    /// </summary>
    public bool TryEnqueue(SerializedHubMessage message, int size)
    {
        if (Volatile.Read(ref _closed) != 0) return false;
        var total = Interlocked.Add(ref _bytes, size);
        if ((total > _maxBytes && total != size) || !_queue.Writer.TryWrite(new Outgoing(message, size)))
        {
            Interlocked.Add(ref _bytes, -size);
            Overflow();
            return false;
        }
        return true;
    }

    /// <summary>Stops sending and drops what is queued (the connection closed).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _queue.Writer.TryComplete();
        _closing.Cancel();
    }

    private void Overflow()
    {
        if (Volatile.Read(ref _closed) != 0) return;
        ServerLog.OutboxOverflow(_logger, _connection.ConnectionId, _queue.Reader.Count, Interlocked.Read(ref _bytes));
        Close();
        _connection.Abort();
    }

    private async Task DrainAsync()
    {
        try
        {
            await foreach (var outgoing in _queue.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                try
                {
                    // Awaits the transport's back-pressure: only this connection's task waits for a slow reader.
                    await _connection.WriteAsync(outgoing.Message, _closing.Token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Add(ref _bytes, -outgoing.Size);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // closed
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The transport went away; the disconnect path closes the outbox.
        }
    }

    private readonly record struct Outgoing(SerializedHubMessage Message, int Size);
}
