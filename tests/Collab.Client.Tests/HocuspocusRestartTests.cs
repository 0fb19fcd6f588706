using System.Net.Http.Headers;
using System.Text.Json;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;

namespace Collab.Client.Tests;

/// <summary>A stock Hocuspocus provider across a server restart; its own server so the others keep theirs.</summary>
public sealed class HocuspocusRestartTests : IAsyncLifetime
{
    private readonly CollabServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task after_a_restart_the_provider_reconnects_resyncs_and_its_unsynced_changes_reach_zero_only_when_stored()
    {
        string aliceToken = await _server.SignInAsync("alice");
        string documentId = await _server.CreateDocumentAsync(aliceToken, "hocuspocus restart test");
        string url = new UriBuilder(_server.BaseUrl) { Scheme = "ws", Path = "/hocuspocus" }.Uri.ToString().TrimEnd('/');

        await using var node = NodePeers.StartScript("tests", "js", "hocuspocus-peer.mjs");
        await node.SendAsync("socket", new { socket = "s", url });
        await node.SendAsync("open", new { peer = "alice", socket = "s", name = documentId, token = aliceToken });
        await node.SendAsync("insert", new { peer = "alice", index = 0, text = "before" });
        Assert.True(await Eventually.HoldsAsync(async () => (await node.SendAsync("status", new { peer = "alice" }))["unsynced"]!.GetValue<int>() == 0));
        Assert.Equal("before", await StoredTextAsync(aliceToken, documentId));

        await _server.RestartAsync(async () =>
        {
            await node.SendAsync("insert", new { peer = "alice", index = 6, text = " during" });
            await Task.Delay(300);
            // The server is down: this change cannot have been acknowledged.
            Assert.True((await node.SendAsync("status", new { peer = "alice" }))["unsynced"]!.GetValue<int>() > 0);
        });

        Assert.True(await Eventually.HoldsAsync(
            async () => (await node.SendAsync("status", new { peer = "alice" }))["unsynced"]!.GetValue<int>() == 0, TimeSpan.FromSeconds(40)));
        // Nothing unsynced left means stored.
        Assert.Equal("before during", await StoredTextAsync(aliceToken, documentId));
        var status = await node.SendAsync("status", new { peer = "alice" });
        Assert.True(status["synced"]!.GetValue<bool>());
        Assert.NotEmpty(status["closes"]!.AsArray());
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
