using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Sessions;

public sealed class SessionManagerTests : IAsyncLifetime
{
    private readonly InMemoryEventStore _inner = new();
    private readonly FlakyStore _store;
    private readonly RecordingBroadcaster _broadcaster = new();
    private readonly LiveSessionOptions _options = new() { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero };
    private readonly BranchRef _branch = new(new DocumentId("doc-1"), BranchName.Main);
    private SessionManager _sessions = null!;

    public SessionManagerTests() => _store = new FlakyStore(_inner);

    public async Task InitializeAsync()
    {
        await _store.CreateDocumentAsync(_branch.Document, "alice");
        _sessions = NewManager();
    }

    public async Task DisposeAsync() => await _sessions.DisposeAsync();

    private SessionManager NewManager() =>
        new(_store, new YDocFactory(), _broadcaster, Microsoft.Extensions.Options.Options.Create(_options), TimeProvider.System, NullLogger<SessionManager>.Instance);

    private static byte[] Edit(uint clientId, string text, YDoc? on = null) =>
        TextEdits.Append(on ?? new YDoc(new YDocOptions { ClientId = clientId }), text);

    private Task<SyncOutcome> SendAsync(string connection, byte[] update, string? updateId = null, bool canWrite = true) =>
        _sessions.SyncAsync(_branch, Caller(connection, canWrite), SyncMessage.EncodeUpdate(update), updateId, 1 << 20, default);

    private static SessionCaller Caller(string connection, bool canWrite = true, string user = "alice") =>
        new(connection, user, canWrite ? DocumentRole.Editor : DocumentRole.Viewer);

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

    [Fact]
    public async Task concurrent_updates_get_gapless_seqs_and_are_broadcast_in_seq_order_to_everyone_but_the_sender()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        await _sessions.JoinAsync(_branch, Caller("c2"), default);
        var connectionOfWriter = new Dictionary<uint, string>();
        for (uint w = 1; w <= 8; w++) connectionOfWriter[w] = w % 2 == 0 ? "c1" : "c2";
        var writers = Enumerable.Range(1, 8).Select(w => Task.Run(async () =>
        {
            var doc = new YDoc(new YDocOptions { ClientId = (uint)w });
            var seqs = new List<long>();
            for (var i = 0; i < 25; i++) seqs.Add((await SendAsync(w % 2 == 0 ? "c1" : "c2", Edit((uint)w, "x", doc))).Seq!.Value);
            return (Connection: w % 2 == 0 ? "c1" : "c2", Seqs: seqs);
        })).ToList();
        var results = await Task.WhenAll(writers);

