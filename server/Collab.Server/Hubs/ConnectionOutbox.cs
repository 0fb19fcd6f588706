using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Hubs;

/// <summary>
/// The messages waiting to be sent to one connection. Broadcasts never wait: when nothing is queued or being written,
/// a message is written at once on the broadcasting thread (writing into the transport's buffer completes at once
/// unless the connection is behind); otherwise it is queued, and one drain task at a time writes the queue in order.
/// So one connection that stops reading can never hold up a branch's writer or the other connections, and an idle
/// connection costs no task and no thread hop. Bounded by a message count and a byte total: a connection that falls
/// that far behind is aborted; it reconnects and resyncs, and loses nothing acknowledged because the log holds it.
/// </summary>
internal sealed class ConnectionOutbox
{
    private readonly HubConnectionContext _connection;
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly Queue<Outgoing> _queue = new();
    private readonly Lock _gate = new();
    private long _bytes;
    private bool _writing; // a write (inline or by the drain task) owns the transport; guarded by _gate
    private int _closed;

    public ConnectionOutbox(HubConnectionContext connection, int maxMessages, long maxBytes, ILogger logger)
    {
        _connection = connection;
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
        _logger = logger;
    }

    /// <summary>Messages queued and not yet written.</summary>
    public int QueuedMessages
    {
        get
        {
            lock (_gate) return _queue.Count;
        }
    }

    /// <summary>Bytes queued or being written (released once the transport took them).</summary>
    public long QueuedBytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// Sends or queues a message without waiting. When the outbox is full (by count, or by bytes while something is
    /// already queued, so that one message larger than the byte limit can still go out alone), the connection is
    /// aborted and false is returned.
    /// </summary>
    public bool TryEnqueue(SerializedHubMessage message, int size)
    {
        if (Volatile.Read(ref _closed) != 0) return false;
        var outgoing = new Outgoing(message, size);
        int queued;
        lock (_gate)
        {
            var total = Interlocked.Add(ref _bytes, size);
            if (!_writing && _queue.Count == 0)
            {
                _writing = true;
                queued = -1;
            }
            else if ((total > _maxBytes && total != size) || _queue.Count >= _maxMessages)
            {
                Interlocked.Add(ref _bytes, -size);
                queued = _queue.Count;
            }
            else
            {
                _queue.Enqueue(outgoing);
                return true;
            }
        }
        if (queued >= 0)
        {
            Overflow(queued);
            return false;
        }
        WriteInline(outgoing);
        return true;
    }

    /// <summary>Stops sending and drops what is queued (the connection closed).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        lock (_gate)
        {
            while (_queue.TryDequeue(out var dropped)) Interlocked.Add(ref _bytes, -dropped.Size);
        }
        _closing.Cancel();
    }

    private void Overflow(int queued)
    {
        if (Volatile.Read(ref _closed) != 0) return;
        ServerLog.OutboxOverflow(_logger, _connection.ConnectionId, queued, Interlocked.Read(ref _bytes));
        Close();
        _connection.Abort();
    }

    /// <summary>The first message into an idle outbox: written on the caller's thread; a slow write goes on as a task.</summary>
    private void WriteInline(Outgoing outgoing)
    {
        ValueTask write;
        try
        {
            write = _connection.WriteAsync(outgoing.Message, _closing.Token);
        }
        catch (Exception ex) when (IsTransportGone(ex))
        {
            Written(outgoing);
            Stop();
            return;
        }
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult(); // consumes the ValueTask
            Written(outgoing);
            if (TryFinish()) return;
            _ = DrainAsync(default, null);
            return;
        }
        _ = DrainAsync(write, outgoing);
    }

    /// <summary>Awaits a write that did not complete at once, then writes what was queued meanwhile, in order.</summary>
    private async Task DrainAsync(ValueTask pending, Outgoing? pendingMessage)
    {
        try
        {
            if (pendingMessage is { } first)
            {
                try
                {
                    await pending.ConfigureAwait(false);
                }
                finally
                {
                    Written(first);
                }
            }
            else
            {
                await Task.Yield(); // off the broadcasting thread: the queue may be long
            }
            while (true)
            {
                Outgoing next;
                lock (_gate)
                {
                    if (!_queue.TryDequeue(out next))
                    {
                        _writing = false;
                        return;
                    }
                }
                try
                {
                    // Awaits the transport's back-pressure: only this connection's task waits for a slow reader.
                    await _connection.WriteAsync(next.Message, _closing.Token).ConfigureAwait(false);
                }
                finally
                {
                    Written(next);
                }
            }
        }
        catch (Exception ex) when (IsTransportGone(ex))
        {
            Stop();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Anything else would leave the outbox stuck with broadcasts never sent: drop the connection, whose client
            // reconnects and resyncs (nothing acknowledged is lost: the log holds it).
            ServerLog.HubFailure(_logger, "outbox", ex);
            Stop();
            Close();
            _connection.Abort();
        }
    }

    /// <summary>Releases the writer role when nothing was queued during an inline write; false hands on to the drain task.</summary>
    private bool TryFinish()
    {
        lock (_gate)
        {
            if (_queue.Count > 0) return false;
            _writing = false;
            return true;
        }
    }

    private void Written(Outgoing outgoing) => Interlocked.Add(ref _bytes, -outgoing.Size);

    /// <summary>The transport went away or the outbox closed: drop the rest (the disconnect path closes the outbox too).</summary>
    private void Stop()
    {
        lock (_gate)
        {
            while (_queue.TryDequeue(out var dropped)) Interlocked.Add(ref _bytes, -dropped.Size);
            _writing = false;
        }
    }

    private static bool IsTransportGone(Exception ex) =>
        ex is OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException;

    private readonly record struct Outgoing(SerializedHubMessage Message, int Size);
}
