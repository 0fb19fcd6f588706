using System.Net.Http.Headers;
using System.Text.Json;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;

namespace Collab.Client.Tests;

/// <summary>A stock y-websocket provider across a server restart; its own server so the others keep theirs.</summary>
public sealed class YWebsocketRestartTests : IAsyncLifetime
{
    private readonly CollabServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task after_a_restart_the_provider_reconnects_resyncs_and_what_it_typed_while_the_server_was_down_is_stored()
    {
        string aliceToken = await _server.SignInAsync("alice");
        string bobToken = await _server.SignInAsync("bob");
        string documentId = await _server.CreateDocumentAsync(aliceToken, "y-websocket restart test");
        await _server.GrantAsync(aliceToken, documentId, "bob", "editor");
        string socketUrl = new UriBuilder(_server.BaseUrl) { Scheme = "ws", Path = "/ws" }.Uri.ToString().TrimEnd('/');

        await using var node = NodePeers.StartScript("tests", "js", "ywebsocket-peer.mjs");
        await node.SendAsync("open", new { peer = "bob", url = socketUrl, doc = documentId, @params = new { token = bobToken } });
        await node.SendAsync("insert", new { peer = "bob", index = 0, text = "before" });
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(aliceToken, documentId) == "before"));

        // Down: bob keeps typing into his provider; the server's "going away" close makes it reconnect.
        await _server.RestartAsync(async () =>
        {
            await node.SendAsync("insert", new { peer = "bob", index = 6, text = " during" });
            await Task.Delay(300);
        });

        // It reconnected and resynced: what it typed while the server was down reaches the log…
        Assert.True(await Eventually.HoldsAsync(async () => await StoredTextAsync(aliceToken, documentId) == "before during", TimeSpan.FromSeconds(40)));
        var status = await node.SendAsync("status", new { peer = "bob" });
        Assert.True(status["synced"]!.GetValue<bool>());
        Assert.Contains(status["closes"]!.AsArray(), c => c!["code"]!.GetValue<int>() is 1001 or 1006);

        // …and a .NET client's edits after the restart reach it.
        await using var alice = ClientFactory.Create(_server, aliceToken);
        await alice.ConnectAsync();
        var doc = new YDoc();
        var connection = await alice.OpenAsync(documentId, "main", doc);
        await connection.Synced;
        Assert.Equal("before during", connection.Read(() => doc.GetText("content").ToString()));
        connection.Transact(() => doc.GetText("content").Insert(0, "> "));
        await connection.FlushAsync();
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("text", new { peer = "bob" }))["text"]!.GetValue<string>() == "> before during"));
    }

    private async Task<string> StoredTextAsync(string token, string documentId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/documents/{documentId}/content");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _server.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var doc = new YDoc();
        doc.ApplyUpdate(json.RootElement.GetProperty("update").GetBytesFromBase64());
        return doc.GetText("content").ToString();
    }
}
