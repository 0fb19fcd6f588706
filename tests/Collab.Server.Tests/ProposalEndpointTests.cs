using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

public sealed class ProposalEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    private static BranchRef Ref(string doc, string branch) => new(new DocumentId(doc), new BranchName(branch));

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string user)
    {
        using var client = factory.ClientFor(user);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await client.SendAsync(request);
    }

    private Task<HttpResponseMessage> PostAsync(string path, object? body, string user) => SendAsync(HttpMethod.Post, path, body, user);

    private async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> GetAsync(string path, string user = "alice")
    {
        using var client = factory.ClientFor(user);
        return await JsonAsync(await client.GetAsync(path), HttpStatusCode.OK);
    }

    private async Task<long> HeadAsync(string doc, string branch) => (await Store.GetHeadAsync(Ref(doc, branch))).Seq.Value;

    private static Task Replace(TestPeer peer, string word) => peer.EditAsync(t =>
    {
        t.Delete(4, 3);
        t.Insert(4, word);
    });

    [Fact]
    public async Task the_full_review_flow_into_a_protected_main_over_rest_and_the_hub()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("vic", "viewer"));
        await using var listener = factory.HubFor("vic");
        var notes = new ConcurrentQueue<JsonElement>();
        listener.On<string, string, byte[]>("Sync", (_, _, _) => { });
        listener.On<string, string>("BranchEvent", (d, json) =>
        {
            if (d == doc) notes.Enqueue(JsonDocument.Parse(json).RootElement.Clone());
        });
        await listener.StartAsync();
        await listener.InvokeAsync<JoinResult>("Join", doc, "main");

        // Fork, then edit both sides of the same word.
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "The cat sat.");
        await JsonAsync(await PostAsync($"/api/documents/{doc}/branches", new { name = "erin/cow", from = new { branch = "main" } }, "erin"), HttpStatusCode.Created);
        await using var erin = TestPeer.Create(factory.HubFor("erin"), doc, clientId: 2, branch: "erin/cow");
        await erin.JoinAsync();
        await erin.WaitForTextAsync("The cat sat.");
        await Replace(erin, "cow");
        await Replace(alice, "dog");

        // Protect main: the hub refuses alice's edit with the rule's code, and a direct merge is refused.
        var protection = await JsonAsync(await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/branches/main/protection", null, "alice"), HttpStatusCode.OK);
        Assert.Equal("main", protection.GetProperty("branch").GetString());
        Assert.True((await GetAsync($"/api/documents/{doc}/branches/main", "vic")).GetProperty("protected").GetBoolean());
        var head = await HeadAsync(doc, "main");
        var refused = await Assert.ThrowsAsync<HubException>(() => alice.InsertAsync(0, "Finally: "));
        Assert.Contains("HubException: branch_protected: Branch 'main' is protected", refused.Message, StringComparison.Ordinal);
        var direct = await PostAsync($"/api/documents/{doc}/merges", new { source = "erin/cow", target = "main", dryRun = false }, "alice");
        var problem = await JsonAsync(direct, HttpStatusCode.Conflict);
        Assert.Equal("branch_protected", problem.GetProperty("title").GetString());
        Assert.Contains("merge an approved proposal", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync(doc, "main"));

        // Open: the preview shows the conflict.
        var openedResponse = await PostAsync($"/api/documents/{doc}/proposals", new { source = "erin/cow", target = "main", title = "Cow", description = "not a cat" }, "erin");
        var opened = await JsonAsync(openedResponse, HttpStatusCode.Created);
        var id = opened.GetProperty("id").GetString()!;
        Assert.Equal($"p-main-{head + 1}", id);
        Assert.Equal($"/api/documents/{doc}/proposals/{id}", openedResponse.Headers.Location?.ToString());
        var conflict = Assert.Single(opened.GetProperty("preview").GetProperty("conflicts").EnumerateArray().ToList());
        Assert.Equal(("cat", "dog", "cow"), (conflict.GetProperty("base").GetString(), conflict.GetProperty("ours").GetString(), conflict.GetProperty("theirs").GetString()));
        Assert.Equal(1, opened.GetProperty("summary").GetProperty("conflicts").GetInt32());

        var changes = await JsonAsync(await PostAsync($"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "request-changes", comment = "dog?" }, "alice"), HttpStatusCode.OK);
        Assert.Equal("changes-requested", changes.GetProperty("review").GetString());
        var early = await JsonAsync(await PostAsync($"/api/documents/{doc}/proposals/{id}/merge", new { }, "alice"), HttpStatusCode.Conflict);
        Assert.Equal("branch_protected", early.GetProperty("title").GetString());
        var approved = await JsonAsync(await PostAsync($"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "approve" }, "alice"), HttpStatusCode.OK);
        Assert.Equal("approved", approved.GetProperty("review").GetString());

        var merged = await JsonAsync(await PostAsync($"/api/documents/{doc}/proposals/{id}/merge", new { message = "cow wins" }, "alice"), HttpStatusCode.OK);
        Assert.Equal("merged", merged.GetProperty("state").GetString());
        var mergeId = merged.GetProperty("mergeId").GetString()!;
        var record = await GetAsync($"/api/documents/{doc}/merges/{mergeId}", "vic");
        Assert.Equal(id, record.GetProperty("properties").GetProperty("proposal").GetString());
        // alice's client receives the merge as an ordinary update (her refused edit stays local to her).
        await alice.WaitForTextAsync(t => t.Contains("cow", StringComparison.Ordinal));
        Assert.Equal("merged", (await GetAsync($"/api/documents/{doc}/proposals?state=merged", "vic")).EnumerateArray().Single().GetProperty("state").GetString());

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (notes.Count(n => n.GetProperty("type").GetString() == "proposal-changed") < 4 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Contains(notes, n => n.GetProperty("type").GetString() == "branch-protected" && n.GetProperty("branch").GetString() == "main");
        Assert.Equal(["opened", "changes-requested", "approved", "merged"], notes.Where(n => n.GetProperty("type").GetString() == "proposal-changed").Select(n => n.GetProperty("change").GetString()));
    }

    [Fact]
    public async Task viewer_and_editor_refusals_change_nothing()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("vic", "viewer"), ("ada", "auditor"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "base");
        var sideHead = await HeadAsync(doc, "main"); // the fork position: the directory events and "base"
        await JsonAsync(await PostAsync($"/api/documents/{doc}/branches", new { name = "side", from = new { branch = "main" } }, "erin"), HttpStatusCode.Created);
        var opened = await JsonAsync(await PostAsync($"/api/documents/{doc}/proposals", new { source = "side", target = "main", title = "Side" }, "erin"), HttpStatusCode.Created);
        var id = opened.GetProperty("id").GetString();
        var head = await HeadAsync(doc, "main");

        async Task Refused(HttpStatusCode status, HttpMethod method, string path, object? body, string user)
        {
            var response = await SendAsync(method, path, body, user);
            Assert.True(response.StatusCode == status, $"{method} {path} as {user}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(head, await HeadAsync(doc, "main"));
            Assert.Equal(sideHead, await HeadAsync(doc, "side"));
        }

        foreach (var user in new[] { "vic", "ada" })
        {
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals", new { source = "side", target = "main", title = "x" }, user);
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "approve" }, user);
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/merge", new { }, user);
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/close", new { }, user);
        }
        foreach (var user in new[] { "erin", "vic", "ada" })
        {
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Put, $"/api/documents/{doc}/branches/main/protection", null, user);
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Delete, $"/api/documents/{doc}/branches/main/protection", null, user);
            await Refused(HttpStatusCode.Forbidden, HttpMethod.Put, $"/api/documents/{doc}/settings", new { editorsMayMerge = true }, user);
        }
        await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "approve" }, "erin"); // her own
        await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/merge", new { }, "erin");
        await Refused(HttpStatusCode.BadRequest, HttpMethod.Post, $"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "lgtm" }, "alice");
        await Refused(HttpStatusCode.BadRequest, HttpMethod.Get, $"/api/documents/{doc}/proposals?state=pending", null, "vic");
        await Refused(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/documents/{doc}/proposals/p-main-99", null, "vic");
        await Refused(HttpStatusCode.NotFound, HttpMethod.Put, $"/api/documents/{doc}/branches/nope/protection", null, "alice");
        await Refused(HttpStatusCode.NotFound, HttpMethod.Put, $"/api/documents/{doc}/branches/main/protect", null, "alice");
        await Refused(HttpStatusCode.Forbidden, HttpMethod.Post, $"/api/documents/{doc}/proposals", new { source = "side", target = "main", title = "x" }, "stranger");

        Assert.Equal("open", (await GetAsync($"/api/documents/{doc}/proposals/{id}", "vic")).GetProperty("state").GetString());
        Assert.False((await GetAsync($"/api/documents/{doc}/settings", "vic")).GetProperty("editorsMayMerge").GetBoolean());
        Assert.Empty((await GetAsync($"/api/documents/{doc}/protected-branches", "vic")).EnumerateArray());

        // With the setting, editors merge proposals into unprotected branches; the author closes hers.
        await JsonAsync(await SendAsync(HttpMethod.Put, $"/api/documents/{doc}/settings", new { editorsMayMerge = true }, "alice"), HttpStatusCode.OK);
        var closed = await JsonAsync(await PostAsync($"/api/documents/{doc}/proposals/{id}/close", new { comment = "later" }, "erin"), HttpStatusCode.OK);
        Assert.Equal("closed", closed.GetProperty("state").GetString());
    }
}