        var all = results.SelectMany(r => r.Seqs).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), all);
        foreach (var r in results) Assert.Equal(r.Seqs.Order(), r.Seqs); // each writer's own updates in order

        var events = await _inner.ReadPageAsync(_branch, new EventSeq(1), 500);
        var broadcasts = _broadcaster.Syncs.Where(b => b.Branch == _branch).ToList();
        Assert.Equal(events.Select(e => SyncMessage.EncodeUpdate(e.Payload)), broadcasts.Select(b => b.Message));
        // Each broadcast excludes exactly the connection that sent the update (known from the Yjs client id it carries).
        Assert.Equal(events.Select(e => connectionOfWriter[Assert.Single(e.ClientIds)]), broadcasts.Select(b => b.Except));
        Assert.Equal(await LogTextAsync(), await LiveTextAsync());
        Assert.Equal(200, (await LiveTextAsync()).Length);
    }

    [Fact]
    public async Task a_failed_append_fails_its_callers_and_the_branch_reloads_from_the_log()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        Assert.Equal(1, (await SendAsync("c1", Edit(5, "kept", doc))).Seq);
        var syncStep1Before = _broadcaster.Syncs.Count(b => SyncMessage.Read(b.Message).Type == SyncMessageType.SyncStep1);

        _store.FailNextAppends = 1;
        var error = await Assert.ThrowsAsync<CollabException>(() => SendAsync("c1", Edit(5, "lost", doc)));
        Assert.Equal(CollabErrorCode.Unavailable, error.Code);

        // The reloaded session equals the log (without the failed update) and asks its connections to resync.
        Assert.Equal("kept", await LiveTextAsync());
        Assert.Equal("kept", await LogTextAsync());
        Assert.Equal(syncStep1Before + 1, _broadcaster.Syncs.Count(b => SyncMessage.Read(b.Message).Type == SyncMessageType.SyncStep1));

        // The client resends what the server lost (as its SyncStep2 would) and it is stored.
        var resend = await _sessions.SyncAsync(_branch, Caller("c1"), SyncMessage.EncodeSyncStep2(doc.EncodeStateAsUpdate()), null, 1 << 20, default);
        Assert.Equal(2, resend.Seq);
        Assert.Equal("keptlost", await LiveTextAsync());
        Assert.Equal("keptlost", await LogTextAsync());
    }

    [Fact]
    public async Task a_malformed_update_is_refused_and_leaves_the_document_as_it_was()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        await SendAsync("c1", Edit(5, "abc"));
        var error = await Assert.ThrowsAsync<CollabException>(() => SendAsync("c1", [1, 1, 5, 0, 4, 200, 200, 200]));
        Assert.Equal(CollabErrorCode.Malformed, error.Code);
        Assert.Equal("abc", await LiveTextAsync());
        Assert.Equal(1, (await SendAsync("c1", Edit(6, "d"))).Seq - 1);
    }

    [Fact]
    public async Task the_same_update_id_is_acknowledged_once_even_when_sent_concurrently()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        var update = Edit(5, "once");
        var acks = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendAsync("c1", update, "u-1")));
        Assert.All(acks, a => Assert.Equal(1, a.Seq));
        Assert.Equal(1, (await _inner.GetHeadAsync(_branch)).Seq.Value);
    }

    [Fact]
    public async Task snapshots_are_written_every_n_events_and_on_unload_and_loading_uses_them()
    {
        _options.SnapshotEvery = 3;
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        for (var i = 0; i < 7; i++) await SendAsync("c1", Edit(5, i.ToString(System.Globalization.CultureInfo.InvariantCulture), doc));
        Assert.Equal(6, (await _inner.GetNearestSnapshotAsync(_branch, new EventSeq(7)))?.Seq.Value);

        await _sessions.LeaveAsync(_branch, "c1", default);
        await _sessions.SweepIdleAsync();
        Assert.False(_sessions.IsLoaded(_branch));
        Assert.Equal(7, (await _inner.GetNearestSnapshotAsync(_branch, new EventSeq(7)))?.Seq.Value);

        Assert.Equal("0123456", await LiveTextAsync());
    }

    [Fact]
    public async Task an_update_waiting_for_a_missing_dependency_is_not_stored_and_is_acknowledged_once_completed()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var first = Edit(5, "ab", doc);
        var second = Edit(5, "cd", doc);

        var early = SendAsync("c1", second); // arrives before what it builds on: waits in memory, unacknowledged
        Assert.Equal("", await LiveTextAsync());
        Assert.False(early.IsCompleted);

        Assert.Equal(1, (await SendAsync("c1", first)).Seq);
        Assert.Equal(1, (await early.WaitAsync(TimeSpan.FromSeconds(30))).Seq); // stored as part of what the completing update integrated
        Assert.Equal("abcd", await LiveTextAsync());
        Assert.Equal("abcd", await LogTextAsync());
    }

    [Fact]
    public async Task an_idle_session_is_kept_while_a_connection_is_joined()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        await _sessions.SweepIdleAsync();
        Assert.True(_sessions.IsLoaded(_branch));
    }

    [Fact]
    public async Task the_sweep_drops_members_whose_connection_is_gone_and_then_unloads()
    {
        await _sessions.JoinAsync(_branch, Caller("gone"), default);
        await _sessions.AwarenessAsync(_branch, Caller("gone"), AwarenessUpdate.Write([new AwarenessEntry(3, 1, "{}")]), default);

        await _sessions.SweepIdleAsync(isConnected: id => id != "gone");

        Assert.False(_sessions.IsLoaded(_branch));
        Assert.True(AwarenessUpdate.Read(_broadcaster.Awareness.Last().Update)[0].IsRemoval);
    }

    [Fact]
    public async Task stopping_finishes_queued_appends_before_returning()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var pending = Enumerable.Range(0, 50).Select(_ => SendAsync("c1", Edit(5, "k", doc))).ToList();
        await _sessions.StopAsync();

        var acked = 0;
        foreach (var task in pending)
        {
            try
            {
                if ((await task).Seq is not null) acked++;
            }
            catch (CollabException ex) when (ex.Code == CollabErrorCode.Unavailable)
            {
                // refused before it was queued: never acknowledged, so the client resends it
            }
        }
        Assert.Equal(acked, (await _inner.GetHeadAsync(_branch)).Seq.Value);
        Assert.True(acked > 0);
        var error = await Assert.ThrowsAsync<CollabException>(() => SendAsync("c1", Edit(6, "late")));
        Assert.Equal(CollabErrorCode.Unavailable, error.Code);
    }

    [Fact]
    public async Task a_read_only_peer_may_send_what_the_server_has_but_not_changes()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        await SendAsync("c1", Edit(5, "abc", doc));
        doc.GetText("text").Delete(0, 1);
        await SendAsync("c1", doc.EncodeStateAsUpdate());

        var known = await SendAsync("c1", doc.EncodeStateAsUpdate(), canWrite: false);
        Assert.Null(known.Seq);
        var change = await Assert.ThrowsAsync<CollabException>(() => SendAsync("c1", Edit(9, "new"), canWrite: false));
        Assert.Equal(CollabErrorCode.Forbidden, change.Code);
        var viewerDoc = new YDoc(new YDocOptions { ClientId = 9 });
        viewerDoc.ApplyUpdate(doc.EncodeStateAsUpdate());
        viewerDoc.GetText("text").Delete(0, 1);
        var deletion = await Assert.ThrowsAsync<CollabException>(() => SendAsync("c1", viewerDoc.EncodeStateAsUpdate(), canWrite: false));
        Assert.Equal(CollabErrorCode.Forbidden, deletion.Code);
    }

    [Fact]
    public async Task an_unknown_branch_is_not_found_and_not_cached()
    {
        var missing = new BranchRef(_branch.Document, new BranchName("nope"));
        var error = await Assert.ThrowsAsync<CollabException>(() => _sessions.JoinAsync(missing, Caller("c1"), default));
        Assert.Equal(CollabErrorCode.NotFound, error.Code);
        Assert.False(_sessions.IsLoaded(missing));
    }

    [Fact]
    public async Task a_connection_that_did_not_join_cannot_send()
    {
        var error = await Assert.ThrowsAsync<CollabException>(() => SendAsync("stranger", Edit(1, "x")));
        Assert.Equal(CollabErrorCode.NotJoined, error.Code);
    }

    [Fact]
    public async Task leaving_broadcasts_the_removal_of_that_connections_awareness_states()
    {
        await _sessions.JoinAsync(_branch, Caller("c1"), default);
        await _sessions.JoinAsync(_branch, Caller("c2"), default);
        await _sessions.AwarenessAsync(_branch, Caller("c1"), AwarenessUpdate.Write([new AwarenessEntry(11, 3, "{\"name\":\"a\"}")]), default);
        await _sessions.LeaveAsync(_branch, "c1", default);

        var last = _broadcaster.Awareness.Last();
        var entry = Assert.Single(AwarenessUpdate.Read(last.Update));
        Assert.True(entry.IsRemoval);
        Assert.Equal(4ul, entry.Clock);
        var join = await _sessions.JoinAsync(_branch, Caller("c3"), default);
        Assert.Null(join.Awareness);
    }
}
