using System.Diagnostics;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.LiteDb;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Collab.Documents.Tests.Sessions;

/// <summary>
/// Sessions over a LiteDB store whose fsync takes 25 ms: more writers than the session queue holds. Latency grows,
/// but the queued work stays within the configured capacity (the writers over it wait to enqueue: that wait is the
/// back-pressure a hub call, and so its connection, feels), and every acknowledged update is in the log.
/// </summary>
public sealed class SlowDiskTests(ITestOutputHelper output)
{
    private static readonly SessionCaller Alice = new("c1", "alice", Collab.Documents.Access.DocumentRole.Editor);

    private static readonly BranchRef Branch = new(new DocumentId("slow"), BranchName.Main);

    [Fact]
    public async Task a_slow_fsync_keeps_queued_work_within_capacity_and_loses_no_acknowledged_update()
    {
        var sessionOptions = new LiveSessionOptions { QueueCapacity = 32, MaxBatch = 8, SnapshotEvery = 100_000 };
        var log = new SlowFlushStream(TimeSpan.FromMilliseconds(25));
        await using var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = "unused.db" }, new SlowFlushStream(TimeSpan.Zero), log);
        await store.CreateDocumentAsync(Branch.Document, "alice");
        await using var sessions = new SessionManager(store, new YDocFactory(), new NullBroadcaster(), Microsoft.Extensions.Options.Options.Create(sessionOptions), TimeProvider.System, NullLogger<SessionManager>.Instance);
        await sessions.JoinAsync(Branch, Alice, default);

        // 96 writers (three times the queue), each with one update in flight at a time, as editors awaiting their acks.
        const int Writers = 96, UpdatesEach = 6;
        var maxQueued = 0;
        var maxInFlight = 0;
        var inFlight = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxQueued = Math.Max(maxQueued, sessions.QueuedWorkOf(Branch));
                await Task.Delay(1);
            }
        });

        var latencies = new List<double>();
        var acked = new List<string>();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(1, Writers).Select(w => Task.Run(async () =>
        {
            var doc = new YDoc(new YDocOptions { ClientId = (uint)w });
            for (var i = 0; i < UpdatesEach; i++)
            {
                var text = $"<{w}.{i}>";
                var update = TextEdits.Append(doc, text);
                var now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref maxInFlight, now);
                var sent = Stopwatch.GetTimestamp();
                var outcome = await sessions.SyncAsync(Branch, Alice, SyncMessage.EncodeUpdate(update), $"u{w}-{i}", 1 << 20, default);
                Interlocked.Decrement(ref inFlight);
                Assert.NotNull(outcome.Seq);
                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    acked.Add(text);
                }
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(started);
        await sampling.CancelAsync();
        await sampler;

        latencies.Sort();
        output.WriteLine($"{acked.Count} updates in {elapsed.TotalSeconds:F1} s over {log.Syncs} fsyncs of 25 ms; ack p50 {latencies[latencies.Count / 2]:F0} ms, " +
            $"p99 {latencies[(int)(latencies.Count * 0.99)]:F0} ms; most queued {maxQueued} (capacity {sessionOptions.QueueCapacity}); most in flight {maxInFlight}");

        // Back-pressure: more updates were in flight than the queue holds, yet the queue never held more than its capacity.
        Assert.True(maxInFlight > sessionOptions.QueueCapacity, $"only {maxInFlight} in flight");
        Assert.InRange(maxQueued, 1, sessionOptions.QueueCapacity);

        // Nothing lost: every acknowledged update is in the log, once, and the chain verifies.
        Assert.Equal(Writers * UpdatesEach, acked.Count);
        var replay = new YDoc();
        var events = 0;
        await foreach (var e in store.ReadAsync(Branch, new EventSeq(1), EventSeq.MaxValue))
        {
            replay.ApplyUpdate(e.Payload.ToArray());
            events++;
        }

        Assert.Equal(acked.Count, events);
        var text = replay.GetText("text").ToString();
        Assert.All(acked, a => Assert.Contains(a, text, StringComparison.Ordinal));
        Assert.Equal(acked.Sum(a => a.Length), text.Length);
        Assert.True((await store.VerifyAsync(Branch)).IsValid);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current) return;
        }
    }

    private sealed class NullBroadcaster : IBranchBroadcaster
    {
        public Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A stream in memory whose flush (the store's fsync) takes <paramref name="delay"/>, as on a slow disk.</summary>
    internal sealed class SlowFlushStream(TimeSpan delay) : MemoryStream
    {
        private int _syncs;

        public int Syncs => _syncs;

        public override void Flush()
        {
            if (delay > TimeSpan.Zero) Thread.Sleep(delay);
            Interlocked.Increment(ref _syncs);
        }
    }
}
