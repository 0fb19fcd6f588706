using System.Diagnostics;
using Collab.Client.Protocol;
using Collab.Crdt;
using Collab.Crdt.Protocol;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.LoadGenerator;

/// <summary>
/// The fan-out workload of <c>../shared/tools/peer-load/thinload.mjs</c> over the Collab hub: per document W writers,
/// each on its own connection typing one character per keystroke at R keystrokes/s at its own phase, and one observer
/// connection that decodes every broadcast. The server sends each update to the document's other connections (W - 1
/// writers and the observer). Writers ignore what they receive; the observer times each (client, clock) from its
/// writer's send. Every send, ack and sighting is kept with its timestamp, so any window's figures are computed after
/// the run.
/// </summary>
internal sealed class FanoutWorkload : IAsyncDisposable
{
    private readonly List<FanoutWriter> _writers = [];
    private readonly Dictionary<uint, FanoutWriter> _byClient = [];
    private readonly List<HubConnection> _connections = [];
    private long _errors;
    private long _duplicates;
    private long _closed;

    private FanoutWorkload()
    {
    }

    /// <summary>The writers, in the order of their phases.</summary>
    public IReadOnlyList<FanoutWriter> Writers => _writers;

    /// <summary>Sync invocations that failed (refused by the server or lost with their connection).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Updates an observer saw more than once (the server must broadcast each stored update once).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Connections that closed during the run.</summary>
    public long ClosedConnections => Interlocked.Read(ref _closed);

    /// <summary>
    /// Opens one observer and <paramref name="writersPerDocument"/> writers on each document (all joined to
    /// <c>main</c>, each having sent its SyncStep1 as a provider does). <paramref name="capacity"/> bounds the updates
    /// each writer may send.
    /// </summary>
    public static async Task<FanoutWorkload> ConnectAsync(
        Uri server, string token, IReadOnlyList<string> documents, int writersPerDocument, int capacity, bool json, CancellationToken ct)
    {
        var workload = new FanoutWorkload();
        var clients = new HashSet<uint>();
        foreach (string document in documents)
        {
            for (int w = 0; w < writersPerDocument; w++)
            {
                uint client;
                do
                {
                    client = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
                }
                while (!clients.Add(client));
                var writer = new FanoutWriter(document, new TypistReplica(client, "text"), capacity);
                workload._writers.Add(writer);
                workload._byClient.Add(client, writer);
            }
        }

        try
        {
            await Parallel.ForAsync(0, documents.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (d, token2) =>
            {
                var observer = workload.NewConnection(server, token, json);
                observer.On<string, string, byte[]>("Sync", (_, _, message) => workload.Observe(message));
                await workload.JoinAsync(observer, documents[d], token2);
                for (int w = 0; w < writersPerDocument; w++)
                {
                    var writer = workload._writers[(d * writersPerDocument) + w];
                    writer.Hub = workload.NewConnection(server, token, json);
                    writer.Hub.On<string, string, byte[]>("Sync", static (_, _, _) => { }); // broadcasts to writers: not decoded
                    await workload.JoinAsync(writer.Hub, documents[d], token2);
                }
            });
        }
        catch
        {
            await workload.DisposeAsync();
            throw;
        }

        return workload;
    }

