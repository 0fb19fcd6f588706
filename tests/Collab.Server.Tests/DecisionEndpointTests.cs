using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

public sealed class DecisionEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    private static BranchRef Ref(string doc, string branch) => new(new DocumentId(doc), new BranchName(branch));

    private async Task<long> HeadAsync(string doc, string branch = "main") => (await Store.GetHeadAsync(Ref(doc, branch))).Seq.Value;

    private async Task<HttpResponseMessage> PostAsync(string user, string path, object body)
    {
        using var client = factory.ClientFor(user);
        return await client.PostAsJsonAsync(path, body);
    }

    private async Task<JsonElement> GetAsync(string user, string path)
    {
        using var client = factory.ClientFor(user);
        return await client.GetFromJsonAsync<JsonElement>(path);
    }

    /// <summary>
    /// The spec's worked example over the hub: main types "The cat sat.", a fork changes cat to cow, main changes it to
    /// dog, and the fork is merged into main ("The dogcow sat."). <paramref name="watcher"/> is a live client on main.
    /// </summary>
    private async Task<(string MergeId, string ConflictId)> DogCowAsync(string doc, TestPeer watcher)
    {
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "The cat sat.");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("alice", $"/api/documents/{doc}/branches", new { name = "feature", from = new { branch = "main" } })).StatusCode);
        await using (var writer = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 2, branch: "feature"))
        {
            await writer.JoinAsync();
            await writer.WaitForTextAsync("The cat sat.");
            await writer.EditAsync(t => { t.Delete(4, 3); t.Insert(4, "cow"); });
        }
        await alice.EditAsync(t => { t.Delete(4, 3); t.Insert(4, "dog"); });

        var merge = await PostAsync("alice", $"/api/documents/{doc}/merges", new { source = "feature", target = "main", dryRun = false });
        Assert.Equal(HttpStatusCode.Created, merge.StatusCode);
        var body = await merge.Content.ReadFromJsonAsync<JsonElement>();
        await watcher.WaitForTextAsync("The dogcow sat.");
        var conflict = Assert.Single(body.GetProperty("conflicts").EnumerateArray());
        return (body.GetProperty("mergeId").GetString()!, conflict.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task decisions_given_with_the_merge_are_written_with_it_and_a_stale_conflict_id_writes_nothing()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "The cat sat.");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("alice", $"/api/documents/{doc}/branches", new { name = "feature", from = new { branch = "main" } })).StatusCode);
        await using (var writer = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 2, branch: "feature"))
        {
            await writer.JoinAsync();
            await writer.WaitForTextAsync("The cat sat.");
            await writer.EditAsync(t => { t.Delete(4, 3); t.Insert(4, "cow"); });
        }
        await alice.EditAsync(t => { t.Delete(4, 3); t.Insert(4, "dog"); });

        // A conflict id the merge does not find (e.g. from a preview before the branches moved): refused, nothing written.
        var head = await HeadAsync(doc);
        var stale = await PostAsync("alice", $"/api/documents/{doc}/merges", new { source = "feature", target = "main", resolutions = new[] { new { conflictId = "not-a-conflict", choice = "theirs" } } });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("preview again", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync(doc));

        // From the preview: the conflict's id, decided with the merge: one merge event and one resolution event.
        var preview = await (await PostAsync("alice", $"/api/documents/{doc}/merges", new { source = "feature", target = "main", dryRun = true })).Content.ReadFromJsonAsync<JsonElement>();
        var conflictId = Assert.Single(preview.GetProperty("conflicts").EnumerateArray()).GetProperty("id").GetString();
        var merged = await PostAsync("alice", $"/api/documents/{doc}/merges", new { source = "feature", target = "main", message = "cow wins", resolutions = new[] { new { conflictId, choice = "theirs" } } });
        Assert.Equal(HttpStatusCode.Created, merged.StatusCode);
        var body = await merged.Content.ReadFromJsonAsync<JsonElement>();
        var mergeId = body.GetProperty("mergeId").GetString();
        Assert.Equal($"main@{head + 1}", mergeId);
        Assert.Equal($"main@{head + 2}", body.GetProperty("resolution").GetProperty("resolutionId").GetString());
        Assert.Equal(head + 2, await HeadAsync(doc));
        await alice.WaitForTextAsync("The cow sat.");
        var decided = Assert.Single((await GetAsync("alice", $"/api/documents/{doc}/merges/{mergeId}/conflicts")).EnumerateArray());
        Assert.Equal("decided", decided.GetProperty("state").GetString());
        Assert.Equal("theirs", decided.GetProperty("decision").GetProperty("choice").GetString());
    }

    [Fact]
    public async Task a_decision_reaches_the_targets_live_clients_and_a_second_decision_on_the_conflict_is_refused()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("olga", "owner"), ("bob", "editor"));
        await using var bob = TestPeer.Create(factory.HubFor("bob", messagePack: true), doc, clientId: 3);
        var events = new ConcurrentQueue<JsonElement>();
        bob.Connection.On<string, string>("BranchEvent", (d, json) =>
        {
            if (d == doc) events.Enqueue(JsonDocument.Parse(json).RootElement.Clone());
        });
        await bob.JoinAsync();
        var (mergeId, conflictId) = await DogCowAsync(doc, bob);

        // Open conflicts, per merge and per document.
        var perMerge = Assert.Single((await GetAsync("bob", $"/api/documents/{doc}/merges/{mergeId}/conflicts")).EnumerateArray());
        Assert.Equal("open", perMerge.GetProperty("state").GetString());
        Assert.Equal(mergeId, perMerge.GetProperty("mergeId").GetString());
        Assert.Equal("sequence-overlap", perMerge.GetProperty("conflict").GetProperty("kind").GetString());
        Assert.Equal("dogcow", perMerge.GetProperty("conflict").GetProperty("merged").GetString());
        Assert.Equal(JsonValueKind.Null, perMerge.GetProperty("decision").ValueKind);
        var open = Assert.Single((await GetAsync("bob", $"/api/documents/{doc}/conflicts")).EnumerateArray());
        Assert.Equal(conflictId, open.GetProperty("conflict").GetProperty("id").GetString());

        // Refusals change nothing: an editor, an unknown conflict, an unknown choice.
        var head = await HeadAsync(doc);
        var resolutions = $"/api/documents/{doc}/merges/{mergeId}/resolutions";
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("bob", resolutions, new { decisions = new[] { new { conflictId, choice = "theirs" } } })).StatusCode);
        var unknown = await PostAsync("alice", resolutions, new { decisions = new[] { new { conflictId = "nope", choice = "theirs" } } });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("has no conflict 'nope'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("alice", resolutions, new { decisions = new[] { new { conflictId, choice = "mine" } } })).StatusCode);
        Assert.Equal(head, await HeadAsync(doc));

        // Two owners decide at once: one wins, the other gets 409 naming the winner's resolution.
        var answers = await Task.WhenAll(
            PostAsync("alice", resolutions, new { decisions = new[] { new { conflictId, choice = "theirs" } }, message = "cows it is" }),
            PostAsync("olga", resolutions, new { decisions = new[] { new { conflictId, choice = "ours" } } }));
        var won = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        var lost = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
        var result = await won.Content.ReadFromJsonAsync<JsonElement>();
        var resolutionId = result.GetProperty("resolutionId").GetString()!;
        Assert.Equal($"main@{head + 1}", resolutionId);
        Assert.Contains($"already decided", await lost.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(resolutionId, await lost.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(head + 1, await HeadAsync(doc));

        // The live client on main receives the decision as an ordinary update; the record says who, what, what it replaced.
        var expected = won == answers[0] ? "The cow sat." : "The dog sat.";
        await bob.WaitForTextAsync(expected);
        var stored = (await Store.ReadPageAsync(Ref(doc, "main"), new EventSeq(head + 1), 1))[0];
        Assert.Equal(EventKind.Resolution, stored.Kind);
        var decided = Assert.Single((await GetAsync("bob", $"/api/documents/{doc}/conflicts?state=decided")).EnumerateArray());
        var decision = decided.GetProperty("decision");
        Assert.Equal(resolutionId, decision.GetProperty("resolutionId").GetString());
        Assert.Equal("dogcow", decision.GetProperty("properties").GetProperty("replaced").GetString());
        Assert.Equal(decision.GetProperty("author").GetString(), decision.GetProperty("properties").GetProperty("actor").GetString());
        Assert.Empty((await GetAsync("bob", $"/api/documents/{doc}/conflicts?state=open")).EnumerateArray());
        Assert.Single((await GetAsync("bob", $"/api/documents/{doc}/merges/{mergeId}")).GetProperty("decisions").EnumerateArray());

        // Connections of the document hear of it.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!events.Any(e => e.GetProperty("type").GetString() == "resolved") && DateTime.UtcNow < deadline) await Task.Delay(20);
        var resolved = Assert.Single(events, e => e.GetProperty("type").GetString() == "resolved");
        Assert.Equal(mergeId, resolved.GetProperty("mergeId").GetString());
        Assert.Equal([conflictId], resolved.GetProperty("conflicts").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task a_merge_is_reverted_and_the_revert_reverted_over_rest_and_live_clients_follow()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        await using var bob = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 3);
        await bob.JoinAsync();
        var (mergeId, _) = await DogCowAsync(doc, bob);

        var reverts = $"/api/documents/{doc}/reverts";
        var head = await HeadAsync(doc);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync("bob", reverts, new { merge = mergeId })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("alice", reverts, new { branch = "main" })).StatusCode);
        Assert.Equal(head, await HeadAsync(doc));

        var response = await PostAsync("alice", reverts, new { merge = mergeId, message = "not yet" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var revert = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(mergeId, revert.GetProperty("merge").GetString());
        Assert.Equal(head + 1, revert.GetProperty("seq").GetInt64());
        await bob.WaitForTextAsync("The dog sat.");

        // Reverting it again is refused; reverting the revert brings the merge back.
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync("alice", reverts, new { merge = mergeId })).StatusCode);
        var back = await PostAsync("alice", reverts, new { branch = "main", fromSeq = head, toSeq = head + 1 });
        Assert.Equal(HttpStatusCode.Created, back.StatusCode);
        var backBody = await back.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(revert.GetProperty("revertId").GetString(), backBody.GetProperty("reverts").GetString());
        await bob.WaitForTextAsync("The dogcow sat.");

        // A range with nothing left to undo: 200, nothing written.
        await bob.InsertAsync(0, "x");
        await bob.EditAsync(t => t.Delete(0, 1));
        var last = await HeadAsync(doc);
        var nothing = await PostAsync("alice", reverts, new { branch = "main", fromSeq = last - 2, toSeq = last - 1 });
        Assert.Equal(HttpStatusCode.OK, nothing.StatusCode);
        Assert.True((await nothing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("nothingToRevert").GetBoolean());
        Assert.Equal(last, await HeadAsync(doc));

        var listed = (await GetAsync("bob", reverts)).EnumerateArray().ToList();
        Assert.Equal(2, listed.Count);
        Assert.Equal(("alice", "not yet", mergeId), (listed[0].GetProperty("actor").GetString(), listed[0].GetProperty("message").GetString(), listed[0].GetProperty("merge").GetString()));
        Assert.Equal(listed[0].GetProperty("id").GetString(), listed[1].GetProperty("reverts").GetString());
        Assert.True((await Store.VerifyAsync(Ref(doc, "main"))).IsValid);
    }

    [Fact]
    public async Task a_merge_into_a_branch_with_a_slash_in_its_name_is_decided_through_an_escaped_merge_id()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        await using var writer = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await writer.JoinAsync();
        await writer.InsertAsync(0, "base");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("alice", $"/api/documents/{doc}/branches", new { name = "team/a", from = new { branch = "main" } })).StatusCode);
        await writer.InsertAsync(4, " main");
        await using (var side = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 2, branch: "team/a"))
        {
            await side.JoinAsync();
            await side.WaitForTextAsync("base");
            await side.InsertAsync(4, " side");
        }
        var merge = await (await PostAsync("alice", $"/api/documents/{doc}/merges", new { source = "main", target = "team/a" })).Content.ReadFromJsonAsync<JsonElement>();
        var mergeId = merge.GetProperty("mergeId").GetString()!;
        Assert.StartsWith("team/a@", mergeId, StringComparison.Ordinal);
        var conflictId = Assert.Single(merge.GetProperty("conflicts").EnumerateArray()).GetProperty("id").GetString();

        var escaped = Uri.EscapeDataString(mergeId);
        Assert.Single((await GetAsync("alice", $"/api/documents/{doc}/merges/{escaped}/conflicts")).EnumerateArray());
        var decided = await PostAsync("alice", $"/api/documents/{doc}/merges/{escaped}/resolutions", new { decisions = new[] { new { conflictId, choice = "custom", content = " both" } } });
        Assert.Equal(HttpStatusCode.Created, decided.StatusCode);
        using var client = factory.ClientFor("alice");
        var content = await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/content?branch=team/a");
        var ydoc = new Collab.Crdt.Document.YDoc();
        ydoc.ApplyUpdate(content.GetProperty("update").GetBytesFromBase64());
        Assert.Equal("base both", ydoc.GetText("text").ToString());
    }
}
