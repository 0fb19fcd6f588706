using System.Collections.Concurrent;
using System.Diagnostics;
using Collab.Client;

namespace Collab.LoadGenerator;

/// <summary>Shared counters and latency recorders of one run.</summary>
internal sealed class RunStats
{
    public LatencyRecorder AckLatency { get; } = new();

    public LatencyRecorder BroadcastLatency { get; } = new();

    /// <summary>Send time and number of receivers still to see it, per update identity (client, clock).</summary>
    public ConcurrentDictionary<(ulong Client, ulong Clock), SentUpdate> InFlight { get; } = new();

    public long Sent;
    public long Acked;
    public long Refused;
    public long Broadcasts;

    public bool Recording
    {
        set
        {
            AckLatency.Recording = value;
            BroadcastLatency.Recording = value;
        }
    }

    public static long MicrosecondsSince(long timestamp) =>
        (long)((Stopwatch.GetTimestamp() - timestamp) * 1_000_000.0 / Stopwatch.Frequency);
}

internal sealed class SentUpdate(long timestamp, int receivers)
{
    public long Timestamp { get; } = timestamp;

    public int Remaining = receivers;
}

/// <summary>One simulated editor: its own connection, user and <see cref="TypistReplica"/>.</summary>
internal sealed class SimulatedEditor(int index, Keystroke[] trace, RunStats stats, int receivers) : IAsyncDisposable
{
    private readonly ConcurrentQueue<long> _sendTimes = new(); // acks come back in send order on one connection
    private readonly TypistReplica _typist = new((uint)Random.Shared.NextInt64(1, uint.MaxValue));
    private CollabClient? _client;
    private DocumentConnection? _document;
    private int _next = (int)((index * 7919L) % trace.Length);
    private SemaphoreSlim? _window;

    public async Task OpenAsync(Uri server, string token, string documentId, bool json, CancellationToken ct)
    {
        _client = new CollabClient(new CollabClientOptions
        {
            ServerUrl = server,
            AccessTokenProvider = () => Task.FromResult<string?>(token),
            Protocol = json ? CollabHubProtocol.Json : CollabHubProtocol.MessagePack,
            SkipNegotiation = true,
        });
        await _client.ConnectAsync(ct);
        _document = await _client.OpenAsync(documentId, "main", _typist, awareness: null, ct);
        _document.Acknowledged += OnAck;
        _document.Refused += (_, _) =>
        {
            Interlocked.Increment(ref stats.Refused);
            _sendTimes.TryDequeue(out _);
            _window?.Release();
        };
        _document.RemoteUpdate += OnRemoteUpdate;
        await _document.Synced.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    /// <summary>Types at <paramref name="rate"/> keystrokes per second until cancelled.</summary>
    public async Task TypeSteadyAsync(double rate, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        // Spread the editors over the interval so that they do not all type in the same millisecond.
        var due = interval * Random.Shared.NextDouble();
        long start = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            var wait = due - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            Keystroke();
            due += interval;
        }
    }

    /// <summary>Keeps <paramref name="window"/> updates in flight until cancelled.</summary>
    public async Task TypeSaturatedAsync(int window, CancellationToken ct)
    {
        _window = new SemaphoreSlim(window, window);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _window.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Keystroke();
        }
    }

    private void Keystroke()
    {
        var key = trace[_next];
        _next = (_next + 1) % trace.Length;
        _document!.Transact(() =>
        {
            long now = Stopwatch.GetTimestamp();
            byte[]? update = null;
            ulong clock = _typist.Clock;
            if (key.Delete > 0)
            {
                update = _typist.DeleteLast(key.Delete);
            }

            if (update is null)
            {
                // Nothing of ours left to delete: type a character instead, so the rate stays what was asked.
                string text = key.Insert.Length > 0 ? key.Insert : "x";
                Track(_typist.ClientId, clock, now);
                _sendTimes.Enqueue(now);
                _typist.Insert(text);
            }
            else
            {
                TypistReplica.TryIdentify(update, out ulong client, out ulong deleted);
                Track(client, deleted, now);
                _sendTimes.Enqueue(now);
            }
        });
        Interlocked.Increment(ref stats.Sent);
    }

    private void Track(ulong client, ulong clock, long now)
    {
        if (receivers > 0)
        {
            stats.InFlight[(client, clock)] = new SentUpdate(now, receivers);
        }
    }

    private void OnAck(string updateId, long? seq)
    {
        Interlocked.Increment(ref stats.Acked);
        if (_sendTimes.TryDequeue(out long sentAt))
        {
            stats.AckLatency.Add(RunStats.MicrosecondsSince(sentAt));
        }

        _window?.Release();
    }

    private void OnRemoteUpdate(byte[] update)
    {
        Interlocked.Increment(ref stats.Broadcasts);
        if (TypistReplica.TryIdentify(update, out ulong client, out ulong clock)
            && stats.InFlight.TryGetValue((client, clock), out var sent))
        {
            stats.BroadcastLatency.Add(RunStats.MicrosecondsSince(sent.Timestamp));
            if (Interlocked.Decrement(ref sent.Remaining) <= 0)
            {
                stats.InFlight.TryRemove((client, clock), out _);
            }
        }
    }

    public async Task FlushAsync(TimeSpan timeout)
    {
        if (_document is not null)
        {
            try
            {
                await _document.FlushAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                // Reported through the sent/acked counts.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        _window?.Dispose();
    }
}
