using Collab.Crdt;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Sessions;

/// <summary>Updates that wait for missing dependencies (issue 13, findings 1, 6 and 12).</summary>
public sealed class PendingUpdateTests : IAsyncLifetime
{
    private static readonly SessionCaller Alice = new("c1", "alice", Collab.Documents.Access.DocumentRole.Editor);

    /// <summary>Finding 1: a forged copy of 1001:0 under an unknown parent, plus a struct of 0xFFFFFFFF after an unknown one.</summary>
    private static readonly byte[] Forged = Convert.FromHexString("0201ffffffff0f0084feffffff0f00017801e907000400feffffff0f00017900");

    private readonly InMemoryEventStore _store = new(new EventStoreOptions { MaxPayloadBytes = 1024 * 1024 });
    private readonly RecordingBroadcaster _broadcaster = new();
    private readonly LiveSessionOptions _options = new() { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero };
    private readonly BranchRef _branch = new(new DocumentId("doc-1"), BranchName.Main);
    private SessionManager _sessions = null!;

    public async Task InitializeAsync()
    {
        await _store.CreateDocumentAsync(_branch.Document, "alice");
        _sessions = NewManager();
        await _sessions.JoinAsync(_branch, Alice, default);
    }

    public async Task DisposeAsync() => await _sessions.DisposeAsync();

    private SessionManager NewManager(TimeProvider? time = null) =>
        new(_store, new YDocFactory(), _broadcaster, Microsoft.Extensions.Options.Options.Create(_options), time ?? TimeProvider.System, NullLogger<SessionManager>.Instance);

    private async Task RestartAsync()
    {
        await _sessions.StopAsync();
        _sessions = NewManager();
        await _sessions.JoinAsync(_branch, Alice, default);
    }

    private Task<SyncOutcome> SendAsync(byte[] update, string? updateId = null) =>
        _sessions.SyncAsync(_branch, Alice, SyncMessage.EncodeUpdate(update), updateId, 8 << 20, default);

    private static string TextOf(byte[] update)
    {
        var doc = new YDoc();
        doc.ApplyUpdate(update);
        Assert.False(doc.HasPending);
        return doc.GetText("text").ToString();
    }

    private async Task<string> LiveTextAsync() => TextOf((await _sessions.ReadContentAsync(_branch, default)).Update);

    /// <summary>What a joiner with an empty document receives in SyncStep2.</summary>
    private async Task<string> JoinerTextAsync()
    {
        var outcome = await _sessions.SyncAsync(_branch, Alice, SyncMessage.EncodeSyncStep1(new YDoc().EncodeStateVector()), null, 8 << 20, default);
        return TextOf(SyncMessage.Read(outcome.Reply!).Payload.ToArray());
    }

    private async Task<string> LogTextAsync()
    {
        var doc = new YDoc();
        await foreach (var e in _store.ReadAsync(_branch, new EventSeq(1), EventSeq.MaxValue)) doc.ApplyUpdate(e.Payload.ToArray());
        return doc.GetText("text").ToString();
    }

    private async Task<List<StoredEvent>> EventsAsync()
    {
        var events = new List<StoredEvent>();
        await foreach (var e in _store.ReadAsync(_branch, new EventSeq(1), EventSeq.MaxValue)) events.Add(e);
        return events;
    }

    private static async Task<CollabException> RefusedAsync(Task task) => await Assert.ThrowsAsync<CollabException>(() => task.WaitAsync(Timeout));

    /// <summary>Generous: only reached when something is broken (a waiting update is never answered).</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Task<SyncOutcome> Within(Task<SyncOutcome> task) => task.WaitAsync(Timeout);

