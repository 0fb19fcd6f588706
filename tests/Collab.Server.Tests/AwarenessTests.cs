using Collab.Crdt.Protocol;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

public sealed class AwarenessTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private static async Task<List<AwarenessEntry>> NextAwarenessAsync(TestPeer peer, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (peer.AwarenessReceived.TryDequeue(out var update)) return AwarenessUpdate.Read(update);
            await Task.Delay(10);
        }
        throw new TimeoutException("No awareness update arrived.");
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) return false;
            await Task.Delay(10);
        }
        return true;
    }

    [Fact]
    public async Task awareness_is_relayed_to_others_and_a_newcomer_gets_current_states()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"), ("carol", "viewer"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await alice.JoinAsync();
        await bob.JoinAsync();

        var published = AwarenessUpdate.Write([new AwarenessEntry(1, 1, """{"user":"alice","cursor":3}""")]);
        await alice.Connection.InvokeAsync("Awareness", doc, "main", published);

        Assert.True(await WaitAsync(() => !bob.AwarenessReceived.IsEmpty), "bob received no awareness update");
        Assert.True(bob.AwarenessReceived.TryDequeue(out var relayed));
        Assert.Equal(published, relayed); // the exact bytes
        // Not echoed to the sender: bob answers, and what alice gets is bob's state alone (an echo would come first).
        await bob.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(2, 1, "{}")]));
        Assert.Equal(2u, Assert.Single(await NextAwarenessAsync(alice)).ClientId);
        Assert.Empty(alice.AwarenessReceived);

        await using var carol = TestPeer.Create(factory.HubFor("carol"), doc, clientId: 3);
        await carol.JoinAsync();
        var snapshot = await NextAwarenessAsync(carol);
        Assert.Contains(snapshot, e => e.ClientId == 1 && e.StateJson.Contains("alice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_closed_connections_states_are_removed_for_the_others()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await bob.JoinAsync();
        var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, 4, """{"user":"alice"}""")]));
        await NextAwarenessAsync(bob);

        await alice.DisposeAsync();

        var removal = Assert.Single(await NextAwarenessAsync(bob));
        Assert.Equal(1u, removal.ClientId);
        Assert.True(removal.IsRemoval);
        Assert.Equal(5ul, removal.Clock);
    }

    [Fact]
    public async Task leaving_removes_the_states_and_stops_messages_for_that_branch()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await alice.JoinAsync();
        await bob.JoinAsync();
        await alice.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, 1, "{}")]));
        await NextAwarenessAsync(bob);

        await alice.Connection.InvokeAsync("Leave", doc, "main");
        Assert.True(Assert.Single(await NextAwarenessAsync(bob)).IsRemoval);

        var before = alice.Received.Count;
        await bob.InsertAsync(0, "after leave");

        // A marker on another document, sent after bob's update was acknowledged (and so broadcast), reaches alice on the
        // same connection: anything for the branch she left would have arrived before it.
        var other = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        await using var aliceOnOther = TestPeer.Create(alice.Connection, other, clientId: 11);
        await using var bobOnOther = TestPeer.Create(factory.HubFor("bob"), other, clientId: 12);
        await aliceOnOther.JoinAsync();
        await bobOnOther.JoinAsync();
        await bobOnOther.InsertAsync(0, "marker");
        await aliceOnOther.WaitForTextAsync("marker");
        Assert.Equal(before, alice.Received.Count);
    }

    [Fact]
    public async Task a_viewer_cannot_publish_under_another_users_client_id()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"), ("mallory", "viewer"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await using var mallory = TestPeer.Create(factory.HubFor("mallory"), doc, clientId: 3);
        await alice.JoinAsync();
        await bob.JoinAsync();
        await mallory.JoinAsync();
        await alice.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, 1, """{"user":"alice"}""")]));
        await NextAwarenessAsync(bob);

        // The forger's state under alice's id and its removal with the largest clock are not relayed, then its own is.
        await mallory.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, (1UL << 53) - 1, """{"user":"fake"}""")]));
        await mallory.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, (1UL << 53) - 1, "null")]));
        await mallory.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(3, 1, """{"user":"mallory"}""")]));
        Assert.Equal(3u, Assert.Single(await NextAwarenessAsync(bob)).ClientId);
        Assert.Empty(bob.AwarenessReceived);

        // Alice's presence still counts.
        await alice.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, 2, """{"user":"alice","cursor":1}""")]));
        Assert.Equal(new AwarenessEntry(1, 2, """{"user":"alice","cursor":1}"""), Assert.Single(await NextAwarenessAsync(bob)));
    }

    [Fact]
    public async Task a_connection_flooding_client_ids_is_refused_and_a_newcomer_gets_a_small_message()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("mallory", "viewer"));
        await using var mallory = TestPeer.Create(factory.HubFor("mallory"), doc, clientId: 3);
        await mallory.JoinAsync();

        // ~7,200 client ids in one update, as in the report: refused whole.
        var flood = AwarenessUpdate.Write(Enumerable.Range(1, 7200).Select(i => new AwarenessEntry((uint)i, 1, "{}")));
        var error = await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync("Awareness", doc, "main", flood));
        Assert.Contains("HubException: too_large:", error.Message, StringComparison.Ordinal);
        // One id at a time: the fifth is refused.
        for (uint id = 1; id <= 4; id++) await mallory.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(id, 1, "{}")]));
        var fifth = await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(5, 1, "{}")])));
        Assert.Contains("HubException: too_large:", fifth.Message, StringComparison.Ordinal);

        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        var states = await NextAwarenessAsync(alice);
        Assert.Equal([1u, 2u, 3u, 4u], states.Select(s => s.ClientId).Order());

        // Closing the connection removes its states: the next joiner gets none.
        await mallory.DisposeAsync();
        Assert.Equal(4, (await NextAwarenessAsync(alice)).Count(e => e.IsRemoval));
        var session = factory.Services.GetRequiredService<Collab.Documents.Sessions.SessionManager>();
        var join = await session.JoinAsync(new Collab.EventStore.BranchRef(new Collab.EventStore.DocumentId(doc), Collab.EventStore.BranchName.Main), new Collab.Documents.Sessions.SessionCaller("probe", "alice", Collab.Documents.Access.DocumentRole.Viewer), default);
        Assert.Null(join.Awareness);
    }
}
