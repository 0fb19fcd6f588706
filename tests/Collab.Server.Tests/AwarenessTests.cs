using Collab.Crdt.Protocol;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

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

    [Fact]
    public async Task awareness_is_relayed_to_others_and_a_newcomer_gets_current_states()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"), ("carol", "viewer"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 2);
        await alice.JoinAsync();
        await bob.JoinAsync();

        await alice.Connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1, 1, """{"user":"alice","cursor":3}""")]));

        var seen = await NextAwarenessAsync(bob);
        Assert.Equal(1u, Assert.Single(seen).ClientId);
        Assert.Empty(alice.AwarenessReceived); // not echoed to the sender

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
        await Task.Delay(200);
        Assert.Equal(before, alice.Received.Count);
    }
}
