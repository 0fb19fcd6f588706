using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;
using Xunit.Abstractions;

namespace Collab.Client.Tests;

/// <summary>
/// A real server process, SIGKILLed while the stock <c>@hocuspocus/provider</c> types: every token that the provider
/// saw acknowledged (its unsynced changes back to 0) is in the content after a restart on the same data folder, and the
/// provider, reconnecting, brings the rest.
/// </summary>
public sealed class HocuspocusHardKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "collab-hocus-kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held: the temp folder is cleaned by the OS.
        }
    }

    [Fact]
    public async Task every_update_the_provider_saw_acknowledged_survives_a_sigkill_mid_typing()
    {
        Directory.CreateDirectory(_folder);
        using var http = new HttpClient();
        await using var first = await ServerProcess.StartAsync(_folder);
        Uri baseAddress = first.BaseAddress;
        string token = await CollabClient.SignInAsync(baseAddress, "alice", http);
        string documentId = await CreateDocumentAsync(http, baseAddress, token);
        string url = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/hocuspocus" }.Uri.ToString().TrimEnd('/');

        await using var node = NodePeers.StartScript("tests", "js", "hocuspocus-peer.mjs");
        await node.SendAsync("socket", new { socket = "s", url });
        await node.SendAsync("open", new { peer = "alice", socket = "s", name = documentId, token });
        await node.SendAsync("type", new { peer = "alice", prefix = "h" });

        // Enough acknowledged tokens that the kill lands mid-typing, then SIGKILL.
        Assert.True(await Eventually.HoldsAsync(async () => (await TypedAsync(node)).Acked.Length >= 40, TimeSpan.FromSeconds(60)));
        first.Kill();

        var (typed, acked) = await TypedAsync(node);
        await node.SendAsync("stopTyping", new { peer = "alice" });
        output.WriteLine($"killed after {acked.Length} acknowledged tokens ({typed.Length} typed)");
        Assert.NotEmpty(acked);

        // A new process on the same data folder and port: every acknowledged token is stored.
        await using var second = await ServerProcess.StartAsync(_folder, baseAddress.Port);
        string content = await StoredTextAsync(http, second.BaseAddress, token, documentId);
        Assert.All(acked, t => Assert.Contains(t, content, StringComparison.Ordinal));

        // The provider reconnects and resyncs: once nothing is unsynced, every token it typed is stored.
        Assert.True(await Eventually.HoldsAsync(
            async () => (await node.SendAsync("status", new { peer = "alice" }))["unsynced"]!.GetValue<int>() == 0, TimeSpan.FromSeconds(60)));
        string after = await StoredTextAsync(http, second.BaseAddress, token, documentId);
        Assert.All(typed, t => Assert.Contains(t, after, StringComparison.Ordinal));
        Assert.Equal(after, await node.TextAsync("alice"));
    }

    private static async Task<(string[] Typed, string[] Acked)> TypedAsync(NodePeers node)
    {
        JsonObject reply = await node.SendAsync("typed", new { peer = "alice" });
        return (
            reply["typed"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(),
            reply["acked"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray());
    }

    private static async Task<string> CreateDocumentAsync(HttpClient http, Uri baseAddress, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "api/documents")) { Content = JsonContent.Create(new { title = "hocuspocus kill test" }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"create document: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<string> StoredTextAsync(HttpClient http, Uri baseAddress, string token, string documentId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseAddress, $"api/documents/{documentId}/content"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var doc = new YDoc();
        doc.ApplyUpdate(json.RootElement.GetProperty("update").GetBytesFromBase64());
        return doc.GetText("content").ToString();
    }
}