    [Fact]
    public async Task a_forged_copy_of_an_integrated_struct_never_empties_the_document_for_joiners_snapshots_or_restarts()
    {
        _options.SnapshotEvery = 2;
        var honest = new YDoc(new YDocOptions { ClientId = 1001 });
        Assert.Equal(1, (await SendAsync(TextEdits.Append(honest, "hello"))).Seq);

        var forged = SendAsync(Forged);
        Assert.Equal("hello", await JoinerTextAsync()); // read after the forged update went through the loop
        Assert.Equal("hello", await LiveTextAsync());
        Assert.False(forged.IsCompleted); // waits: never acknowledged as integrated
        Assert.Equal(2, (await SendAsync(TextEdits.Append(honest, " world"))).Seq); // snapshot at 2
        await LiveTextAsync(); // the snapshot follows the acknowledgement; this read is queued behind it

        Assert.Equal(2, (await _store.GetNearestSnapshotAsync(_branch, new EventSeq(2)))?.Seq.Value);
        await RestartAsync();
        Assert.Equal(CollabErrorCode.Unavailable, (await RefusedAsync(forged)).Code); // dropped with its session, never stored
        Assert.Equal("hello world", await LiveTextAsync());
        Assert.Equal("hello world", await JoinerTextAsync());
        Assert.Equal("hello world", await LogTextAsync());
        Assert.Equal(2, (await EventsAsync()).Count);
    }

    [Fact]
    public async Task an_update_waiting_for_a_missing_dependency_is_acknowledged_when_the_update_that_completes_it_is_stored()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var first = TextEdits.Append(doc, "ab");
        var second = TextEdits.Append(doc, "cd");

        var early = SendAsync(second, "id-2"); // arrives before what it builds on
        var retry = SendAsync(second, "id-2");
        Assert.Equal("", await LiveTextAsync());
        Assert.False(early.IsCompleted);
        Assert.Empty(await EventsAsync());
        Assert.Empty(_broadcaster.Syncs);

