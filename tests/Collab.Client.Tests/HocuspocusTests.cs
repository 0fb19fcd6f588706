using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Protocol;

namespace Collab.Client.Tests;

/// <summary>
/// Stock @hocuspocus/provider 4.8.0 peers (tests/js) on <c>/hocuspocus</c>, editing documents with y-websocket
/// providers and .NET SignalR clients on the real server.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class HocuspocusTests(CollabServer server)
{
    private string HocuspocusUrl => new UriBuilder(server.BaseUrl) { Scheme = "ws", Path = "/hocuspocus" }.Uri.ToString().TrimEnd('/');

    private string YWebsocketUrl => new UriBuilder(server.BaseUrl) { Scheme = "ws", Path = "/ws" }.Uri.ToString().TrimEnd('/');

    private static NodePeers StartPeers() => NodePeers.StartScript("tests", "js", "hocuspocus-peer.mjs");

    private async Task<(string DocumentId, string OwnerToken)> NewDocumentAsync(string owner, params (string User, string Role)[] grants)
    {
        string ownerToken = await server.SignInAsync(owner);
        string documentId = await server.CreateDocumentAsync(ownerToken, "hocuspocus test");
        foreach (var (user, role) in grants)
        {
            await server.SignInAsync(user);
            await server.GrantAsync(ownerToken, documentId, user, role);
        }

        return (documentId, ownerToken);
    }

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

    private static async Task<JsonObject> StatusAsync(NodePeers node, string peer) => await node.SendAsync("status", new { peer });

    [Fact]
    public async Task hocuspocus_y_websocket_and_signalr_clients_edit_one_document_together()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("bob", "editor"), ("carol", "editor"));
        await using var hocuspocus = StartPeers();
        await hocuspocus.SendAsync("socket", new { socket = "s", url = HocuspocusUrl });
        await hocuspocus.SendAsync("open", new { peer = "bob", socket = "s", name = documentId, token = await server.SignInAsync("bob") });
        await hocuspocus.SendAsync("awareness", new { peer = "bob", state = new { user = new { name = "bob" } } });
        await using var yws = NodePeers.StartScript("tests", "js", "ywebsocket-peer.mjs");
        await yws.SendAsync("open", new { peer = "carol", url = YWebsocketUrl, doc = documentId, @params = new { token = await server.SignInAsync("carol") } });

        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        using var awareness = new Awareness(doc.ClientId);
        var connection = await client.OpenAsync(documentId, "main", doc, awareness);
        await connection.Synced;

        await hocuspocus.SendAsync("insert", new { peer = "bob", index = 0, text = "B" });
        // The sync-status answer comes after the update is stored: when the provider has no unsynced change left, the
        // log has it.
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(hocuspocus, "bob"))["unsynced"]!.GetValue<int>() == 0));
        Assert.Equal("B", await StoredTextAsync(ownerToken, documentId));
        await yws.SendAsync("insert", new { peer = "carol", index = 1, text = "C" });
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "BC"));
        connection.Transact(() => doc.GetText("content").Insert(0, "A"));
        await connection.FlushAsync();
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await StatusAsync(hocuspocus, "bob"))["text"]!.GetValue<string>() == "ABC"
            && (await yws.SendAsync("text", new { peer = "carol" }))["text"]!.GetValue<string>() == "ABC"
            && connection.Read(() => doc.GetText("content").ToString()) == "ABC"));

        awareness.SetLocalState(JsonDocument.Parse("""{"user":{"name":"alice"}}""").RootElement.Clone());
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await hocuspocus.SendAsync("peers", new { peer = "bob" }))["states"]!.ToJsonString().Contains("\"alice\"", StringComparison.Ordinal)));
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(
            awareness.States.Values.Any(s => s.ToString().Contains("\"bob\"", StringComparison.Ordinal)))));
    }

    [Fact]
    public async Task many_documents_and_branches_share_one_socket_and_stateless_messages_reach_the_other_providers()
    {
        var (first, ownerToken) = await NewDocumentAsync("alice");
        string second = await server.CreateDocumentAsync(ownerToken, "hocuspocus second");
        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ForkAsync(server.Http, first, "draft");

        await using var node = StartPeers();
        await node.SendAsync("socket", new { socket = "s", url = HocuspocusUrl });
        await node.SendAsync("open", new { peer = "one", socket = "s", name = first, token = ownerToken });
        await node.SendAsync("open", new { peer = "draft", socket = "s", name = first + "@draft", token = ownerToken });
        await node.SendAsync("open", new { peer = "two", socket = "s", name = second, token = ownerToken });
        await node.SendAsync("socket", new { socket = "t", url = HocuspocusUrl });
        await node.SendAsync("open", new { peer = "draft2", socket = "t", name = first + "@draft", token = ownerToken });

        await node.SendAsync("insert", new { peer = "one", index = 0, text = "main" });
        await node.SendAsync("insert", new { peer = "draft", index = 0, text = "draft" });
        await node.SendAsync("insert", new { peer = "two", index = 0, text = "second" });
        Assert.True(await Eventually.HoldsAsync(async () =>
            await StoredTextAsync(ownerToken, first) == "main" && await StoredTextAsync(ownerToken, first, "draft") == "draft" && await StoredTextAsync(ownerToken, second) == "second"));
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "draft2"))["text"]!.GetValue<string>() == "draft"));

        await node.SendAsync("stateless", new { peer = "draft", payload = "{\"hello\":1}" });
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "draft2"))["stateless"]!.AsArray().Count == 1));
        Assert.Equal("{\"hello\":1}", (await StatusAsync(node, "draft2"))["stateless"]![0]!.GetValue<string>());
        Assert.Empty((await StatusAsync(node, "one"))["stateless"]!.AsArray());
    }

    [Fact]
    public async Task a_viewer_is_authenticated_readonly_its_changes_are_not_applied_and_a_wrong_token_is_denied()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("victor", "viewer"));
        await using var node = StartPeers();
        await node.SendAsync("socket", new { socket = "s", url = HocuspocusUrl });
        await node.SendAsync("open", new { peer = "alice", socket = "s", name = documentId, token = ownerToken });
        await node.SendAsync("insert", new { peer = "alice", index = 0, text = "owned" });
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "alice"))["unsynced"]!.GetValue<int>() == 0));

        await node.SendAsync("socket", new { socket = "v", url = HocuspocusUrl });
        await node.SendAsync("open", new { peer = "victor", socket = "v", name = documentId, token = await server.SignInAsync("victor") });
        var victor = await StatusAsync(node, "victor");
        Assert.Equal("readonly", victor["scope"]!.GetValue<string>());
        Assert.Equal("owned", victor["text"]!.GetValue<string>());
        await node.SendAsync("insert", new { peer = "victor", index = 0, text = "x" });
        // Not applied: the change stays unsynced on the provider, the log does not have it, and reading goes on.
        await node.SendAsync("insert", new { peer = "alice", index = 5, text = "!" });
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "victor"))["text"]!.GetValue<string>().EndsWith("owned!", StringComparison.Ordinal)));
        Assert.True((await StatusAsync(node, "victor"))["unsynced"]!.GetValue<int>() > 0);
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "owned!"));

        await node.SendAsync("socket", new { socket = "m", url = HocuspocusUrl });
        await node.SendAsync("open", new { peer = "mallory", socket = "m", name = documentId, token = ownerToken + "x", waitSynced = false });
        Assert.True(await Eventually.HoldsAsync(async () => (await StatusAsync(node, "mallory"))["denied"]!.AsArray().Count > 0));
        Assert.StartsWith("unauthorized:", (await StatusAsync(node, "mallory"))["denied"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False((await StatusAsync(node, "mallory"))["authenticated"]!.GetValue<bool>());
        Assert.Equal("owned!", await StoredTextAsync(ownerToken, documentId));
    }

    [Fact]
    public async Task a_malformed_frame_closes_that_socket_with_policy_violation_and_changes_nothing()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice");
        await using var node = StartPeers();
        await node.SendAsync("socket", new { socket = "s", url = HocuspocusUrl });
        await node.SendAsync("open", new { peer = "alice", socket = "s", name = documentId, token = ownerToken });
        await node.SendAsync("insert", new { peer = "alice", index = 0, text = "kept" });
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "kept"));

        // The token message opens the document; then an update whose bytes are not a Yjs update.
        var token = new Lib0Writer();
        token.WriteVarString(documentId);
        token.WriteVarUInt(2);
        token.WriteVarUInt(0);
        token.WriteVarString(ownerToken);
        token.WriteVarString("4.8.0");
        var garbage = new Lib0Writer();
        garbage.WriteVarString(documentId);
        garbage.WriteVarUInt(0);
        garbage.WriteBytes([2, 5, 1, 2, 3, 4, 5]);
        var raw = await node.SendAsync("raw", new { url = HocuspocusUrl, frames = new[] { Convert.ToBase64String(token.ToArray()), Convert.ToBase64String(garbage.ToArray()) } });
        Assert.Equal(1008, raw["code"]!.GetValue<int>());
        Assert.StartsWith("malformed:", raw["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal("kept", await StoredTextAsync(ownerToken, documentId));
        await node.SendAsync("insert", new { peer = "alice", index = 4, text = "!" });
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(ownerToken, documentId) == "kept!"));
        Assert.Empty((await StatusAsync(node, "alice"))["closes"]!.AsArray());
    }
}