/// <summary>Protection and proposals on the real server with LiteDB survive a restart.</summary>
public sealed class ProposalRestartTests : IAsyncLifetime
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

    private HttpClient Http(string user)
    {
        var http = new HttpClient { BaseAddress = _host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _host.Token(user));
        return http;
    }

    [Fact]
    public async Task protection_and_proposals_are_rebuilt_from_the_log_after_a_restart()
    {
        var doc = await _host.CreateDocumentAsync("alice", ("erin", "editor"));
        await using (var alice = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 1))
        {
            await alice.JoinAsync();
            await alice.InsertAsync(0, "base");
        }
        using (var http = Http("alice"))
        {
            (await http.PostAsJsonAsync($"/api/documents/{doc}/branches", new { name = "side", from = new { branch = "main" } })).EnsureSuccessStatusCode();
            (await http.PutAsync($"/api/documents/{doc}/branches/main/protection", null)).EnsureSuccessStatusCode();
        }
        string id;
        using (var http = Http("erin"))
        {
            var opened = await http.PostAsJsonAsync($"/api/documents/{doc}/proposals", new { source = "side", target = "main", title = "Side" });
            opened.EnsureSuccessStatusCode();
            id = (await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }
        using (var http = Http("alice"))
        {
            (await http.PostAsJsonAsync($"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "approve" })).EnsureSuccessStatusCode();
        }

        await _host.StopAsync();
        _host = new KestrelHost(_folder, inMemory: false);
        await _host.StartAsync();

        using (var http = Http("alice"))
        {
            Assert.True((await http.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/branches/main")).GetProperty("protected").GetBoolean());
            var proposal = await http.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/proposals/{id}");
            Assert.Equal(("open", "approved"), (proposal.GetProperty("state").GetString(), proposal.GetProperty("review").GetString()));
        }
        await using (var alice = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 3))
        {
            await alice.JoinAsync();
            var ex = await Assert.ThrowsAsync<HubException>(() => alice.InsertAsync(0, "late "));
            Assert.Contains("branch_protected", ex.Message, StringComparison.Ordinal);
        }
    }
}
