using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

public sealed class SyncTests(CollabAppFactory factory, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task two_clients_see_each_others_edits_and_every_update_is_acked_with_its_seq(bool messagePack)
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        var created = await factory.MainHeadAsync(doc); // the directory events of creation and the grant
        await using var alice = TestPeer.Create(factory.HubFor("alice", messagePack), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob", messagePack), doc, clientId: 2);

        var aliceJoin = await alice.JoinAsync();
        var bobJoin = await bob.JoinAsync();
        Assert.Equal("owner", aliceJoin.Role);
        Assert.Equal("editor", bobJoin.Role);

        var first = await alice.InsertAsync(0, "hello");
        Assert.Equal(created + 1, first.Seq);
        await bob.WaitForTextAsync("hello");
        var second = await bob.InsertAsync(5, " world");
        Assert.Equal(created + 2, second.Seq);
        await alice.WaitForTextAsync("hello world");

        var head = await Store.GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main));
        Assert.Equal(created + 2, head.Seq.Value);
        // Each got exactly the other's update, as stored, and never its own.
        var events = await Store.ReadPageAsync(new BranchRef(new DocumentId(doc), BranchName.Main), new EventSeq(created + 1), 10);
        Assert.Equal([events[1].Payload.ToArray()], alice.Received.Where(m => m.Type == SyncMessageType.Update).Select(m => m.Payload));
        Assert.Equal([events[0].Payload.ToArray()], bob.Received.Where(m => m.Type == SyncMessageType.Update).Select(m => m.Payload));
    }

    [Fact]
    public async Task a_late_joiner_receives_the_whole_document_through_the_handshake()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("carol", "viewer"));
        var created = await factory.MainHeadAsync(doc);
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        for (var i = 0; i < 20; i++) await alice.InsertAsync(i, "x");

        await using var carol = TestPeer.Create(factory.HubFor("carol"), doc, clientId: 3);
        var join = await carol.JoinAsync();
        Assert.Equal(created + 20, join.HeadSeq);
        Assert.Equal("viewer", join.Role);
        await carol.WaitForTextAsync(new string('x', 20));
        Assert.Contains(carol.Received, m => m.Type == SyncMessageType.SyncStep1);
        Assert.Contains(carol.Received, m => m.Type == SyncMessageType.SyncStep2);
    }

    [Fact]
    public async Task a_repeated_update_id_is_acked_with_the_first_seq_and_stored_once()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        var created = await factory.MainHeadAsync(doc);
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        var update = TestUpdates.Insert(77, "once");

        var first = await alice.SendUpdateAsync(update, "same-id");
        var again = await alice.SendUpdateAsync(update, "same-id");

        Assert.Equal(created + 1, first.Seq);
        Assert.Equal(created + 1, again.Seq);
        var head = await Store.GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main));
        Assert.Equal(created + 1, head.Seq.Value);
    }

    [Fact]
    public async Task an_update_id_reused_for_other_bytes_is_refused_as_a_conflict()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "a", updateId: "id-1");

        var error = await Assert.ThrowsAsync<HubException>(() => alice.InsertAsync(1, "b", updateId: "id-1"));
        Assert.Contains("HubException: conflict:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_update_the_server_already_has_is_acked_without_a_seq_and_not_stored()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        var created = await factory.MainHeadAsync(doc);
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "abc");
        var whole = alice.Doc.EncodeStateAsUpdate();

        var ack = await alice.SendUpdateAsync(whole, updateId: null);

        Assert.Null(ack.Seq);
        var head = await Store.GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main));
        Assert.Equal(created + 1, head.Seq.Value);
    }

    [Fact]
    public async Task broadcasts_reach_other_clients_in_seq_order()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"), ("carol", "viewer"));
        var created = await factory.MainHeadAsync(doc);
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await using var carol = TestPeer.Create(factory.HubFor("carol"), doc, clientId: 3);
        await alice.JoinAsync();
        await bob.JoinAsync();
        await carol.JoinAsync();

        var sends = new List<Task<Collab.Server.Hubs.SyncAck>>();
        for (var i = 0; i < 30; i++)
        {
            sends.Add(alice.InsertAsync(0, "a"));
            sends.Add(bob.InsertAsync(0, "b"));
        }
        await Task.WhenAll(sends);
        await carol.WaitForTextAsync(t => t.Length == 60);
        await alice.WaitForTextAsync(carol.Text);
        await bob.WaitForTextAsync(carol.Text);

        // The log holds exactly the 60 updates, and carol received one Update per seq, in seq order.
        var events = await Store.ReadPageAsync(new BranchRef(new DocumentId(doc), BranchName.Main), new EventSeq(created + 1), 100);
        Assert.Equal(60, events.Count);
        var updates = carol.Received.Where(m => m.Type == SyncMessageType.Update).Select(m => m.Payload).ToList();
        Assert.Equal(events.Select(e => e.Payload.ToArray()), updates);
        // Everyone but the sender: alice got exactly bob's updates and bob exactly alice's, the stored bytes in seq order.
        Assert.Equal(events.Where(e => e.Author == "bob").Select(e => e.Payload.ToArray()), alice.Received.Where(m => m.Type == SyncMessageType.Update).Select(m => m.Payload));
        Assert.Equal(events.Where(e => e.Author == "alice").Select(e => e.Payload.ToArray()), bob.Received.Where(m => m.Type == SyncMessageType.Update).Select(m => m.Payload));
    }

    [Fact]
    public async Task join_is_followed_by_the_servers_sync_step1_with_its_state_vector()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        await using var writer = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await writer.JoinAsync();
        await writer.InsertAsync(0, "abc");

        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 2);
        await alice.Connection.StartAsync();
        await alice.Connection.InvokeAsync<Collab.Server.Hubs.JoinResult>("Join", doc, "main");
        var deadline = Environment.TickCount64 + 5000;
        while (alice.Received.IsEmpty && Environment.TickCount64 < deadline) await Task.Delay(10);

        Assert.True(alice.Received.TryPeek(out var first));
        Assert.Equal(SyncMessageType.SyncStep1, first.Type);
        Assert.Equal(writer.Doc.EncodeStateVector(), first.Payload);
    }

    [Fact]
    public async Task sessions_apply_updates_to_a_live_document_that_equals_the_log()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "live");
        await alice.EditAsync(t => t.Delete(0, 1));

        var (_, content) = await factory.Services.GetRequiredService<SessionManager>().ReadContentAsync(new BranchRef(new DocumentId(doc), BranchName.Main), default);
        var replica = new YDoc();
        replica.ApplyUpdate(content);
        Assert.Equal("ive", replica.GetText("text").ToString());
    }

    [Fact]
    public async Task a_client_that_edited_offline_resyncs_both_ways_on_reconnect()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await alice.JoinAsync();
        await bob.JoinAsync();
        await alice.InsertAsync(0, "shared ");
        await bob.WaitForTextAsync("shared ");

        await bob.Connection.StopAsync();
        bob.EditOffline(t => t.Insert(7, "offline"));                   // typed while disconnected, never sent
        await alice.InsertAsync(0, ">> ");                             // the others go on meanwhile

        await bob.ReconnectAsync(factory.HubFor("bob"));

        static bool Both(string text) => text.StartsWith(">> ", StringComparison.Ordinal) && text.Contains("offline", StringComparison.Ordinal);
        await alice.WaitForTextAsync(Both);
        await bob.WaitForTextAsync(Both);
        Assert.Equal(alice.Text, bob.Text);
    }

    [Fact]
    public async Task random_concurrent_edits_by_three_clients_converge_with_the_server()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"), ("carol", "editor"));
        var peers = new List<TestPeer>
        {
            TestPeer.Create(factory.HubFor("alice", messagePack: true), doc, clientId: 11),
            TestPeer.Create(factory.HubFor("bob"), doc, clientId: 12),
            TestPeer.Create(factory.HubFor("carol", messagePack: true), doc, clientId: 13),
        };
        try
        {
            foreach (var peer in peers) await peer.JoinAsync();
            var seed = Environment.TickCount;
            output.WriteLine($"seed {seed}");
            var editors = peers.Select((peer, index) => Task.Run(async () =>
            {
                var random = new Random(seed + index);
                for (var i = 0; i < 40; i++)
                {
                    await peer.EditAsync(text =>
                    {
                        if (text.Length > 3 && random.Next(4) == 0) text.Delete(random.Next(text.Length - 1), 1);
                        else text.Insert(random.Next(text.Length + 1), ((char)('a' + random.Next(26))).ToString());
                    });
                }
            })).ToList();
            await Task.WhenAll(editors);

            var (_, content) = await factory.Services.GetRequiredService<SessionManager>().ReadContentAsync(new BranchRef(new DocumentId(doc), BranchName.Main), default);
            var server = new YDoc();
            server.ApplyUpdate(content);
            var expected = server.GetText("text").ToString();
            foreach (var peer in peers) await peer.WaitForTextAsync(expected);
            Assert.All(peers, p => Assert.True(server.EncodeStateVector().AsSpan().SequenceEqual(p.Doc.EncodeStateVector()), $"seed {seed}: peer {p.Doc.ClientId} differs from the server"));
        }
        finally
        {
            foreach (var peer in peers) await peer.DisposeAsync();
        }
    }

    [Fact]
    public async Task a_fork_is_its_own_branch_starting_from_the_parents_content_at_the_fork_point()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        await using var onMain = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await onMain.JoinAsync();
        var created = await factory.MainHeadAsync(doc);
        await onMain.InsertAsync(0, "base");
        await onMain.InsertAsync(4, " more");
        var main = new BranchRef(new DocumentId(doc), BranchName.Main);
        await Store.ForkAsync(main, new EventSeq(created + 1), new BranchName("feature"), "alice");

        await using var onFeature = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 2, branch: "feature");
        var join = await onFeature.JoinAsync();
        await onFeature.WaitForTextAsync("base");
        Assert.Equal(created + 1, join.HeadSeq);

        var ack = await onFeature.InsertAsync(4, "!");
        Assert.Equal(created + 2, ack.Seq);
        // A later edit on main is the marker: the fork's edit, had it leaked, would have reached onMain before it.
        await using var otherOnMain = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 3);
        await otherOnMain.JoinAsync();
        await otherOnMain.InsertAsync(9, "#");
        await onMain.WaitForTextAsync(t => t.EndsWith('#'));
        Assert.Equal("base more#", onMain.Text); // the fork's edit stays on the fork
        Assert.Equal(created + 3, (await Store.GetHeadAsync(main)).Seq.Value);
    }
    [Fact]
    public async Task an_editor_may_pipeline_updates_and_they_are_acked_and_broadcast_in_send_order()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        var created = await factory.MainHeadAsync(doc); // the directory events of creation and the grant
        await using var alice = TestPeer.Create(factory.HubFor("alice", messagePack: true), doc, clientId: 11);
        await using var bob = TestPeer.Create(factory.HubFor("bob", messagePack: true), doc, clientId: 12);
        await alice.JoinAsync();
        await bob.JoinAsync();

        // Twenty keystrokes, each its own update, all sent before any ack arrives (as a browser client does).
        var typist = new YDoc(new YDocOptions { ClientId = 11 });
        var updates = new List<byte[]>();
        typist.UpdateV1 += (u, _) => updates.Add(u);
        for (var i = 0; i < 20; i++) typist.GetText("text").Insert(i, ((char)('a' + i)).ToString());
        var acks = new List<Task<Collab.Server.Hubs.SyncAck>>();
        foreach (var update in updates) acks.Add(alice.SendUpdateAsync(update, Guid.NewGuid().ToString("N")));
        var seqs = new List<long>();
        foreach (var ack in acks) seqs.Add((await ack).Seq!.Value);

        // Each update went to the log whole, in the order sent: no update waited in a pending state for an earlier one.
        Assert.Equal(Enumerable.Range(1, 20).Select(i => created + i), seqs);
        await bob.WaitForTextAsync("abcdefghijklmnopqrst");
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions>>().Value;
        Assert.Equal(32, options.MaximumParallelInvocationsPerClient);
    }
}
