using System.Collections.Concurrent;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.LiteDb;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Sessions;

/// <summary>
/// A commit's updates are broadcast as one batch (so the host can hand each connection one write): the batches, in
/// order, carry exactly the log's updates in seq order, each marked with the connection that sent it, and each update
/// is broadcast before its sender hears the ack.
/// </summary>
public sealed class BroadcastBatchTests
{
    private static readonly BranchRef Branch = new(new DocumentId("batched"), BranchName.Main);

    [Fact]
    public async Task batches_carry_the_log_in_seq_order_with_their_senders_and_go_out_before_the_acks()
    {
        // A 20 ms fsync: updates sent meanwhile share the next commit, so batches of several form.
        await using var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = "unused.db" },
            new SlowDiskTests.SlowFlushStream(TimeSpan.Zero), new SlowDiskTests.SlowFlushStream(TimeSpan.FromMilliseconds(20)));
        await store.CreateDocumentAsync(Branch.Document, "alice");
        var acked = new ConcurrentDictionary<string, bool>();
        var broadcaster = new BatchRecorder(acked);
        await using var sessions = new SessionManager(store, new YDocFactory(), broadcaster,
            Microsoft.Extensions.Options.Options.Create(new LiveSessionOptions { SnapshotEvery = 100_000 }), TimeProvider.System, NullLogger<SessionManager>.Instance);

        const int Writers = 4, UpdatesEach = 15;
        var callers = Enumerable.Range(1, Writers).Select(w => new SessionCaller($"c{w}", $"user{w}", DocumentRole.Editor)).ToArray();
        foreach (var caller in callers) await sessions.JoinAsync(Branch, caller, default);

        await Task.WhenAll(callers.Select((caller, w) => Task.Run(async () =>
        {
            var doc = new YDoc(new YDocOptions { ClientId = (uint)(w + 1) });
            // Each writer keeps three updates in flight, as a browser pipelines keystrokes.
            var inFlight = new List<Task>();
            for (var i = 0; i < UpdatesEach; i++)
            {
                var message = SyncMessage.EncodeUpdate(TextEdits.Append(doc, $"{w}.{i};"));
                inFlight.Add(Ack(sessions, caller, message, acked));
                if (inFlight.Count == 3)
                {
                    await inFlight[0];
                    inFlight.RemoveAt(0);
                }
            }
            await Task.WhenAll(inFlight);
        })));

        var batches = broadcaster.Batches.ToList();
        Assert.Contains(batches, b => b.Count > 1);
        Assert.Empty(broadcaster.SentAfterAck);

        var broadcast = batches.SelectMany(b => b).ToList();
        var log = new List<(byte[] Message, string? Sender)>();
        await foreach (var e in store.ReadAsync(Branch, new EventSeq(1), EventSeq.MaxValue))
        {
            log.Add((SyncMessage.EncodeUpdate(e.Payload.ToArray()), "c" + e.Author["user".Length..]));
        }
        Assert.Equal(Writers * UpdatesEach, log.Count);
        Assert.Equal(log.Select(e => e.Message), broadcast.Select(m => m.Message));
        Assert.Equal(log.Select(e => e.Sender), broadcast.Select(m => m.ExceptConnectionId));
    }

    private static async Task Ack(SessionManager sessions, SessionCaller caller, byte[] message, ConcurrentDictionary<string, bool> acked)
    {
        var outcome = await sessions.SyncAsync(Branch, caller, message, null, 1 << 20, default);
        Assert.NotNull(outcome.Seq);
        acked[Convert.ToHexString(message)] = true;
    }

    /// <summary>Records each batch, and any message whose sender had its ack already (which must never happen).</summary>
    private sealed class BatchRecorder(ConcurrentDictionary<string, bool> acked) : IBranchBroadcaster
    {
        public ConcurrentQueue<List<BranchSyncMessage>> Batches { get; } = new();

        public ConcurrentQueue<byte[]> SentAfterAck { get; } = new();

        public Task BroadcastSyncBatchAsync(BranchRef branch, IReadOnlyList<BranchSyncMessage> messages, CancellationToken cancellationToken)
        {
            foreach (var message in messages) if (acked.ContainsKey(Convert.ToHexString(message.Message))) SentAfterAck.Enqueue(message.Message);
            Batches.Enqueue([.. messages]);
            return Task.CompletedTask;
        }

        public Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken) =>
            BroadcastSyncBatchAsync(branch, [new BranchSyncMessage(message, exceptConnectionId)], cancellationToken);

        public Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
