using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using static Collab.Crdt.Tests.Compat.YjsFixtures;

namespace Collab.Crdt.Tests.Compat;

/// <summary>
/// A Node peer running the stock y-protocols sync and awareness modules talks to a C# peer using the engine's
/// Protocol codecs; only encoded messages cross between them, as over a socket.
/// </summary>
public sealed class YProtocolsInteropTests
{
    private static readonly (string Name, string Kind)[] s_roots = [("t", "text"), ("m", "map"), ("a", "array"), ("x", "xml")];

    [Fact]
    public async Task stock_y_protocols_peer_and_csharp_peer_sync_both_ways_then_stay_in_sync()
    {
        await using var node = await NodePeer.StartAsync();
        await node.CreateDocAsync("js", 11);
        var cs = new YDoc(new YDocOptions { ClientId = 22 });

        // Each side has content the other lacks before they meet.
        await node.EditAsync("js", new JsonArray(new JsonArray(
            new JsonObject { ["op"] = "textInsert", ["at"] = 0, ["text"] = "from yjs ", ["attrs"] = new JsonObject { ["bold"] = true } },
            new JsonObject { ["op"] = "mapSet", ["key"] = "who", ["value"] = "js" },
            new JsonObject { ["op"] = "xmlInsertElement", ["at"] = 0, ["name"] = "p", ["attr"] = new JsonArray("class", "a") })));
        cs.Transact(() =>
        {
            cs.GetText("t").Insert(0, "from C# 😀");
            cs.GetArray("a").Push(1L, "two");
            cs.GetMap("m").Set("cs", true);
        });

        // Handshake: C# sends SyncStep1; yjs answers SyncStep2; then the reverse direction.
        var reply = await ReceiveAsync(node, "js", SyncProtocol.EncodeSyncStep1(cs));
        Assert.Equal(0, reply.Type);
        var step2 = SyncProtocol.Handle(cs, reply.Reply!, origin: "js");
        Assert.Equal(SyncMessageType.SyncStep2, step2.Type);
        Assert.Null(step2.Reply);

        byte[] jsStep1 = NodePeer.Bytes(await node.CallAsync("syncStep1", new JsonObject { ["doc"] = "js" }));
        var answer = SyncProtocol.Handle(cs, jsStep1, origin: "js");
        Assert.Equal(SyncMessageType.SyncStep1, answer.Type);
        var applied = await ReceiveAsync(node, "js", answer.Reply!);
        Assert.Equal(1, applied.Type);
        Assert.Null(applied.Reply);
        await AssertSameAsync(node, cs, "after the handshake");

        // Same state vector, same SyncStep1 bytes on both sides.
        AssertBytes(NodePeer.Bytes(await node.CallAsync("syncStep1", new JsonObject { ["doc"] = "js" })), SyncProtocol.EncodeSyncStep1(cs), "SyncStep1");

        // Live: each C# transaction goes out as an Update message; each yjs transaction comes in as one.
        var outbox = new List<byte[]>();
        cs.UpdateV1 += (u, origin) =>
        {
            if (!Equals(origin, "js"))
            {
                outbox.Add(SyncMessage.EncodeUpdate(u));
            }
        };
        var r = new Random(7);
        for (int round = 0; round < 40; round++)
        {
            cs.Transact(() =>
            {
                var t = cs.GetText("t");
                t.Insert(r.Next(t.Length + 1), round % 3 == 0 ? "ü" : "cs");
                cs.GetMap("m").Set("round", (long)round);
            });
            var jsUpdates = await node.EditAsync("js", new JsonArray(new JsonArray(
                new JsonObject { ["op"] = "textInsert", ["at"] = r.Next(1 << 20), ["text"] = "js" },
                new JsonObject { ["op"] = "arrayInsert", ["at"] = r.Next(1 << 20), ["values"] = new JsonArray(round) })));
            foreach (byte[] message in outbox)
            {
                var res = await ReceiveAsync(node, "js", message);
                Assert.Equal(2, res.Type);
            }

            outbox.Clear();
            byte[] jsMessage = NodePeer.Bytes(await node.CallAsync("syncUpdate", new JsonObject { ["update"] = Convert.ToBase64String(Assert.Single(jsUpdates[0])) }));
            Assert.Equal(SyncMessageType.Update, SyncProtocol.Handle(cs, jsMessage, origin: "js").Type);
        }

        await AssertSameAsync(node, cs, "after live updates");
    }

