using Collab.Client.Tests.Infrastructure;

namespace Collab.Client.Tests;

/// <summary>Real-wire compatibility: stock yjs + y-protocols + @microsoft/signalr peers in Node against the server.</summary>
[Collection(ServerCollection.Name)]
public sealed class NodeWireTests(CollabServer server)
{
    private async Task<(string DocumentId, Dictionary<string, string> Tokens)> NewDocumentAsync(params string[] users)
    {
        var tokens = new Dictionary<string, string>();
        foreach (string user in users)
        {
            tokens[user] = await server.SignInAsync(user);
        }

        string documentId = await server.CreateDocumentAsync(tokens[users[0]], "wire test");
        foreach (string user in users.Skip(1))
        {
            await server.GrantAsync(tokens[users[0]], documentId, user, "editor");
        }

        return (documentId, tokens);
    }

    private async Task OpenAsync(NodePeers node, string peer, string token, string documentId, string protocol = "msgpack") =>
        await node.SendAsync("open", new { peer, server = server.BaseUrl.ToString(), token, doc = documentId, protocol });

    private static async Task<string[]> TextsAsync(NodePeers node, params string[] peers) =>
        await Task.WhenAll(peers.Select(node.TextAsync));

    [Fact]
    public async Task three_node_peers_making_random_concurrent_edits_converge_and_a_late_joiner_loads_the_same_text()
    {
        var (documentId, tokens) = await NewDocumentAsync("alice", "bob", "carol");
        await using var node = NodePeers.Start();
        string[] peers = ["alice", "bob", "carol"];
        foreach (string peer in peers)
        {
            await OpenAsync(node, peer, tokens[peer], documentId);
        }

        await Task.WhenAll(peers.Select((peer, i) => node.SendAsync("random", new { peer, ops = 150, seed = 11 + i, delayMs = 2 })));
        await Task.WhenAll(peers.Select(peer => node.SendAsync("flush", new { peer })));

        bool converged = await Eventually.HoldsAsync(async () => (await TextsAsync(node, peers)).Distinct().Count() == 1);
        string[] texts = await TextsAsync(node, peers);
        Assert.True(converged, "texts differ:\n" + string.Join("\n", texts));
        Assert.NotEqual("", texts[0]);

        await OpenAsync(node, "late", tokens["alice"], documentId);
        Assert.Equal(texts[0], await node.TextAsync("late"));
    }

    [Fact]
    public async Task a_json_protocol_peer_and_a_messagepack_peer_see_each_others_edits()
    {
        var (documentId, tokens) = await NewDocumentAsync("alice", "bob");
        await using var node = NodePeers.Start();
        await OpenAsync(node, "alice", tokens["alice"], documentId, "json");
        await OpenAsync(node, "bob", tokens["bob"], documentId, "msgpack");

        await node.SendAsync("insert", new { peer = "alice", index = 0, text = "héllo 𝄞 from json" });
        await node.SendAsync("flush", new { peer = "alice" });
        Assert.True(await Eventually.HoldsAsync(async () => await node.TextAsync("bob") == "héllo 𝄞 from json"));

        await node.SendAsync("insert", new { peer = "bob", index = 0, text = "msgpack says: " });
        await node.SendAsync("flush", new { peer = "bob" });
        Assert.True(await Eventually.HoldsAsync(async () => await node.TextAsync("alice") == "msgpack says: héllo 𝄞 from json"));
    }

