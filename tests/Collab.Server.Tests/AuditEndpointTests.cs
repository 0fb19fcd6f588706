using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

public sealed class AuditEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    private static BranchRef Ref(string doc, string branch) => new(new DocumentId(doc), new BranchName(branch));

    private async Task<JsonElement> PostAsync(string path, object body, string user, HttpStatusCode expected)
    {
        using var client = factory.ClientFor(user);
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task the_audit_trail_lists_fork_proposal_events_merge_resolution_and_revert_in_order_with_the_store_hashes()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("ada", "auditor"), ("vic", "viewer"));
        await using (var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1))
        {
            await alice.JoinAsync();
            await alice.InsertAsync(0, "The cat sat.");
            await PostAsync($"/api/documents/{doc}/branches", new { name = "cow", from = new { branch = "main" } }, "erin", HttpStatusCode.Created);
            await using var erin = TestPeer.Create(factory.HubFor("erin"), doc, clientId: 2, branch: "cow");
            await erin.JoinAsync();
            await erin.WaitForTextAsync("The cat sat.");
            await erin.EditAsync(t =>
            {
                t.Delete(4, 3);
                t.Insert(4, "cow");
            });
            await alice.EditAsync(t =>
            {
                t.Delete(4, 3);
                t.Insert(4, "dog");
            });
        }

        var opened = await PostAsync($"/api/documents/{doc}/proposals", new { source = "cow", target = "main", title = "Cow" }, "erin", HttpStatusCode.Created);
        var id = opened.GetProperty("id").GetString();
        await PostAsync($"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "request-changes" }, "alice", HttpStatusCode.OK);
        await PostAsync($"/api/documents/{doc}/proposals/{id}/reviews", new { verdict = "approve" }, "alice", HttpStatusCode.OK);
        var merged = await PostAsync($"/api/documents/{doc}/proposals/{id}/merge", new { }, "alice", HttpStatusCode.OK);
        var mergeId = merged.GetProperty("mergeId").GetString()!;
        var mergeSeq = long.Parse(mergeId["main@".Length..], System.Globalization.CultureInfo.InvariantCulture);

        // A resolution and a revert, written as the services that own them write them: the audit lists any non-update kind.
        var sessions = factory.Services.GetRequiredService<SessionManager>();
        var record = await Store.GetMergeRecordAsync(new EventRef(Ref(doc, "main"), new EventSeq(mergeSeq)));
        var conflictId = Assert.Single(record!.Conflicts).Id;
        var decided = new Collab.Crdt.Document.YDoc(new Collab.Crdt.Document.YDocOptions { ClientId = 50 });
        decided.ApplyUpdate((await sessions.ReadContentAsync(Ref(doc, "main"), default)).Update);
        var updates = new List<byte[]>();
        decided.UpdateV1 += (u, _) => updates.Add(u);
        decided.GetText("text").Insert(0, "!");
        await sessions.WriteDomainEventAsync(Ref(doc, "main"), new DomainEvent(EventKind.Resolution, Assert.Single(updates), "alice")
        {
            Resolution = new ResolutionRecordDraft(record.Event, [new ConflictDecision(conflictId, "merged", null)]),
        }, default);
        await sessions.WriteDomainEventAsync(Ref(doc, "cow"), DomainEvent.RecordOnly(EventKind.Revert, new DomainRecord("revert", new Dictionary<string, string> { ["from"] = "2", ["to"] = "2" }), "erin"), default);

        using var auditor = factory.ClientFor("ada");
        var page = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/audit?limit=1000");
        var entries = page.GetProperty("entries").EnumerateArray().ToList();
        var summary = entries.Select(e => $"{e.GetProperty("type").GetString()} {e.GetProperty("branch").GetString()}").ToList();
        // Each branch in seq order; branches interleaved by time, then branch name, then seq (events of two branches
        // written in the same millisecond are ordered by name, so only the per-branch order is fixed here).
        Assert.Equal(
            ["branch.created main", "document.created main", "role.granted main", "role.granted main", "role.granted main", "proposal.opened main", "proposal.changes-requested main", "proposal.approved main", "merge main", "proposal.merged main", "resolution main"],
            summary.Where(s => s.EndsWith(" main", StringComparison.Ordinal)));
        Assert.Equal(["branch.created cow", "revert cow"], summary.Where(s => s.EndsWith(" cow", StringComparison.Ordinal)));
        var keys = entries.Select(e => (At: e.GetProperty("at").GetDateTimeOffset(), Branch: e.GetProperty("branch").GetString()!, Seq: e.GetProperty("seq").GetInt64())).ToList();
        Assert.Equal(keys.OrderBy(k => k.At).ThenBy(k => k.Branch, StringComparer.Ordinal).ThenBy(k => k.Seq), keys);
        foreach (var entry in entries)
        {
            var digest = await Store.GetDigestAsync(Ref(doc, entry.GetProperty("branch").GetString()!), new EventSeq(entry.GetProperty("seq").GetInt64()));
            Assert.Equal(digest.Hash.ToString(), entry.GetProperty("hash").GetString());
            Assert.False(string.IsNullOrEmpty(entry.GetProperty("by").GetString()));
        }
        JsonElement Entry(string type, string branch) => entries.Single(e => e.GetProperty("type").GetString() == type && e.GetProperty("branch").GetString() == branch);
        var merge = Entry("merge", "main");
        Assert.Equal((mergeSeq, "alice", "1"), (merge.GetProperty("seq").GetInt64(), merge.GetProperty("by").GetString(), merge.GetProperty("fields").GetProperty("conflicts").GetString()));
        Assert.Equal(conflictId, merge.GetProperty("conflicts")[0].GetProperty("id").GetString());
        Assert.Equal($"{mergeId}", Entry("resolution", "main").GetProperty("fields").GetProperty("merge").GetString());
        Assert.Equal($"{conflictId}=merged", Entry("resolution", "main").GetProperty("fields").GetProperty("decisions").GetString());
        var fork = Entry("branch.created", "cow");
        Assert.Equal(("erin", "main"), (fork.GetProperty("by").GetString(), fork.GetProperty("fields").GetProperty("from").GetString()));

        // The same hashes as the auditor's event log.
        var events = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/events?branch=main");
        Assert.Equal(events.EnumerateArray().Single(e => e.GetProperty("seq").GetInt64() == mergeSeq).GetProperty("hash").GetString(), merge.GetProperty("hash").GetString());

        // Paging by cursor gives the same entries.
        var paged = new List<string>();
        string? after = null;
        while (true)
        {
            var url = $"/api/documents/{doc}/audit?limit=4" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
            var next = await auditor.GetFromJsonAsync<JsonElement>(url);
            paged.AddRange(next.GetProperty("entries").EnumerateArray().Select(e => $"{e.GetProperty("type").GetString()} {e.GetProperty("branch").GetString()}"));
            after = next.GetProperty("next").GetString();
            if (!next.GetProperty("hasMore").GetBoolean()) break;
        }
        Assert.Equal(summary, paged);
        Assert.Empty((await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/audit?after={Uri.EscapeDataString(after!)}")).GetProperty("entries").EnumerateArray());
    }

    [Fact]
    public async Task only_owners_and_auditors_read_the_audit_trail()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("ada", "auditor"), ("vic", "viewer"));
        foreach (var (user, status) in new[] { ("alice", HttpStatusCode.OK), ("ada", HttpStatusCode.OK), ("erin", HttpStatusCode.Forbidden), ("vic", HttpStatusCode.Forbidden), ("stranger", HttpStatusCode.Forbidden) })
        {
            using var client = factory.ClientFor(user);
            Assert.Equal(status, (await client.GetAsync($"/api/documents/{doc}/audit")).StatusCode);
        }
        using var owner = factory.ClientFor("alice");
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.GetAsync($"/api/documents/{doc}/audit?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.GetAsync($"/api/documents/{doc}/audit?after=garbage!")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/api/documents/no-such-doc/audit")).StatusCode);
    }
}