        Assert.Equal(1, (await SendAsync(first, "id-1")).Seq);
        Assert.Equal(1, (await Within(early)).Seq); // integrated and stored by event 1
        Assert.Equal(1, (await Within(retry)).Seq);
        Assert.Equal(1, (await SendAsync(second, "id-2")).Seq); // remembered
        Assert.Equal("abcd", await LiveTextAsync());
        Assert.Equal("abcd", await LogTextAsync());
        Assert.Single(await EventsAsync());
    }

    [Fact]
    public async Task waiting_bytes_are_capped_per_branch_and_updates_that_do_not_wait_still_pass()
    {
        _options.MaxPendingBytes = 1000;
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var first = TextEdits.Append(doc, "start");
        var waiting = Enumerable.Range(0, 3).Select(_ => TextEdits.Append(doc, new string('x', 400))).ToList();

        var held = new[] { SendAsync(waiting[0]), SendAsync(waiting[1]) };
        var refused = await RefusedAsync(SendAsync(waiting[2]));
        Assert.Equal(CollabErrorCode.TooLarge, refused.Code);
        Assert.Contains("missing content", refused.Message, StringComparison.Ordinal);

        // Another client's update integrates: the cap does not apply to it, however big.
        Assert.Equal(1, (await SendAsync(TextEdits.Append(new YDoc(new YDocOptions { ClientId = 6 }), new string('o', 300)))).Seq);

        // The completing update releases what waited (and is never refused by the cap).
        Assert.Equal(2, (await SendAsync(first)).Seq);
        Assert.Equal(2, (await Within(held[0])).Seq);
        Assert.Equal(2, (await Within(held[1])).Seq);
        Assert.Equal(3, (await SendAsync(waiting[2])).Seq); // fits again now
        Assert.Equal(await LiveTextAsync(), await LogTextAsync());
        Assert.Equal(5 + 1200 + 300, (await LiveTextAsync()).Length);
    }

    [Fact]
    public async Task waiting_content_expires_after_n_events_and_its_sender_is_told()
    {
        _options.PendingMaxEvents = 3;
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var first = TextEdits.Append(doc, "ab");
        var second = TextEdits.Append(doc, "cd");
        var other = new YDoc(new YDocOptions { ClientId = 6 });

        var early = SendAsync(second);
        var young = new YDoc(new YDocOptions { ClientId = 7 });
        var youngFirst = TextEdits.Append(young, "1");
        for (var i = 0; i < 2; i++) await SendAsync(TextEdits.Append(other, "o"));
        var youngWaiting = SendAsync(TextEdits.Append(young, "2")); // arrives later: not expired with the older one
        await SendAsync(TextEdits.Append(other, "o"));

        var expired = await RefusedAsync(early);
        Assert.Equal(CollabErrorCode.MissingDependency, expired.Code);
        Assert.Equal("missing_dependency", expired.CodeName);

        // The dependency comes too late: only its own content is integrated.
        Assert.Equal(4, (await SendAsync(first)).Seq);
        var text = await LiveTextAsync();
        Assert.Contains("ab", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cd", text, StringComparison.Ordinal);
        Assert.Equal(5, (await SendAsync(youngFirst)).Seq); // the younger one still waited, and completes now
        Assert.Equal(5, (await Within(youngWaiting)).Seq);
        Assert.Equal(await LiveTextAsync(), await LogTextAsync());
    }

    [Fact]
    public async Task waiting_content_expires_by_age_on_a_quiet_branch_when_the_sweep_runs()
    {
        var time = new SteppedTime();
        await _sessions.StopAsync();
        _sessions = NewManager(time);
        await _sessions.JoinAsync(_branch, Alice, default);
        _options.PendingMaxAge = TimeSpan.FromMinutes(1);
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        TextEdits.Append(doc, "ab");
        var waiting = SendAsync(TextEdits.Append(doc, "cd"));
        await LiveTextAsync(); // queued behind the update: it is waiting now

        await _sessions.SweepIdleAsync(); // not old yet: still waits
        await LiveTextAsync();
        Assert.False(waiting.IsCompleted);

        time.Advance(TimeSpan.FromMinutes(2));
        await _sessions.SweepIdleAsync(); // nothing else arrives on the branch: the sweep wakes it
        var expired = await RefusedAsync(waiting);
        Assert.Equal(CollabErrorCode.MissingDependency, expired.Code);
        Assert.Empty(await EventsAsync());
        Assert.Equal("", await JoinerTextAsync());
    }

    /// <summary>Timestamps that move only when the test says so.</summary>
    private sealed class SteppedTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Fact]
    public async Task what_a_completing_update_releases_is_stored_in_events_that_fit_the_store()
    {
        // Finding 12: three big updates arrive before the small one they build on; together they exceed the
        // store's 1 MiB payload limit.
        _options.MaxPendingBytes = 2 * 1024 * 1024;
        _options.MaxEventBytes = 512 * 1024;
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var first = TextEdits.Append(doc, "start ");
        var big = Enumerable.Range(0, 3).Select(i => TextEdits.Append(doc, new string((char)('a' + i), 400_000))).ToList();

        var held = Enumerable.Range(0, 3).Select(i => SendAsync(big[2 - i], $"big-{i}")).ToList();
        Assert.Equal("", await LiveTextAsync());

        var completing = await SendAsync(first, "first");
        foreach (var task in held) Assert.Equal(completing.Seq, (await Within(task)).Seq);
        var events = await EventsAsync();
        Assert.True(events.Count >= 3, $"{events.Count} events");
        Assert.All(events, e => Assert.True(e.Payload.Length <= 512 * 1024, $"{e.Payload.Length} bytes"));
        Assert.Equal(events[^1].Seq.Value, completing.Seq);
        Assert.Equal("first", events[^1].ClientUpdateId);

        var expected = doc.GetText("text").ToString();
        Assert.Equal(expected, await LiveTextAsync());
        Assert.Equal(expected, await LogTextAsync());
        await RestartAsync();
        Assert.Equal(expected, await LiveTextAsync());
    }
}
