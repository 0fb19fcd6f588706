using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Sessions;

/// <summary>One caller's bad update never takes down the updates that share its append (issue 13, finding 11).</summary>
public sealed class BatchIsolationTests : IAsyncLifetime
{
    private readonly InMemoryEventStore _inner = new();
    private readonly FlakyStore _store;
    private readonly RecordingBroadcaster _broadcaster = new();
    private readonly LiveSessionOptions _options = new() { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero };
    private readonly BranchRef _branch = new(new DocumentId("doc-batch"), BranchName.Main);
    private SessionManager _sessions = null!;

    public BatchIsolationTests() => _store = new FlakyStore(_inner);

    public async Task InitializeAsync()
    {
        await _store.CreateDocumentAsync(_branch.Document, "alice");
    }

    public async Task DisposeAsync() => await _sessions.DisposeAsync();

    private void Start() =>
        _sessions = new SessionManager(_store, new YDocFactory(), _broadcaster, Microsoft.Extensions.Options.Options.Create(_options), TimeProvider.System, NullLogger<SessionManager>.Instance);

    private static readonly SessionCaller Editor = new("c1", "alice", DocumentRole.Editor);

    private Task<SyncOutcome> SendAsync(byte[] update, string? updateId) =>
        _sessions.SyncAsync(_branch, Editor, SyncMessage.EncodeUpdate(update), updateId, 1 << 20, default);

    private static byte[] Insert(uint clientId, string text)
    {
        var doc = new YDoc(new YDocOptions { ClientId = clientId });
        byte[]? update = null;
        doc.UpdateV1 += (u, _) => update = u;
        doc.GetText("text").Insert(0, text);
        return update!;
    }

    private async Task<string> LogTextAsync()
    {
        var doc = new YDoc();
        await foreach (var e in _inner.ReadAsync(_branch, new EventSeq(1), EventSeq.MaxValue)) doc.ApplyUpdate(e.Payload.ToArray());
        return doc.GetText("text").ToString();
    }

    private async Task<string> LiveTextAsync()
    {
        var (_, content) = await _sessions.ReadContentAsync(_branch, default);
        var doc = new YDoc();
        doc.ApplyUpdate(content);
        return doc.GetText("text").ToString();
    }

    /// <summary>Holds the store while <paramref name="send"/> queues updates, so that they all share one append.</summary>
    private async Task<T> InOneBatchAsync<T>(Func<T> send)
    {
        _store.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = SendAsync(Insert(999, "h"), "holder"); // its append waits at the gate
        await _store.AtGate.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var sent = send(); // queued behind the held append: the loop stages them together when it resumes
        var gate = _store.Gate;
        _store.Gate = null;
        gate.SetResult();
        Assert.NotNull((await holder).Seq);
        return sent;
    }

    [Fact]
    public async Task an_empty_update_id_is_invalid_for_its_caller_alone_and_its_batch_mates_are_stored()
    {
        Start();
        await _sessions.JoinAsync(_branch, Editor, default);

        var sends = await InOneBatchAsync(() => Enumerable.Range(0, 40)
            .Select(i => SendAsync(Insert((uint)(100 + i), "u"), i == 17 ? "" : $"id-{i}"))
            .ToList());

        var error = await Assert.ThrowsAsync<CollabException>(() => sends[17]);
        Assert.Equal(CollabErrorCode.Invalid, error.Code);
        var seqs = new List<long>();
        for (var i = 0; i < sends.Count; i++) if (i != 17) seqs.Add((await sends[i]).Seq!.Value);
        Assert.Equal(Enumerable.Range(2, 39).Select(i => (long)i), seqs.Order());
        Assert.Equal(40, (await _inner.GetHeadAsync(_branch)).Seq.Value);

        // A retry with a valid id is stored.
        Assert.Equal(41, (await SendAsync(Insert(117, "u"), "id-17")).Seq);
    }

    [Fact]
    public async Task a_store_refusal_of_one_event_fails_only_its_caller_and_the_batch_mates_are_stored()
    {
        // No remembered ids: a reused id is caught by the store, not by the session's cache, as for an id older than
        // the cache holds.
        _options.RememberedUpdateIds = 0;
        Start();
        await _sessions.JoinAsync(_branch, Editor, default);
        await _sessions.JoinAsync(_branch, new SessionCaller("c2", "bob", DocumentRole.Editor), default);
        Assert.Equal(1, (await SendAsync(Insert(500, "first "), "dup")).Seq);

        const int culprit = 10;
        var sends = await InOneBatchAsync(() => Enumerable.Range(0, 21)
            .Select(i => i == culprit
                ? SendAsync(Insert(501, "FORGED"), "dup") // the same id, other bytes
                : SendAsync(Insert((uint)(600 + i), ((char)('a' + i)).ToString()), $"ok-{i}"))
            .ToList());

        var error = await Assert.ThrowsAsync<CollabException>(() => sends[culprit]);
        Assert.Equal(CollabErrorCode.Conflict, error.Code);
        var seqs = new List<long>();
        for (var i = 0; i < sends.Count; i++) if (i != culprit) seqs.Add((await sends[i]).Seq!.Value);
        // Seq 1 "first ", seq 2 the holder, then the twenty batch-mates, each stored once.
        Assert.Equal(Enumerable.Range(3, 20).Select(i => (long)i), seqs.Order());
        Assert.Equal(22, (await _inner.GetHeadAsync(_branch)).Seq.Value);

        // The live document equals the log and never held the refused update for anyone to see.
        var live = await LiveTextAsync();
        Assert.Equal(await LogTextAsync(), live);
        Assert.DoesNotContain("FORGED", live, StringComparison.Ordinal);
        Assert.Equal(6 + 1 + 20, live.Length);
        foreach (var (_, message, _) in _broadcaster.Syncs)
        {
            var sync = SyncMessage.Read(message);
            if (sync.Type == SyncMessageType.SyncStep1) continue;
            var probe = new YDoc();
            probe.ApplyUpdate(sync.Payload.ToArray());
            Assert.DoesNotContain("FORGED", probe.GetText("text").ToString(), StringComparison.Ordinal);
        }
    }
}
