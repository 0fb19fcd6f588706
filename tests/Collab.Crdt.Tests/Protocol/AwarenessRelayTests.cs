using System.Text.Json;
using Collab.Crdt.Protocol;

namespace Collab.Crdt.Tests.Protocol;

public sealed class AwarenessRelayTests
{
    private static Awareness Peer(uint client, string state, ManualTimeProvider time)
    {
        var peer = new Awareness(client, time);
        peer.SetLocalState(JsonDocument.Parse(state).RootElement.Clone());
        return peer;
    }

    [Fact]
    public void clients_belong_to_the_connection_that_sent_them_and_leave_with_it()
    {
        var time = new ManualTimeProvider();
        using var relay = new AwarenessRelay(time);
        using var alice = Peer(1, """{"name":"alice"}""", time);
        using var bob = Peer(2, """{"name":"bob"}""", time);
        var broadcasts = new List<byte[]>();
        relay.Broadcast += broadcasts.Add;
        object aliceConnection = new(), bobConnection = new();

        relay.Apply(aliceConnection, alice.EncodeUpdate([1]));
        relay.Apply(bobConnection, bob.EncodeUpdate([2]));
        foreach (var update in broadcasts)
        {
            alice.ApplyUpdate(update, "relay");
            bob.ApplyUpdate(update, "relay");
        }

        Assert.Equal([1u], relay.ClientsOf(aliceConnection));
        Assert.Equal([2u], relay.ClientsOf(bobConnection));
        Assert.True(bob.States.ContainsKey(1));

        // Bob answers a query-awareness with every state he knows, Alice's included: she stays Alice's.
        relay.Apply(bobConnection, bob.EncodeFullUpdate());
        Assert.Equal([1u], relay.ClientsOf(aliceConnection));

        broadcasts.Clear();
        relay.Disconnect(aliceConnection);
        var removal = Assert.Single(broadcasts);
        bob.ApplyUpdate(removal, "relay");
        Assert.False(bob.States.ContainsKey(1));
        Assert.Empty(relay.ClientsOf(aliceConnection));
        Assert.Equal([2u], relay.Table.States.Keys);
    }

    [Fact]
    public void a_new_connection_gets_every_known_state_and_an_empty_relay_sends_nothing()
    {
        var time = new ManualTimeProvider();
        using var relay = new AwarenessRelay(time);
        Assert.Null(relay.EncodeFullState());
        using var alice = Peer(1, """{"name":"alice"}""", time);
        relay.Apply(new object(), alice.EncodeUpdate([1]));
        var full = AwarenessUpdate.Read(relay.EncodeFullState());
        Assert.Equal([new AwarenessEntry(1, 1, """{"name":"alice"}""")], full);
    }

    [Fact]
    public void silent_clients_time_out_and_the_removal_is_broadcast()
    {
        var time = new ManualTimeProvider();
        using var relay = new AwarenessRelay(time);
        using var alice = Peer(1, "{}", time);
        relay.Apply(new object(), alice.EncodeUpdate([1]));
        var broadcasts = new List<byte[]>();
        relay.Broadcast += broadcasts.Add;
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Empty(relay.Table.States);
        var entry = Assert.Single(AwarenessUpdate.Read(Assert.Single(broadcasts)));
        Assert.True(entry.IsRemoval);
    }

    [Fact]
    public void a_malformed_update_changes_nothing_and_broadcasts_nothing()
    {
        using var relay = new AwarenessRelay(new ManualTimeProvider());
        int broadcasts = 0;
        relay.Broadcast += _ => broadcasts++;
        var connection = new object();
        Assert.Throws<YjsFormatException>(() => relay.Apply(connection, [1, 1, 1, 3, (byte)'{', (byte)'x', (byte)'}']));
        Assert.Equal(0, broadcasts);
        Assert.Empty(relay.ClientsOf(connection));
    }

    [Fact]
    public void disposing_the_relay_broadcasts_nothing()
    {
        var time = new ManualTimeProvider();
        var relay = new AwarenessRelay(time);
        int broadcasts = 0;
        relay.Broadcast += _ => broadcasts++;
        relay.Dispose();
        Assert.Equal(0, broadcasts);
        Assert.Equal(0, time.ActiveTimers);
    }
}
