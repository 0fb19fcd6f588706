using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;

namespace Collab.Client.Tests;

/// <summary>
/// Stock y-websocket <c>WebsocketProvider</c>s (tests/js, y-websocket 3.1.0) on <c>/ws/{document}</c>, editing one
/// document with .NET SignalR clients on the real server.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class YWebsocketTests(CollabServer server)
{
    private string SocketUrl => new UriBuilder(server.BaseUrl) { Scheme = "ws", Path = "/ws" }.Uri.ToString().TrimEnd('/');

    private static NodePeers StartPeers() => NodePeers.StartScript("tests", "js", "ywebsocket-peer.mjs");

    private async Task<(string DocumentId, string OwnerToken)> NewDocumentAsync(string owner, params (string User, string Role)[] grants)
    {
        string ownerToken = await server.SignInAsync(owner);
        string documentId = await server.CreateDocumentAsync(ownerToken, "y-websocket test");
        foreach (var (user, role) in grants)
        {
            await server.SignInAsync(user);
            await server.GrantAsync(ownerToken, documentId, user, role);
        }

        return (documentId, ownerToken);
    }

    /// <summary>The branch's durable content as the server stores it (REST), as text.</summary>
    private async Task<string> StoredTextAsync(string token, string documentId, string branch = "main")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/documents/{documentId}/content?branch={branch}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var doc = new YDoc();
        doc.ApplyUpdate(json.RootElement.GetProperty("update").GetBytesFromBase64());
        return doc.GetText("content").ToString();
    }

    private static async Task<string> NodeTextAsync(NodePeers node, string peer) =>
        (await node.SendAsync("text", new { peer }))["text"]!.GetValue<string>();

    private static async Task<JsonObject> StatusAsync(NodePeers node, string peer) => await node.SendAsync("status", new { peer });

    [Fact]
    public async Task a_stock_websocket_provider_and_a_dotnet_client_edit_one_document_and_see_each_others_presence()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("bob", "editor"));
        await using var node = StartPeers();
        await node.SendAsync("open", new { peer = "bob", url = SocketUrl, doc = documentId, @params = new { token = await server.SignInAsync("bob") } });
        await node.SendAsync("awareness", new { peer = "bob", state = new { user = new { name = "bob" } } });

        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        using var awareness = new Awareness(doc.ClientId);
        var connection = await client.OpenAsync(documentId, "main", doc, awareness);
        await connection.Synced;

        connection.Transact(() => doc.GetText("content").Insert(0, "Hello"));
        await connection.FlushAsync();
        Assert.True(await Eventually.HoldsAsync(async () => await NodeTextAsync(node, "bob") == "Hello"));

        await node.SendAsync("insert", new { peer = "bob", index = 5, text = ", world" });
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(connection.Read(() => doc.GetText("content").ToString()) == "Hello, world")));
        // Stored durably, not only relayed.
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "Hello, world"));

        // Presence both ways: the .NET client's state reaches the provider, the provider's reaches the .NET client.
        awareness.SetLocalState(JsonDocument.Parse("""{"user":{"name":"alice"}}""").RootElement.Clone());
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.ToJsonString().Contains("\"alice\"", StringComparison.Ordinal)));
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(
            awareness.States.Values.Any(s => s.ToString().Contains("\"bob\"", StringComparison.Ordinal)))));

        // When the provider goes away, its presence goes with it.
        await node.SendAsync("disconnect", new { peer = "bob" });
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(
            !awareness.States.Values.Any(s => s.ToString().Contains("\"bob\"", StringComparison.Ordinal)))));
    }

    [Fact]
    public async Task two_websocket_providers_on_a_branch_converge_and_the_branch_is_chosen_by_query_parameter()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("bob", "editor"));
        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        var main = await client.OpenAsync(documentId, "main", doc);
        await main.Synced;
        main.Transact(() => doc.GetText("content").Insert(0, "base"));
        await main.FlushAsync();
        await client.ForkAsync(server.Http, documentId, "draft");

        await using var node = StartPeers();
        string bobToken = await server.SignInAsync("bob");
        await node.SendAsync("open", new { peer = "a", url = SocketUrl, doc = documentId, @params = new { token = bobToken, branch = "draft" } });
        await node.SendAsync("open", new { peer = "b", url = SocketUrl, doc = documentId, @params = new { token = bobToken, branch = "draft" } });
        Assert.Equal("base", await NodeTextAsync(node, "a"));
        await node.SendAsync("insert", new { peer = "a", index = 4, text = " A" });
        await node.SendAsync("insert", new { peer = "b", index = 0, text = "B " });
        Assert.True(await Eventually.HoldsAsync(async () =>
            await NodeTextAsync(node, "a") == "B base A" && await NodeTextAsync(node, "b") == "B base A"));
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId, "draft") == "B base A"));
        // main is untouched.
        Assert.Equal("base", await StoredTextAsync(ownerToken, documentId));
    }

    [Fact]
    public async Task a_viewer_gets_permission_denied_for_writes_stays_connected_and_receives_updates()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("victor", "viewer"));
        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        var connection = await client.OpenAsync(documentId, "main", doc);
        await connection.Synced;
        connection.Transact(() => doc.GetText("content").Insert(0, "owned"));
        await connection.FlushAsync();

        await using var node = StartPeers();
        await node.SendAsync("open", new { peer = "victor", url = SocketUrl, doc = documentId, @params = new { token = await server.SignInAsync("victor") } });
        Assert.Equal("owned", await NodeTextAsync(node, "victor"));

        await node.SendAsync("insert", new { peer = "victor", index = 0, text = "x" });
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "victor"))["denied"]!.AsArray().Count > 0));
        string reason = (await StatusAsync(node, "victor"))["denied"]![0]!.GetValue<string>();
        Assert.StartsWith("forbidden:", reason, StringComparison.Ordinal);

        // Still connected, and still receiving: the owner's next edit arrives.
        connection.Transact(() => doc.GetText("content").Insert(5, "!"));
        await connection.FlushAsync();
        Assert.True(await Eventually.HoldsAsync(async () => (await NodeTextAsync(node, "victor")).EndsWith("owned!", StringComparison.Ordinal)));
        var status = await StatusAsync(node, "victor");
        Assert.True(status["connected"]!.GetValue<bool>());
        Assert.Empty(status["closes"]!.AsArray());
        Assert.Equal("owned!", await StoredTextAsync(ownerToken, documentId));
        Assert.Equal("owned!", connection.Read(() => doc.GetText("content").ToString()));
    }

    [Fact]
    public async Task a_revoked_readers_socket_is_closed_at_once_and_receives_nothing_after()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("victor", "viewer"));
        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        var connection = await client.OpenAsync(documentId, "main", doc);
        await connection.Synced;
        connection.Transact(() => doc.GetText("content").Insert(0, "before"));
        await connection.FlushAsync();

        await using var node = StartPeers();
        await node.SendAsync("open", new { peer = "victor", url = SocketUrl, doc = documentId, @params = new { token = await server.SignInAsync("victor") } });
        Assert.Equal("before", await NodeTextAsync(node, "victor"));

        // The owner revokes: the socket is closed with the protocol's forbidden code without waiting for a frame of it.
        using (var request = new HttpRequestMessage(HttpMethod.Delete, $"api/documents/{documentId}/permissions/victor"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ownerToken);
            using var response = await server.Http.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }
        // Written right after the revocation was answered: it must not reach the revoked socket.
        connection.Transact(() => doc.GetText("content").Insert(6, " after"));
        await connection.FlushAsync();
        Assert.Equal("before after", await StoredTextAsync(ownerToken, documentId));

        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "victor"))["final"] is JsonObject));
        var status = await StatusAsync(node, "victor");
        Assert.Equal(4403, status["final"]!["code"]!.GetValue<int>());
        Assert.Equal("before", await NodeTextAsync(node, "victor"));
    }

    [Fact]
    public async Task a_wrong_or_missing_token_is_refused_with_permission_denied_and_a_final_close()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice");
        await using var node = StartPeers();
        await node.SendAsync("open", new { peer = "mallory", url = SocketUrl, doc = documentId, @params = new { token = ownerToken + "x" }, waitSynced = false });
        await node.SendAsync("open", new { peer = "anonymous", url = SocketUrl, doc = documentId, waitSynced = false });
        await node.SendAsync("open", new { peer = "stranger", url = SocketUrl, doc = documentId, @params = new { token = await server.SignInAsync("stranger") }, waitSynced = false });
        foreach (var (peer, code, reason) in new[] { ("mallory", 4401, "unauthorized:"), ("anonymous", 4401, "unauthorized:"), ("stranger", 4403, "forbidden:") })
        {
            Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, peer))["final"] is JsonObject), peer);
            var status = await StatusAsync(node, peer);
            Assert.Equal(code, status["final"]!["code"]!.GetValue<int>());
            Assert.StartsWith(reason, status["denied"]![0]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.False(status["synced"]!.GetValue<bool>());
        }
        Assert.Equal("", await StoredTextAsync(ownerToken, documentId));
    }

    [Fact]
    public async Task a_malformed_frame_closes_that_socket_with_policy_violation_and_changes_nothing()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("bob", "editor"));
        string bobToken = await server.SignInAsync("bob");
        await using var node = StartPeers();
        await node.SendAsync("open", new { peer = "bob", url = SocketUrl, doc = documentId, @params = new { token = bobToken } });
        await node.SendAsync("insert", new { peer = "bob", index = 0, text = "kept" });
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "kept"));

        string url = $"{SocketUrl}/{documentId}?token={bobToken}";
        // An update whose bytes are not a Yjs update, an unknown message type, and a truncated sync message.
        var frames = new[]
        {
            new byte[] { 0, 2, 5, 1, 2, 3, 4, 5 },
            new byte[] { 9 },
            new byte[] { 0, 2, 200 },
        };
        foreach (var frame in frames)
        {
            var raw = await node.SendAsync("raw", new { url, frames = new[] { Convert.ToBase64String(frame) } });
            Assert.Equal(1008, raw["code"]!.GetValue<int>());
            Assert.StartsWith("malformed:", raw["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal("kept", await StoredTextAsync(ownerToken, documentId));
        // The other socket on the branch was not disturbed, and still edits.
        var status = await StatusAsync(node, "bob");
        Assert.True(status["connected"]!.GetValue<bool>());
        Assert.Empty(status["closes"]!.AsArray());
        await node.SendAsync("insert", new { peer = "bob", index = 4, text = "!" });
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "kept!"));
    }

    [Fact]
    public async Task a_bare_socket_gets_the_servers_sync_step_1_and_its_sync_step_2()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice");
        await using var node = StartPeers();
        // A SyncStep1 with an empty state vector: the answer is a SyncStep2 (the whole, empty document).
        var raw = await node.SendAsync("raw", new { url = $"{SocketUrl}/{documentId}?token={ownerToken}", frames = new[] { Convert.ToBase64String(YWebsocketFrame(SyncMessage.EncodeSyncStep1(new byte[] { 0 }))) } });
        var received = raw["received"]!.AsArray().Select(f => Convert.FromBase64String(f!.GetValue<string>())).ToList();
        Assert.Equal(ProviderMessageType.Sync, ProviderMessage.Read(received[0]).Type);
        Assert.Equal(SyncMessageType.SyncStep1, ProviderMessage.Read(received[0]).ReadSync().Type);
        Assert.Contains(received.Skip(1), f => ProviderMessage.Read(f).Type == ProviderMessageType.Sync && ProviderMessage.Read(f).ReadSync().Type == SyncMessageType.SyncStep2);
    }

    private static byte[] YWebsocketFrame(byte[] syncMessage) => [(byte)ProviderMessageType.Sync, .. syncMessage];
}
