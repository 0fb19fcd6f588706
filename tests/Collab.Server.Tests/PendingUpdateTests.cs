using System.Net.Http.Json;
using Collab.Crdt.Document;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Tests;

/// <summary>
/// Hostile updates with missing dependencies and malformed delete sets, through the hub of a real server on a loopback
/// port with the LiteDB store (issue 13, findings 1 and 5).
/// </summary>
public sealed class PendingUpdateTests : IAsyncLifetime
{
    private readonly string _folder = TestSettings.TempFolder();
    private KestrelHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = new KestrelHost(_folder, inMemory: false);
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<string> CreateDocumentAsync()
    {
        using var http = Http("alice");
        var id = "pending-" + Guid.NewGuid().ToString("N")[..8];
        (await http.PostAsJsonAsync("/api/documents", new { id, title = "Pending" })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"/api/documents/{id}/permissions/mallory", new { role = "editor" })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"/api/documents/{id}/permissions/carol", new { role = "viewer" })).EnsureSuccessStatusCode();
        return id;
    }

    private HttpClient Http(string user)
    {
        var http = new HttpClient { BaseAddress = _host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _host.Token(user));
        return http;
    }

    private async Task<string> RestContentAsync(string doc)
    {
        using var http = Http("alice");
        var content = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/documents/{doc}/content?branch=main");
        var ydoc = new YDoc();
        ydoc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
        Assert.False(ydoc.HasPending);
        return ydoc.GetText("text").ToString();
    }

    /// <summary>Joins a new peer and waits until its text is <paramref name="expected"/> (times out with the text it has).</summary>
    private async Task JoinerSeesAsync(string doc, uint clientId, string expected)
    {
        var joiner = TestPeer.Create(_host.Hub(_host.Token("carol")), doc, clientId);
        await using var _ = joiner;
        await joiner.JoinAsync();
        await joiner.WaitForTextAsync(expected);
        Assert.False(joiner.Doc.HasPending);
    }

    [Fact]
    public async Task findings_1_bytes_leave_new_joiners_and_a_restarted_server_with_the_honest_text()
    {
        var doc = await CreateDocumentAsync();
        var created = await _host.MainHeadAsync(doc); // the directory events of creation and the grants
        var alice = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 1001);
        var mallory = TestPeer.Create(_host.Hub(_host.Token("mallory")), doc, clientId: 666);
        await using var _ = alice;
        await using var __ = mallory;
        await alice.JoinAsync();
        await mallory.JoinAsync();
        Assert.Equal(created + 1, (await alice.InsertAsync(0, "honest text")).Seq);

        // The forged update: it waits (a struct of an unknown client) and is never acknowledged as integrated.
        var forged = mallory.SendUpdateAsync(Convert.FromHexString("0201ffffffff0f0084feffffff0f00017801e907000400feffffff0f00017900"), "forged");

        await JoinerSeesAsync(doc, 3, "honest text");
        Assert.Equal("honest text", await RestContentAsync(doc));
        Assert.False(forged.IsCompleted);

        // The shutdown writes a snapshot; the restarted server loads from it.
        await _host.StopAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => forged); // refused (branch unloaded) or cut off: never acked
        await _host.StartAsync();

        Assert.Equal("honest text", await RestContentAsync(doc));
        await JoinerSeesAsync(doc, 4, "honest text");
        await alice.ReconnectAsync(_host.Hub(_host.Token("alice")));
        Assert.Equal(created + 2, (await alice.InsertAsync(alice.Text.Length, "!")).Seq);
        await JoinerSeesAsync(doc, 5, "honest text!");
    }

    [Theory]
    [InlineData("000105010000")] // finding 5: a deleted range of length 0
    [InlineData("0001010203010101")] // ranges of client 1 out of order
    public async Task delete_sets_yjs_would_refuse_are_malformed_and_change_nothing(string hex)
    {
        var doc = await CreateDocumentAsync();
        var created = await _host.MainHeadAsync(doc);
        var alice = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 1);
        await using var _ = alice;
        await alice.JoinAsync();
        Assert.Equal(created + 1, (await alice.InsertAsync(0, "abcdef")).Seq);

        var update = Convert.FromHexString(hex);
        var error = await Assert.ThrowsAsync<HubException>(() => alice.SendUpdateAsync(update, "bad"));
        Assert.Matches("HubException: malformed:", error.Message);

        Assert.Equal("abcdef", await RestContentAsync(doc));
        Assert.Equal(created + 2, (await alice.InsertAsync(6, "g")).Seq); // nothing was stored for the refused update
    }
}
