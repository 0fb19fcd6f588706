using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>Reverts and version restores on a protected branch are refused with <c>409 branch_protected</c> and write nothing.</summary>
public sealed class ProtectedPolicyEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    private async Task<long> HeadAsync(string doc) => (await Store.GetHeadAsync(new BranchRef(new DocumentId(doc), new BranchName("main")))).Seq.Value;

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string user = "alice")
    {
        using var client = factory.ClientFor(user);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task reverts_and_restores_on_a_protected_branch_are_refused_and_allowed_again_once_it_is_unprotected()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "The cat sat.");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/versions", new { name = "first", branch = "main" })).StatusCode);
        await alice.InsertAsync(12, " Then slept.");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/branches/main/protection", null)).StatusCode);
        var head = await HeadAsync(doc);

        var revert = await ProblemAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/reverts", new { branch = "main", fromSeq = head - 2 }));
        Assert.Equal("branch_protected", revert.GetProperty("title").GetString());
        Assert.Contains("revert there", revert.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var restore = await ProblemAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/versions/first/restore", new { branch = "main" }, "erin"));
        Assert.Equal("branch_protected", restore.GetProperty("title").GetString());
        Assert.Equal(head, await HeadAsync(doc));

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/documents/{doc}/branches/main/protection", null)).StatusCode);
        var restored = await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/versions/first/restore", new { branch = "main" }, "erin");
        Assert.True(restored.IsSuccessStatusCode, await restored.Content.ReadAsStringAsync());
        await alice.WaitForTextAsync("The cat sat.");
    }
}
