using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>
/// Conflict ids are content-based: decisions taken from a preview are accepted with the merge after record-only events
/// and edits elsewhere on either branch, and refused (naming the id) after an edit of the conflict's region.
/// </summary>
public sealed class ConflictIdEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    private async Task<long> HeadAsync(string doc, string branch = "main") =>
        (await Store.GetHeadAsync(new BranchRef(new DocumentId(doc), new BranchName(branch)))).Seq.Value;

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string user)
    {
        using var client = factory.ClientFor(user);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await client.SendAsync(request);
    }

    private async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static Task Replace(TestPeer peer, string word) => peer.EditAsync(t =>
    {
        t.Delete(4, 3);
        t.Insert(4, word);
    });

    /// <summary>main "The cat sat." then dog on main (alice, still joined) and cow on "feature" (erin, still joined).</summary>
    private async Task<(TestPeer Alice, TestPeer Erin)> DogCowAsync(string doc)
    {
        var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "The cat sat.");
        await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/branches", new { name = "feature", from = new { branch = "main" } }, "erin"), HttpStatusCode.Created);
        var erin = TestPeer.Create(factory.HubFor("erin"), doc, clientId: 2, branch: "feature");
        await erin.JoinAsync();
        await erin.WaitForTextAsync("The cat sat.");
        await Replace(erin, "cow");
        await Replace(alice, "dog");
        return (alice, erin);
    }

    private async Task<string> PreviewIdAsync(string doc, string user = "alice")
    {
        var preview = await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/merges", new { source = "feature", target = "main", dryRun = true }, user), HttpStatusCode.OK);
        return Assert.Single(preview.GetProperty("conflicts").EnumerateArray()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task a_preview_then_records_and_edits_elsewhere_then_the_merge_with_its_decisions_is_accepted()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"));
        var (alice, erin) = await DogCowAsync(doc);
        await using var _ = alice;
        await using var __ = erin;
        var conflictId = await PreviewIdAsync(doc);

        // Record-only events on main, and typing away from the conflict on both branches.
        await JsonAsync(await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/settings", new { editorsMayMerge = true }, "alice"), HttpStatusCode.OK);
        await JsonAsync(await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/branches/feature/protection", null, "alice"), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/documents/{doc}/branches/feature/protection", null, "alice")).StatusCode);
        await alice.InsertAsync(12, " Then slept.");
        await erin.InsertAsync(0, "Once: ");

        var merged = await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/merges",
            new { source = "feature", target = "main", resolutions = new[] { new { conflictId, choice = "theirs" } } }, "alice"), HttpStatusCode.Created);
        Assert.Equal(conflictId, Assert.Single(merged.GetProperty("conflicts").EnumerateArray()).GetProperty("id").GetString());
        await alice.WaitForTextAsync("Once: The cow sat. Then slept.");
        var mergeId = merged.GetProperty("mergeId").GetString();
        using var client = factory.ClientFor("erin");
        var decided = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/merges/{mergeId}/conflicts")).EnumerateArray());
        Assert.Equal(("decided", "theirs"), (decided.GetProperty("state").GetString(), decided.GetProperty("decision").GetProperty("choice").GetString()));
    }

    [Fact]
    public async Task an_edit_of_the_conflicting_region_refuses_the_merge_naming_the_changed_id_and_writes_nothing()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"));
        var (alice, erin) = await DogCowAsync(doc);
        await using var _ = alice;
        await using var __ = erin;
        var conflictId = await PreviewIdAsync(doc);
        await erin.InsertAsync(7, "s"); // "cows"
        var head = await HeadAsync(doc);

        var problem = await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/merges",
            new { source = "feature", target = "main", resolutions = new[] { new { conflictId, choice = "theirs" } } }, "alice"), HttpStatusCode.Conflict);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"'{conflictId}' changed since the preview", detail, StringComparison.Ordinal);
        var now = await PreviewIdAsync(doc);
        Assert.NotEqual(conflictId, now);
        Assert.Contains(now, detail, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync(doc));
    }

    [Fact]
    public async Task a_proposal_merges_with_the_ids_it_showed_when_opened_after_its_reviews_were_recorded_on_the_target()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("olga", "owner"), ("erin", "editor"));
        var (alice, erin) = await DogCowAsync(doc);
        await using var _ = alice;
        await using var __ = erin;
        await JsonAsync(await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/branches/main/protection", null, "alice"), HttpStatusCode.OK);
        var opened = await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/proposals", new { source = "feature", target = "main", title = "Cow" }, "erin"), HttpStatusCode.Created);
        var id = opened.GetProperty("id").GetString();
        var conflictId = Assert.Single(opened.GetProperty("preview").GetProperty("conflicts").EnumerateArray()).GetProperty("id").GetString();
        await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "request-changes" }, "olga"), HttpStatusCode.OK);
        await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "approve" }, "olga"), HttpStatusCode.OK);

        var merged = await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/merge",
            new { resolutions = new[] { new { conflictId, choice = "theirs" } } }, "alice"), HttpStatusCode.OK);
        Assert.Equal("merged", merged.GetProperty("state").GetString());
        await alice.WaitForTextAsync("The cow sat.");
    }
}