    [Fact]
    public async Task a_read_only_csharp_peer_refuses_yjs_updates_and_stays_unchanged()
    {
        await using var node = await NodePeer.StartAsync();
        await node.CreateDocAsync("js", 5);
        var updates = await node.EditAsync("js", new JsonArray(new JsonArray(new JsonObject { ["op"] = "textInsert", ["at"] = 0, ["text"] = "nope" })));
        var cs = new YDoc(new YDocOptions { ClientId = 6 });
        byte[] before = cs.EncodeStateAsUpdate();

        byte[] message = NodePeer.Bytes(await node.CallAsync("syncUpdate", new JsonObject { ["update"] = Convert.ToBase64String(Assert.Single(updates[0])) }));
        var result = SyncProtocol.Handle(cs, message, readOnly: true);

        Assert.True(result.Refused);
        AssertBytes(before, cs.EncodeStateAsUpdate(), "read-only doc");
        // A read-only peer may still ask: its SyncStep1 is answered by yjs with what it lacks.
        var reply = await ReceiveAsync(node, "js", SyncProtocol.EncodeSyncStep1(cs));
        Assert.Equal(0, reply.Type);
        Assert.NotNull(reply.Reply);
    }

    [Fact]
    public async Task awareness_states_travel_both_ways_and_a_relay_keeps_yjs_bytes()
    {
        await using var node = await NodePeer.StartAsync();
        await node.CreateDocAsync("js", 31);
        var cs = new YDoc(new YDocOptions { ClientId = 32 });
        using var awareness = new Awareness(cs);

        // yjs -> C#
        await node.CallAsync("awarenessSetLocal", new JsonObject { ["doc"] = "js", ["state"] = JsonNode.Parse("""{"user":{"name":"Zoë","color":"#30bced"},"cursor":{"anchor":3,"head":7}}""") });
        byte[] jsUpdate = NodePeer.Bytes(await node.CallAsync("awarenessEncode", new JsonObject { ["doc"] = "js", ["clients"] = new JsonArray(31) }));
        awareness.ApplyUpdate(jsUpdate, "js");
        Assert.True(awareness.States.TryGetValue(31, out var jsState));
        Assert.Equal("Zoë", jsState.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(7, jsState.GetProperty("cursor").GetProperty("head").GetInt32());

        // A server relays a client's state to others: the bytes it writes are the ones yjs wrote.
        AssertBytes(jsUpdate, awareness.EncodeUpdate([31]), "relayed awareness update");

        // C# -> yjs: set, change, then remove.
        awareness.SetLocalState(JsonDocument.Parse("""{"user":{"name":"server"},"n":1}""").RootElement);
        var changes = await node.CallAsync("awarenessApply", new JsonObject { ["doc"] = "js", ["update"] = Convert.ToBase64String(awareness.EncodeUpdate([32])) });
        Assert.Contains(32, changes!.AsArray()[0]!["added"]!.AsArray().Select(n => n!.GetValue<int>()));
        var states = (await node.CallAsync("awarenessStates", new JsonObject { ["doc"] = "js" }))!;
        Assert.Equal("server", states["32"]!["state"]!["user"]!["name"]!.GetValue<string>());
        ulong clockAfterSet = awareness.Meta[32].Clock;
        Assert.Equal((long)clockAfterSet, states["32"]!["clock"]!.GetValue<long>());

        awareness.SetLocalState(JsonDocument.Parse("""{"user":{"name":"server"},"n":2}""").RootElement);
        changes = await node.CallAsync("awarenessApply", new JsonObject { ["doc"] = "js", ["update"] = Convert.ToBase64String(awareness.EncodeUpdate([32])) });
        Assert.Contains(32, changes!.AsArray()[0]!["updated"]!.AsArray().Select(n => n!.GetValue<int>()));

        awareness.SetLocalState(null);
        changes = await node.CallAsync("awarenessApply", new JsonObject { ["doc"] = "js", ["update"] = Convert.ToBase64String(awareness.EncodeUpdate([32])) });
        Assert.Contains(32, changes!.AsArray()[0]!["removed"]!.AsArray().Select(n => n!.GetValue<int>()));
        states = (await node.CallAsync("awarenessStates", new JsonObject { ["doc"] = "js" }))!;
        Assert.Null(states["32"]);
    }

    private static async Task<(int Type, byte[]? Reply)> ReceiveAsync(NodePeer node, string doc, byte[] message)
    {
        var res = (await node.CallAsync("syncReceive", new JsonObject { ["doc"] = doc, ["message"] = Convert.ToBase64String(message) }))!;
        return (res["type"]!.GetValue<int>(), res["reply"] is { } reply ? NodePeer.Bytes(reply) : null);
    }

    private static async Task AssertSameAsync(NodePeer node, YDoc cs, string when)
    {
        var content = await node.ContentAsync("js", s_roots);
        var roots = new JsonArray(s_roots.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["kind"] = r.Kind }).ToArray());
        AssertContent(cs, roots, content, when);
        AssertBytes(await node.EncodeStateVectorAsync("js"), cs.EncodeStateVector(), when + ": state vector");
    }
}