    /// <summary>
    /// Sends for <paramref name="duration"/>: writer i of N types every 1/<paramref name="rate"/> s from phase i/N of
    /// an interval, without waiting for acks (a writer that falls behind catches up). Stops early when every writer
    /// has used its capacity or <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task RunAsync(double rate, TimeSpan duration, CancellationToken ct)
    {
        long interval = (long)(Stopwatch.Frequency / rate);
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var due = new long[_writers.Count];
        for (int i = 0; i < due.Length; i++)
        {
            due[i] = start + (interval * i / due.Length);
        }

        while (!ct.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }

            bool any = false;
            for (int i = 0; i < due.Length; i++)
            {
                var writer = _writers[i];
                while (due[i] <= now && due[i] < end && writer.Sent < writer.Capacity)
                {
                    Send(writer);
                    due[i] += interval;
                }

                any |= writer.Sent < writer.Capacity;
            }

            if (!any)
            {
                break;
            }

            try
            {
                await Task.Delay(1, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Waits until every sent update was acked or refused and every acked one was seen, or the timeout passed.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            long sent = 0, answered = Errors, acked = 0, seen = 0;
            foreach (var w in _writers)
            {
                sent += w.Sent;
                acked += Volatile.Read(ref w.AckCount);
                seen += Volatile.Read(ref w.SeenCount);
            }

            if (answered + acked >= sent && seen >= acked)
            {
                return true;
            }

            if (watch.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Figures of the updates sent in [<paramref name="from"/>, <paramref name="to"/>) (Stopwatch timestamps), and of the acks and sightings that happened in it.</summary>
    public FanoutFigures Measure(long from, long to)
    {
        var ackLatency = new List<long>();
        var seenLatency = new List<long>();
        long sent = 0, acked = 0, seen = 0, acksInWindow = 0, seenInWindow = 0, sentTotal = 0, seenTotal = 0;
        foreach (var w in _writers)
        {
            int count = w.Sent;
            sentTotal += count;
            for (int k = 0; k < count; k++)
            {
                long s = w.SentAt[k], a = Volatile.Read(ref w.AckedAt[k]), o = Volatile.Read(ref w.SeenAt[k]);
                if (o != 0) seenTotal++;
                if (a >= from && a < to) acksInWindow++;
                if (o >= from && o < to) seenInWindow++;
                if (s < from || s >= to) continue;
                sent++;
                if (a != 0)
                {
                    acked++;
                    ackLatency.Add(a - s);
                }

                if (o != 0)
                {
                    seen++;
                    seenLatency.Add(o - s);
                }
            }
        }

        return new FanoutFigures(
            (to - from) / (double)Stopwatch.Frequency, sent, acked, seen, acksInWindow, seenInWindow, sentTotal, seenTotal,
            Percentiles.Of(ackLatency), Percentiles.Of(seenLatency));
    }

    private HubConnection NewConnection(Uri server, string token, bool json)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(server, "hubs/documents"), http =>
        {
            http.AccessTokenProvider = () => Task.FromResult<string?>(token);
            http.SkipNegotiation = true;
            http.Transports = HttpTransportType.WebSockets;
        });
        var hub = (json ? builder.AddJsonProtocol() : builder.AddMessagePackProtocol()).Build();
        hub.Closed += _ =>
        {
            Interlocked.Increment(ref _closed);
            return Task.CompletedTask;
        };
        lock (_connections)
        {
            _connections.Add(hub);
        }

        return hub;
    }

    private async Task JoinAsync(HubConnection hub, string document, CancellationToken ct)
    {
        await hub.StartAsync(ct);
        await hub.InvokeAsync<JoinResult>("Join", document, "main", ct);
        // What a provider sends after joining (thinload does too): the server answers with its SyncStep2.
        await hub.InvokeAsync<SyncAck>("Sync", document, "main", SyncMessage.EncodeSyncStep1(new byte[] { 0 }), null, ct);
    }

    private void Send(FanoutWriter writer)
    {
        int k = writer.Sent;
        byte[] update = writer.Typist.Insert("x"); // one character: its clock is k
        writer.SentAt[k] = Stopwatch.GetTimestamp();
        Volatile.Write(ref writer.Sent, k + 1);
        _ = SendAsync(writer, k, SyncMessage.EncodeUpdate(update));
    }

    private async Task SendAsync(FanoutWriter writer, int k, byte[] message)
    {
        try
        {
            await writer.Hub!.InvokeAsync<SyncAck>("Sync", writer.Document, "main", message, null);
            Volatile.Write(ref writer.AckedAt[k], Stopwatch.GetTimestamp());
            Interlocked.Increment(ref writer.AckCount);
        }
        catch (Exception e) when (e is Microsoft.AspNetCore.SignalR.HubException or InvalidOperationException or IOException or OperationCanceledException)
        {
            Interlocked.Increment(ref _errors);
        }
    }

    // The observer's handler: SignalR calls it for one connection at a time.
    private void Observe(byte[] message)
    {
        long now = Stopwatch.GetTimestamp();
        var sync = SyncMessage.Read(message);
        if (sync.Type == SyncMessageType.SyncStep1)
        {
            return;
        }

        foreach (var (client, ranges) in YUpdate.Summarize(sync.Payload.Span).Inserted)
        {
            if (!_byClient.TryGetValue(client, out var writer))
            {
                continue; // content from before the run
            }

            foreach (var range in ranges)
            {
                for (long k = range.Clock; k < range.Clock + range.Length && k < writer.Capacity; k++)
                {
                    if (writer.SeenAt[k] != 0)
                    {
                        Interlocked.Increment(ref _duplicates);
                        continue;
                    }

                    Volatile.Write(ref writer.SeenAt[k], now);
                    Interlocked.Increment(ref writer.SeenCount);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        HubConnection[] all;
        lock (_connections)
        {
            all = [.. _connections];
        }

        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (hub, _) => await hub.DisposeAsync());
    }
}

/// <summary>One writer: its connection, its typist and the timestamps of its updates by clock (0: not yet).</summary>
internal sealed class FanoutWriter(string document, TypistReplica typist, int capacity)
{
    public string Document { get; } = document;

    public TypistReplica Typist { get; } = typist;

    public int Capacity { get; } = capacity;

    public HubConnection? Hub { get; set; }

    public long[] SentAt { get; } = new long[capacity];

    public long[] AckedAt { get; } = new long[capacity];

    public long[] SeenAt { get; } = new long[capacity];

    public int Sent;
    public int AckCount;
    public int SeenCount;
}

/// <summary>
/// A window's figures. Sent, acked, seen and the latencies are of the updates sent in the window (acked and seen
/// whenever, up to the end of the drain); AcksInWindow and SeenInWindow count what happened inside it (throughput,
/// CPU per update); the totals are the whole run's.
/// </summary>
internal sealed record FanoutFigures(
    double Seconds, long Sent, long Acked, long Seen, long AcksInWindow, long SeenInWindow, long SentTotal, long SeenTotal,
    Percentiles AckLatency, Percentiles SeenLatency)
{
    public long Lost => Sent - Seen;
}

/// <summary>Latency percentiles in milliseconds (thinload's definition: the sample at floor(q * n) of the sorted list).</summary>
internal readonly record struct Percentiles(int Count, double P50, double P95, double P99, double Max)
{
    public static Percentiles Of(List<long> stopwatchTicks)
    {
        if (stopwatchTicks.Count == 0)
        {
            return default;
        }

        stopwatchTicks.Sort();
        double At(double q) => stopwatchTicks[Math.Min(stopwatchTicks.Count - 1, (int)Math.Floor(q * stopwatchTicks.Count))] * 1000.0 / Stopwatch.Frequency;
        return new Percentiles(stopwatchTicks.Count, At(0.50), At(0.95), At(0.99), At(1));
    }
}
