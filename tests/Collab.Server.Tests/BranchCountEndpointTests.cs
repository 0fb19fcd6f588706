using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Tests.Infrastructure;

namespace Collab.Server.Tests;

/// <summary><c>GET …/branches/{branch}</c> counts ahead/behind in events that change content, not in records.</summary>
public sealed class BranchCountEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string user = "alice")
    {
        using var client = factory.ClientFor(user);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await client.SendAsync(request);
    }

    private async Task<(long Ahead, long Behind)> CountsAsync(string doc, string branch)
    {
        using var client = factory.ClientFor("vic");
        var details = await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/branches/{branch}");
        return (details.GetProperty("ahead").GetInt64(), details.GetProperty("behind").GetInt64());
    }

    [Fact]
    public async Task two_edits_and_four_records_on_the_parent_make_a_branch_two_behind()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("vic", "viewer"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "one");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/branches", new { name = "f", from = new { branch = "main" } }, "erin")).StatusCode);
        await using var erin = TestPeer.Create(factory.HubFor("erin"), doc, clientId: 2, branch: "f");
        await erin.JoinAsync();
        await erin.WaitForTextAsync("one");

        // main: a settings record, an edit, a proposal and its review (records), an edit, protection of f and back.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/settings", new { editorsMayMerge = true })).StatusCode);
        await alice.InsertAsync(3, " two");
        var opened = await (await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/proposals", new { source = "f", target = "main", title = "F" }, "erin")).Content.ReadFromJsonAsync<JsonElement>();
        var id = opened.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "request-changes" })).StatusCode);
        await alice.InsertAsync(7, " three");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/branches/f/protection", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/documents/{doc}/branches/f/protection", null)).StatusCode);
        Assert.Equal((0L, 2L), await CountsAsync(doc, "f"));

        await erin.InsertAsync(3, "!");
        Assert.Equal((1L, 2L), await CountsAsync(doc, "f"));
    }
}
