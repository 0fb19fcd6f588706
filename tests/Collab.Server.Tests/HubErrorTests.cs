using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>Refused messages: an error to that caller only; the other clients and the log unaffected.</summary>
public sealed class HubErrorTests : IClassFixture<HubErrorTests.SmallLimitsFactory>
{
    private readonly SmallLimitsFactory _factory;

    public HubErrorTests(SmallLimitsFactory factory) => _factory = factory;

    public sealed class SmallLimitsFactory : IDisposable
    {
        public SmallLimitsFactory()
        {
            App = new CollabAppFactory();
            App.Overrides["Collab:Limits:MaxUpdateBytes"] = "2048";
            App.Overrides["Collab:Limits:MaxAwarenessBytes"] = "512";
            App.Overrides["Collab:Limits:MaxBranchesPerConnection"] = "2";
            App.Overrides["Collab:Limits:MaxMessageBytes"] = "65536";
            App.Overrides["Collab:Sessions:MaxStateVectorEntries"] = "1024";
        }

        public CollabAppFactory App { get; }

        public void Dispose() => App.Dispose();
    }

    private CollabAppFactory App => _factory.App;

    private static string CodeOf(HubException ex)
    {
        var marker = "HubException: ";
        var at = ex.Message.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, ex.Message);
        var rest = ex.Message[(at + marker.Length)..];
        return rest[..rest.IndexOf(':', StringComparison.Ordinal)];
    }

    /// <summary>The head of <c>main</c> right after <see cref="TwoPeersAsync"/> created its document (its directory events).</summary>
    private long _createdHead;

    private async Task<(string Doc, TestPeer Alice, TestPeer Bob)> TwoPeersAsync()
    {
        var doc = await App.CreateDocumentAsync("alice", ("bob", "editor"));
        _createdHead = await App.MainHeadAsync(doc);
        var alice = TestPeer.Create(App.HubFor("alice"), doc, clientId: 1);
        var bob = TestPeer.Create(App.HubFor("bob"), doc, clientId: 2);
        await alice.JoinAsync();
        await bob.JoinAsync();
        await alice.InsertAsync(0, "safe");
        await bob.WaitForTextAsync("safe");
        return (doc, alice, bob);
    }

    private async Task AssertUnaffectedAsync(string doc, TestPeer alice, TestPeer bob, long editsSinceCreation)
    {
        // The connection that was refused still works, the other client still receives, and the log did not move.
        await alice.InsertAsync(4, "!");
        await bob.WaitForTextAsync("safe!");
        var head = await App.Services.GetRequiredService<IEventStore>().GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main));
        Assert.Equal(_createdHead + editsSinceCreation + 1, head.Seq.Value);
    }

    public static TheoryData<string, byte[]> MalformedSyncMessages => new()
    {
        { "unknown message type", [7, 0] },
        { "truncated payload", [2, 10, 1, 2] },
        { "garbage update", SyncMessage.EncodeUpdate(new byte[] { 5, 200, 1, 9, 9, 9, 9 }) },
        { "trailing bytes", [.. SyncMessage.EncodeUpdate(new byte[] { 0, 0 }), 1] },
        { "update with an impossible length", SyncMessage.EncodeUpdate(new byte[] { 1, 1, 1, 0, 4, 0, 255, 255, 255, 255, 15 }) },
        { "garbage state vector", SyncMessage.EncodeSyncStep1(new byte[] { 3, 1 }) },
    };

    [Theory]
    [MemberData(nameof(MalformedSyncMessages))]
    public async Task malformed_sync_bytes_fail_for_the_caller_only(string what, byte[] message)
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;
        var bobReceived = bob.Received.Count;

        var error = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<SyncAck>("Sync", doc, "main", message, null));

        Assert.True(CodeOf(error) == "malformed", $"{what}: {error.Message}");
        await AssertUnaffectedAsync(doc, alice, bob, editsSinceCreation: 1);
        // The next update is the marker: bob received it and nothing before it.
        Assert.Equal(bobReceived + 1, bob.Received.Count);
    }

    [Fact]
    public async Task an_empty_sync_message_is_malformed()
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;
        var error = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<SyncAck>("Sync", doc, "main", Array.Empty<byte>(), null));
        Assert.Equal("malformed", CodeOf(error));
    }

    [Fact]
    public async Task an_update_above_the_limit_is_refused_as_too_large()
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;
        var update = TestUpdates.Insert(9, new string('z', 4000));

        var error = await Assert.ThrowsAsync<HubException>(() => alice.SendUpdateAsync(update, null));

        Assert.Equal("too_large", CodeOf(error));
        await AssertUnaffectedAsync(doc, alice, bob, editsSinceCreation: 1);
    }

    [Fact]
    public async Task a_message_above_the_signalr_limit_closes_only_that_connection()
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;
        await using var mallory = TestPeer.Create(App.HubFor("alice"), doc, clientId: 5);
        await mallory.JoinAsync();
        var closed = new TaskCompletionSource();
        mallory.Connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        var huge = SyncMessage.EncodeUpdate(new byte[100_000]);
        await Assert.ThrowsAnyAsync<Exception>(() => mallory.Connection.InvokeAsync<SyncAck>("Sync", doc, "main", huge, null));

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await AssertUnaffectedAsync(doc, alice, bob, editsSinceCreation: 1);
    }

    [Fact]
    public async Task a_viewer_that_edits_gets_an_error_and_nothing_is_stored_or_broadcast()
    {
        var doc = await App.CreateDocumentAsync("alice", ("vic", "viewer"));
        var created = await App.MainHeadAsync(doc);
        await using var alice = TestPeer.Create(App.HubFor("alice"), doc, clientId: 1);
        await using var vic = TestPeer.Create(App.HubFor("vic"), doc, clientId: 2);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "read me");
        await vic.JoinAsync(); // its empty SyncStep2 is accepted
        await vic.WaitForTextAsync("read me");
        var aliceReceived = alice.Received.Count;

        var error = await Assert.ThrowsAsync<HubException>(() => vic.InsertAsync(0, "nope "));

        Assert.Equal("forbidden", CodeOf(error));
        // Marker: vic's presence, published after the refusal, reaches alice after anything the refused edit could have sent.
        await vic.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(2, 1, "{}")]));
        var deadline = Environment.TickCount64 + 10_000;
        while (alice.AwarenessReceived.IsEmpty && Environment.TickCount64 < deadline) await Task.Delay(10);
        Assert.Single(alice.AwarenessReceived);
        Assert.Equal("read me", alice.Text);
        Assert.Equal(aliceReceived, alice.Received.Count);
        var head = await App.Services.GetRequiredService<IEventStore>().GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main));
        Assert.Equal(created + 1, head.Seq.Value);
    }

    [Fact]
    public async Task a_viewers_sync_step2_with_changes_is_refused()
    {
        var doc = await App.CreateDocumentAsync("alice", ("vic", "viewer"));
        await using var vic = TestPeer.Create(App.HubFor("vic"), doc, clientId: 2);
        await vic.JoinAsync();
        var local = new YDoc(new YDocOptions { ClientId = 44 });
        local.GetText("text").Insert(0, "offline edit");

        var error = await Assert.ThrowsAsync<HubException>(() =>
            vic.Connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeSyncStep2(local.EncodeStateAsUpdate()), null));

        Assert.Equal("forbidden", CodeOf(error));
    }

    [Fact]
    public async Task unknown_documents_and_branches_are_not_found()
    {
        await using var alice = TestPeer.Create(App.HubFor("alice"), "no-such-doc", clientId: 1);
        await alice.Connection.StartAsync();
        var error = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<JoinResult>("Join", "no-such-doc", "main"));
        Assert.Equal("not_found", CodeOf(error));

        var doc = await App.CreateDocumentAsync("alice");
        var branchError = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<JoinResult>("Join", doc, "no-such-branch"));
        Assert.Equal("not_found", CodeOf(branchError));

        var nameError = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<JoinResult>("Join", doc, "../etc"));
        Assert.Equal("invalid", CodeOf(nameError));
    }

    [Fact]
    public async Task sync_and_awareness_before_join_are_refused_as_not_joined()
    {
        var doc = await App.CreateDocumentAsync("alice");
        await using var alice = TestPeer.Create(App.HubFor("alice"), doc, clientId: 1);
        await alice.Connection.StartAsync();

        var sync = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeSyncStep1(new byte[] { 0 }), null));
        var awareness = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, 1, "{}")])));

        Assert.Equal("not_joined", CodeOf(sync));
        Assert.Equal("not_joined", CodeOf(awareness));
    }

    [Fact]
    public async Task a_connection_may_join_only_the_configured_number_of_branches()
    {
        var docs = new[] { await App.CreateDocumentAsync("alice"), await App.CreateDocumentAsync("alice"), await App.CreateDocumentAsync("alice") };
        await using var connection = App.HubFor("alice");
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", docs[0], "main");
        await connection.InvokeAsync<JoinResult>("Join", docs[1], "main");
        await connection.InvokeAsync<JoinResult>("Join", docs[0], "main"); // re-joining does not count twice

        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<JoinResult>("Join", docs[2], "main"));
        Assert.Equal("too_many_documents", CodeOf(error));

        await connection.InvokeAsync("Leave", docs[1], "main");
        var result = await connection.InvokeAsync<JoinResult>("Join", docs[2], "main");
        Assert.Equal("owner", result.Role);
    }

    [Fact]
    public async Task hub_messages_above_the_per_user_rate_are_refused_as_rate_limited()
    {
        // The clock moves only when told to, so no token comes back while a loaded machine runs the calls slowly.
        var clock = new ManualClock();
        using var limited = new CollabAppFactory { Clock = clock };
        limited.Overrides["Collab:RateLimits:HubMessagesPerSecond"] = "2";
        limited.Overrides["Collab:RateLimits:HubBurst"] = "3";
        var doc = await limited.CreateDocumentAsync("alice");
        await using var connection = limited.HubFor("alice");
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        await connection.StartAsync();

        var codes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await connection.InvokeAsync<JoinResult>("Join", doc, "main");
                codes.Add("ok");
            }
            catch (HubException ex)
            {
                codes.Add(CodeOf(ex));
            }
        }
        Assert.Equal(["ok", "ok", "ok", "rate_limited", "rate_limited"], codes);
        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<JoinResult>("Join", doc, "main"));
        Assert.Contains("Retry after 500 ms.", refused.Message, StringComparison.Ordinal);

        // Half a second later (2 per second) one message is allowed again, and only one.
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal("owner", (await connection.InvokeAsync<JoinResult>("Join", doc, "main")).Role);
        Assert.Equal("rate_limited", CodeOf(await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<JoinResult>("Join", doc, "main"))));

        await using var bob = limited.HubFor("bob"); // another user has its own budget
        await bob.StartAsync();
        var other = await Assert.ThrowsAsync<HubException>(() => bob.InvokeAsync<JoinResult>("Join", doc, "main"));
        Assert.Equal("forbidden", CodeOf(other));
    }

    [Fact]
    public async Task an_empty_update_id_is_invalid_for_that_caller_alone_and_concurrent_updates_are_stored()
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;

        var sends = Enumerable.Range(0, 40)
            .Select(i => alice.SendUpdateAsync(TestUpdates.Insert((uint)(100 + i), "u"), i == 17 ? "" : $"id-{i}"))
            .ToList();

        var error = await Assert.ThrowsAsync<HubException>(() => sends[17]);
        Assert.Equal("invalid", CodeOf(error));
        var seqs = new List<long>();
        for (var i = 0; i < sends.Count; i++) if (i != 17) seqs.Add((await sends[i]).Seq!.Value);
        Assert.Equal(Enumerable.Range(2, 39).Select(i => _createdHead + i), seqs.Order());
        var head = await App.Services.GetRequiredService<IEventStore>().GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main));
        Assert.Equal(_createdHead + 40, head.Seq.Value);
        Assert.Equal(_createdHead + 41, (await alice.SendUpdateAsync(TestUpdates.Insert(117, "u"), "id-17")).Seq); // the retry with an id
    }

    [Fact]
    public async Task a_state_vector_with_too_many_entries_is_too_large()
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;
        var w = new Collab.Crdt.Encoding.Lib0Writer(8192);
        w.WriteVarUInt(2000);
        for (var i = 0; i < 2000; i++)
        {
            w.WriteVarUInt((ulong)i + 1);
            w.WriteVarUInt(1);
        }

        var error = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeSyncStep1(w.ToArray()), null));

        Assert.Equal("too_large", CodeOf(error));
        await AssertUnaffectedAsync(doc, alice, bob, editsSinceCreation: 1);
    }

    public static TheoryData<string, byte[]> MalformedAwareness => new()
    {
        { "truncated", [1, 5] },
        { "invalid json", AwarenessUpdate.Write([new AwarenessEntry(1, 1, "{not json")]) },
        { "trailing bytes", [.. AwarenessUpdate.Write([new AwarenessEntry(1, 1, "{}")]), 0] },
        { "count too big", [200, 1] },
    };

    [Theory]
    [MemberData(nameof(MalformedAwareness))]
    public async Task malformed_awareness_fails_for_the_caller_only(string what, byte[] update)
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;

        var error = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync("Awareness", doc, "main", update));

        Assert.True(CodeOf(error) == "malformed", $"{what}: {error.Message}");
        await AssertUnaffectedAsync(doc, alice, bob, editsSinceCreation: 1);
        Assert.Empty(bob.AwarenessReceived); // checked after the marker update reached bob on the same connection
    }

    [Fact]
    public async Task an_awareness_update_above_the_limit_is_too_large()
    {
        var (doc, alice, bob) = await TwoPeersAsync();
        await using var _ = alice;
        await using var __ = bob;
        var update = AwarenessUpdate.Write([new AwarenessEntry(1, 1, "\"" + new string('a', 600) + "\"")]);
        var error = await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync("Awareness", doc, "main", update));
        Assert.Equal("too_large", CodeOf(error));
    }
}