    [Fact]
    public async Task offline_edits_of_a_node_peer_reach_the_others_after_it_reconnects()
    {
        var (documentId, tokens) = await NewDocumentAsync("alice", "bob");
        await using var node = NodePeers.Start();
        await OpenAsync(node, "alice", tokens["alice"], documentId);
        await OpenAsync(node, "bob", tokens["bob"], documentId);
        await node.SendAsync("insert", new { peer = "alice", index = 0, text = "shared " });
        await node.SendAsync("flush", new { peer = "alice" });
        Assert.True(await Eventually.HoldsAsync(async () => await node.TextAsync("bob") == "shared "));

        await node.SendAsync("disconnect", new { peer = "alice" });
        await node.SendAsync("insert", new { peer = "alice", index = 7, text = "offline" });
        await node.SendAsync("insert", new { peer = "bob", index = 0, text = "online " });
        await node.SendAsync("flush", new { peer = "bob" });
        var offline = await node.SendAsync("text", new { peer = "alice" });
        Assert.Equal(1, offline["pending"]!.GetValue<int>()); // kept while disconnected
        Assert.Equal("shared offline", offline["text"]!.GetValue<string>());

        await node.SendAsync("connect", new { peer = "alice" });
        await node.SendAsync("flush", new { peer = "alice" });
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await TextsAsync(node, "alice", "bob")).All(t => t == "online shared offline")));
    }

    [Fact]
    public async Task one_hub_connection_carries_two_documents_and_resyncs_both_after_a_reconnect()
    {
        var (first, tokens) = await NewDocumentAsync("alice", "bob");
        var (second, _) = await NewDocumentAsync("alice", "bob");
        await using var node = NodePeers.Start();
        var one = await node.SendAsync("open", new { peer = "alice1", server = server.BaseUrl.ToString(), token = tokens["alice"], doc = first });
        var two = await node.SendAsync("open", new { peer = "alice2", server = server.BaseUrl.ToString(), token = tokens["alice"], doc = second, hubOf = "alice1" });
        Assert.Equal(one["connectionId"]!.GetValue<string>(), two["connectionId"]!.GetValue<string>());
        await OpenAsync(node, "bob1", tokens["bob"], first);
        await OpenAsync(node, "bob2", tokens["bob"], second);

        await node.SendAsync("insert", new { peer = "alice1", index = 0, text = "first" });
        await node.SendAsync("insert", new { peer = "alice2", index = 0, text = "second" });
        await node.SendAsync("flush", new { peer = "alice1" });
        await node.SendAsync("flush", new { peer = "alice2" });
        Assert.True(await Eventually.HoldsAsync(async () => await node.TextAsync("bob1") == "first" && await node.TextAsync("bob2") == "second"));

        // The shared connection drops: both documents keep their edits and resync when it is back.
        await node.SendAsync("disconnect", new { peer = "alice1" });
        await node.SendAsync("insert", new { peer = "alice1", index = 5, text = " offline" });
        await node.SendAsync("insert", new { peer = "alice2", index = 6, text = " offline" });
        await node.SendAsync("connect", new { peer = "alice1" });
        await node.SendAsync("flush", new { peer = "alice1" });
        await node.SendAsync("flush", new { peer = "alice2" });
        Assert.True(await Eventually.HoldsAsync(async () =>
            await node.TextAsync("bob1") == "first offline" && await node.TextAsync("bob2") == "second offline"));
    }

    [Fact]
    public async Task awareness_of_a_node_peer_reaches_the_other_and_is_removed_when_it_leaves()
    {
        var (documentId, tokens) = await NewDocumentAsync("alice", "bob");
        await using var node = NodePeers.Start();
        await OpenAsync(node, "alice", tokens["alice"], documentId);
        await OpenAsync(node, "bob", tokens["bob"], documentId);

        await node.SendAsync("awareness", new { peer = "alice", state = new { user = new { name = "alice" } } });
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.ToJsonString().Contains("\"alice\"", StringComparison.Ordinal)));

        await node.SendAsync("disconnect", new { peer = "alice" });
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.AsArray().Count == 0));

        // Back again: bob must see alice at once, not after her next 15-second renewal.
        await node.SendAsync("connect", new { peer = "alice" });
        await node.SendAsync("synced", new { peer = "alice" });
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.ToJsonString().Contains("\"alice\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5)));
    }
}
