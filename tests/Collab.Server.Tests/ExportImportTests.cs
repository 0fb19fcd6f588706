using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using CollabAudit;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>Export of a whole document and import into another server, verified on the way in.</summary>
public sealed class ExportImportTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private const string Doc = "transfer-doc";
    private static readonly SemaphoreSlim Once = new(1, 1);

    // Payloads on main are empty Yjs updates: a role change after the import opens main's session, which replays them.
    // main: document.created (1), role.granted bob (2), 30 updates (3-32), a domain record (33), a merge with a conflict
    // (34) and its resolution (35); fork "feature/a" at 12 with 6 events (13-18).
    private async Task<string> ExportAsync()
    {
        using var alice = factory.ClientFor("alice");
        await Once.WaitAsync();
        try
        {
            if ((await alice.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode == HttpStatusCode.NotFound)
            {
                (await alice.PostAsJsonAsync("/api/documents", new { id = Doc, title = "Transfer" })).EnsureSuccessStatusCode();
                (await alice.PutAsJsonAsync($"/api/documents/{Doc}/permissions/bob", new { role = "editor" })).EnsureSuccessStatusCode();
                var store = factory.Services.GetRequiredService<IEventStore>();
                var main = BranchRef.MainOf(new DocumentId(Doc));
                for (var i = 0; i < 30; i++)
                {
                    await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 0, 0 }, i % 3 == 0 ? "bob" : "alice") { ClientIds = [(uint)i], ClientUpdateId = $"u-{i}" });
                }
                await store.AppendAsync(main, new NewEvent(new EventKind("proposal"), new byte[] { 0, 0 }, "alice") { Record = new DomainRecord("proposal.opened", new Dictionary<string, string> { ["title"] = "Fix typos", ["by"] = "alice" }) });
                (await alice.PostAsJsonAsync($"/api/documents/{Doc}/branches", new { name = "feature/a", from = new { branch = "main", seq = 12 } })).EnsureSuccessStatusCode();
                var fork = new BranchRef(new DocumentId(Doc), new BranchName("feature/a"));
                for (var i = 0; i < 6; i++) await store.AppendAsync(fork, new NewEvent(EventKind.Update, new byte[] { 5, (byte)i }, "carol"));
                var source = await store.GetHeadAsync(fork);
                var @base = await store.GetDigestAsync(main, new EventSeq(12));
                var merge = await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 0, 0 }, "alice")
                {
                    Merge = new MergeRecordDraft(source, @base, [new MergeConflict("c1", "text", "root:body@3", "a", "b", "c", "b", "ours")]) { Properties = new Dictionary<string, string> { ["message"] = "merge feature/a" } },
                });
                await store.AppendAsync(main, new NewEvent(EventKind.Resolution, new byte[] { 0, 0 }, "alice") { Resolution = new ResolutionRecordDraft(merge.Ref, [new ConflictDecision("c1", "theirs", null)]) });
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
    public async Task a_round_trip_keeps_every_exported_event_and_hash_then_records_the_import_on_main()
    {
        var file = await ExportAsync();
        Assert.Equal(1 + 35 + 6, file.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        using var other = new CollabAppFactory();
        using var ivan = other.ClientFor("ivan");
        var imported = await ImportAsync(ivan, file);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var result = await imported.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(41, result.GetProperty("events").GetInt64());

        using var alice = factory.ClientFor("alice");
        foreach (var (branch, head) in new[] { ("main", 35), ("feature/a", 18) })
        {
            // Every exported position has the same digest (chain hash and Merkle root) on the importing server.
            var before = await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch={branch}");
            var after = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch={branch}&seq={head}");
            Assert.Equal(head, before.GetProperty("treeSize").GetInt64());
            Assert.Equal(before.GetRawText(), after.GetRawText());
            var eventsBefore = (await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/events?branch={branch}&max=1000")).EnumerateArray().Select(e => e.GetRawText()).ToList();
            var eventsAfter = (await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/events?branch={branch}&max=1000")).EnumerateArray().Select(e => e.GetRawText()).ToList();
            Assert.Equal(eventsBefore, eventsAfter.Take(eventsBefore.Count));
        }

        // main has one event more: document.imported, a directory record naming the importer the only owner.
        var newHead = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest");
        Assert.Equal(36, newHead.GetProperty("treeSize").GetInt64());
        var audit = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/audit");
        var directory = audit.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "directory").ToList();
        Assert.Equal(new[] { "document.created", "role.granted", "document.imported" }, directory.Select(e => e.GetProperty("type").GetString()).ToArray());
        var record = directory[2];
        Assert.Equal(36, record.GetProperty("seq").GetInt64());
        Assert.Equal("ivan", record.GetProperty("by").GetString());
        var fields = record.GetProperty("fields");
        Assert.Equal("ivan", fields.GetProperty("owner").GetString());
        Assert.Equal("Transfer", fields.GetProperty("title").GetString());
        Assert.Equal(Doc, fields.GetProperty("originalDocument").GetString());
        Assert.Equal("35", fields.GetProperty("exportedSeq").GetString());
        var exportedMain = await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest");
        Assert.Equal(exportedMain.GetProperty("chainHash").GetString(), fields.GetProperty("exportedHash").GetString());

        // A digest kept from the exporting server is extended by the importing server's head.
        var consistency = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/consistency?from=35&to=36");
        Assert.True(ProofVerifier.VerifyConsistency(35, exportedMain.GetProperty("rootHash").GetString()!, 36, newHead.GetProperty("rootHash").GetString()!,
            [.. consistency.GetProperty("path").EnumerateArray().Select(e => e.GetString()!)]));

        var verify = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/verify?all=true");
        Assert.True(verify.GetProperty("valid").GetBoolean());
        var view = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}");
        Assert.Equal("owner", view.GetProperty("role").GetString());
        Assert.Equal("Transfer", view.GetProperty("title").GetString());
        // The imported log's roles are history: its owner and its editor have no role here.
        var grants = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/permissions");
        Assert.Equal(["ivan:owner"], grants.EnumerateArray().Select(g => $"{g.GetProperty("user").GetString()}:{g.GetProperty("role").GetString()}").ToArray());
        foreach (var stranger in new[] { "alice", "bob" })
        {
            using var client = other.ClientFor(stranger);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode);
        }
        var merges = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/merges");
        Assert.Contains("theirs", merges.GetRawText(), StringComparison.Ordinal);

        // Exported again, the file has the same event lines plus document.imported (the header differs in who created
        // main and in its head).
        var again = (await ivan.GetStringAsync(new Uri($"/api/documents/{Doc}/export", UriKind.Relative))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var lines = file.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Skip(1).Where(l => l.StartsWith("{\"branch\":\"main\"", StringComparison.Ordinal)), again.Skip(1).Where(l => l.StartsWith("{\"branch\":\"main\"", StringComparison.Ordinal)).Take(35));
        Assert.Equal(lines.Where(l => l.StartsWith("{\"branch\":\"feature/a\"", StringComparison.Ordinal)), again.Where(l => l.StartsWith("{\"branch\":\"feature/a\"", StringComparison.Ordinal)));
        Assert.Equal(lines.Length + 1, again.Length);
        Assert.Contains("document.imported", again.Single(l => l.StartsWith("{\"branch\":\"main\",\"seq\":36,", StringComparison.Ordinal)), StringComparison.Ordinal);
        // A second import of the same document is a conflict.
        Assert.Equal(HttpStatusCode.Conflict, (await ImportAsync(ivan, file)).StatusCode);
    }

    [Fact]
    public async Task an_imported_copy_keeps_its_owner_after_a_restart_with_the_journal_deleted()
    {
        var file = await ExportAsync();
        var folder = TestSettings.TempFolder();
        var host = new KestrelHost(folder, inMemory: false);
        try
        {
            await host.StartAsync();
            using (var ivan = host.ClientFor("ivan"))
            {
                Assert.Equal(HttpStatusCode.Created, (await ImportAsync(ivan, file)).StatusCode);
                (await ivan.PutAsJsonAsync($"/api/documents/{Doc}/permissions/judy", new { role = "viewer" })).EnsureSuccessStatusCode();
            }
            await host.StopAsync();
            File.Delete(System.IO.Path.Combine(folder, "directory.jsonl"));
            await host.StartAsync();

            using var owner = host.ClientFor("ivan");
            var grants = await owner.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/permissions");
            Assert.Equal(["ivan:owner", "judy:viewer"], grants.EnumerateArray().Select(g => $"{g.GetProperty("user").GetString()}:{g.GetProperty("role").GetString()}").Order(StringComparer.Ordinal).ToArray());
            using var alice = host.ClientFor("alice");
            Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode);
        }
        finally
        {
            await host.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task a_log_without_directory_events_imports_the_same_way()
    {
        // A document from before directory events: in the store and the journal, not in its log.
        const string old = "transfer-old";
        var directory = factory.Services.GetRequiredService<Collab.Documents.Access.DocumentDirectory>();
        var store = factory.Services.GetRequiredService<IEventStore>();
        if (directory.Find(old) is null)
        {
            var info = await store.CreateDocumentAsync(new DocumentId(old), "alice");
            for (var i = 0; i < 5; i++) await store.AppendAsync(BranchRef.MainOf(new DocumentId(old)), new NewEvent(EventKind.Update, new byte[] { 0, 0 }, "alice") { ClientUpdateId = $"old-{i}" });
            directory.Add(new Collab.Documents.Access.DocumentEntry(old, "Old", "alice", info.CreatedAt));
        }
        using var alice = factory.ClientFor("alice");
        var file = await alice.GetStringAsync(new Uri($"/api/documents/{old}/export", UriKind.Relative));
        Assert.DoesNotContain("\"directory\"", file, StringComparison.Ordinal);

        using var other = new CollabAppFactory();
        using var ivan = other.ClientFor("ivan");
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(ivan, file)).StatusCode);
        var before = await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{old}/proofs/digest");
        var after = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{old}/proofs/digest?seq=5");
        Assert.Equal(before.GetRawText(), after.GetRawText());
        var audit = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{old}/audit");
        var imported = audit.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "directory");
        Assert.Equal("document.imported", imported.GetProperty("type").GetString());
        Assert.Equal(6, imported.GetProperty("seq").GetInt64());
        Assert.Equal("owner", (await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{old}")).GetProperty("role").GetString());
        Assert.Equal("Old", (await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{old}")).GetProperty("title").GetString());
    }

    public static TheoryData<string, string> Tampers => new()
    {
        { "payload", "main@5" },
        { "hash", "main@7" },
        { "deleted", "main@9" },
        { "reordered", "main@10" },
        { "record", "main@33" },
        { "merge-record", "main@34" },
        { "directory", "main@2" },
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
                lines[Find("main", 33)] = lines[Find("main", 33)].Replace("Fix typos", "Fix types", StringComparison.Ordinal);
                break;
            case "directory":
                Assert.Contains("\"role\":\"editor\"", lines[Find("main", 2)], StringComparison.Ordinal);
                lines[Find("main", 2)] = lines[Find("main", 2)].Replace("\"role\":\"editor\"", "\"role\":\"owner\"", StringComparison.Ordinal);
                break;
            case "merge-record":
                lines[Find("main", 34)] = lines[Find("main", 34)].Replace("\"automaticOutcome\":\"ours\"", "\"automaticOutcome\":\"them\"", StringComparison.Ordinal);
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
        Assert.Equal(41, result.Events);
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
