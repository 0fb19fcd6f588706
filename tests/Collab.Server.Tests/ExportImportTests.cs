using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>Export of a whole document and import into another server, verified on the way in.</summary>
public sealed class ExportImportTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private const string Doc = "transfer-doc";
    private static readonly SemaphoreSlim Once = new(1, 1);

    // main: 30 updates, a domain record, a merge with a conflict and its resolution; fork "feature/a" at 12 with 6 events.
    private async Task<string> ExportAsync()
    {
        using var alice = factory.ClientFor("alice");
        await Once.WaitAsync();
        try
        {
            if ((await alice.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode == HttpStatusCode.NotFound)
            {
                (await alice.PostAsJsonAsync("/api/documents", new { id = Doc, title = "Transfer" })).EnsureSuccessStatusCode();
                var store = factory.Services.GetRequiredService<IEventStore>();
                var main = BranchRef.MainOf(new DocumentId(Doc));
                for (var i = 0; i < 30; i++)
                {
                    await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 0, (byte)i, 1 }, i % 3 == 0 ? "bob" : "alice") { ClientIds = [(uint)i], ClientUpdateId = $"u-{i}" });
                }
                await store.AppendAsync(main, new NewEvent(new EventKind("proposal"), new byte[] { 0 }, "alice") { Record = new DomainRecord("proposal.opened", new Dictionary<string, string> { ["title"] = "Fix typos", ["by"] = "alice" }) });
                (await alice.PostAsJsonAsync($"/api/documents/{Doc}/branches", new { name = "feature/a", from = new { branch = "main", seq = 12 } })).EnsureSuccessStatusCode();
                var fork = new BranchRef(new DocumentId(Doc), new BranchName("feature/a"));
                for (var i = 0; i < 6; i++) await store.AppendAsync(fork, new NewEvent(EventKind.Update, new byte[] { 5, (byte)i }, "carol"));
                var source = await store.GetHeadAsync(fork);
                var @base = await store.GetDigestAsync(main, new EventSeq(12));
                var merge = await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 0, 0 }, "alice")
                {
                    Merge = new MergeRecordDraft(source, @base, [new MergeConflict("c1", "text", "root:body@3", "a", "b", "c", "b", "ours")]) { Properties = new Dictionary<string, string> { ["message"] = "merge feature/a" } },
                });
                await store.AppendAsync(main, new NewEvent(EventKind.Resolution, new byte[] { 0, 1 }, "alice") { Resolution = new ResolutionRecordDraft(merge.Ref, [new ConflictDecision("c1", "theirs", null)]) });
            }
        }
        finally
        {
            Once.Release();
        }
        var response = await alice.GetAsync(new Uri($"/api/documents/{Doc}/export", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<HttpResponseMessage> ImportAsync(HttpClient client, string file) =>
        await client.PostAsync(new Uri("/api/documents/import", UriKind.Relative), new StringContent(file, Encoding.UTF8, "application/x-ndjson"));

    [Fact]
    public async Task a_round_trip_gives_identical_hashes_digests_and_export()
    {
        var file = await ExportAsync();
        Assert.Equal(1 + 33 + 6, file.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        using var other = new CollabAppFactory();
        using var ivan = other.ClientFor("ivan");
        var imported = await ImportAsync(ivan, file);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var result = await imported.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(39, result.GetProperty("events").GetInt64());

        using var alice = factory.ClientFor("alice");
        foreach (var branch in new[] { "main", "feature/a" })
        {
            var before = await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch={branch}");
            var after = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch={branch}");
            Assert.Equal(before.GetRawText(), after.GetRawText());
            var eventsBefore = await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/events?branch={branch}&max=1000");
            var eventsAfter = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/events?branch={branch}&max=1000");
            Assert.Equal(eventsBefore.GetRawText(), eventsAfter.GetRawText());
        }
        var verify = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/verify?all=true");
        Assert.True(verify.GetProperty("valid").GetBoolean());
        Assert.Equal("owner", (await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}")).GetProperty("role").GetString());
        var merges = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/merges");
        Assert.Contains("theirs", merges.GetRawText(), StringComparison.Ordinal);

        // The imported log exports to the same event lines (the header differs only in who created the document).
        var again = await ivan.GetStringAsync(new Uri($"/api/documents/{Doc}/export", UriKind.Relative));
        Assert.Equal(file.Split('\n').Skip(1), again.Split('\n').Skip(1));
        Assert.Equal(file.Split('\n')[0].Replace("\"createdBy\":\"alice\"},{\"name\":\"feature/a\"", "\"createdBy\":\"ivan\"},{\"name\":\"feature/a\"", StringComparison.Ordinal), again.Split('\n')[0]);
        // A second import of the same document is a conflict.
        Assert.Equal(HttpStatusCode.Conflict, (await ImportAsync(ivan, file)).StatusCode);
    }

    public static TheoryData<string, string> Tampers => new()
    {
        { "payload", "main@5" },
        { "hash", "main@7" },
        { "deleted", "main@9" },
        { "reordered", "main@10" },
        { "record", "main@31" },
        { "merge-record", "main@32" },
        { "fork-event", "feature/a@14" },
        { "last-deleted", "feature/a@18" },
    };

    [Theory]
    [MemberData(nameof(Tampers))]
    public async Task a_tampered_file_is_refused_naming_the_event_and_nothing_is_written(string tamper, string named)
    {
        var lines = (await ExportAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        int Find(string branch, long seq) => lines.FindIndex(l => l.StartsWith($"{{\"branch\":\"{branch}\",\"seq\":{seq},", StringComparison.Ordinal));
        JsonNode Node(int i) => JsonNode.Parse(lines[i])!;
        switch (tamper)
        {
            case "payload":
            {
                var e = Node(Find("main", 5));
                e["payload"] = Convert.ToBase64String([0, 4, 2]);
                lines[Find("main", 5)] = e.ToJsonString();
                break;
            }
            case "hash":
            {
                var e = Node(Find("main", 7));
                var hash = e["hash"]!.GetValue<string>();
                e["hash"] = (hash[0] == 'a' ? "b" : "a") + hash[1..];
                lines[Find("main", 7)] = e.ToJsonString();
                break;
            }
            case "deleted":
                lines.RemoveAt(Find("main", 9));
                break;
            case "reordered":
                (lines[Find("main", 10)], lines[Find("main", 11)]) = (lines[Find("main", 11)], lines[Find("main", 10)]);
                break;
            case "record":
                lines[Find("main", 31)] = lines[Find("main", 31)].Replace("Fix typos", "Fix types", StringComparison.Ordinal);
                break;
            case "merge-record":
                lines[Find("main", 32)] = lines[Find("main", 32)].Replace("\"automaticOutcome\":\"ours\"", "\"automaticOutcome\":\"them\"", StringComparison.Ordinal);
                break;
            case "fork-event":
                lines[Find("feature/a", 14)] = lines[Find("feature/a", 14)].Replace("\"author\":\"carol\"", "\"author\":\"mallo\"", StringComparison.Ordinal);
                break;
            case "last-deleted":
                lines.RemoveAt(Find("feature/a", 18));
                break;
        }

        using var other = new CollabAppFactory();
        using var ivan = other.ClientFor("ivan");
        var response = await ImportAsync(ivan, string.Join('\n', lines) + "\n");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("detail").GetString()!.Contains(named, StringComparison.Ordinal), problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await ivan.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task an_export_file_verifies_offline_and_a_tampered_one_is_named()
    {
        var file = await ExportAsync();
        var result = await Collab.Documents.Proofs.DocumentTransfer.VerifyFileAsync(new MemoryStream(Encoding.UTF8.GetBytes(file)), default);
        Assert.Equal(39, result.Events);
        using var alice = factory.ClientFor("alice");
        var head = await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest");
        Assert.Equal(head.GetProperty("chainHash").GetString(), result.Branches.Single(b => b.Branch == "main").Hash);

        var tampered = file.Replace("\"author\":\"carol\"", "\"author\":\"carl0\"", StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<Collab.Documents.CollabException>(() => Collab.Documents.Proofs.DocumentTransfer.VerifyFileAsync(new MemoryStream(Encoding.UTF8.GetBytes(tampered)), default));
        Assert.Contains("feature/a@13", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task export_is_for_owners_and_auditors_and_garbage_is_refused()
    {
        await ExportAsync();
        using var alice = factory.ClientFor("alice");
        // A document of its own: a grant on the shared one would add a role.granted event to the others' exports.
        var viewed = await factory.CreateDocumentAsync("alice", ("vera", "viewer"));
        using var vera = factory.ClientFor("vera");
        Assert.Equal(HttpStatusCode.Forbidden, (await vera.GetAsync(new Uri($"/api/documents/{viewed}/export", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ImportAsync(alice, "not json\n")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ImportAsync(alice, "")).StatusCode);
    }
}
