using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using CollabAudit;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>
/// The documented verifier (docs/verification/ProofVerifier.cs) against a real export with every kind of record in the
/// chain: it recomputes every event hash (encoding v1 and v2) and every link from the file alone, and names the first
/// event that was changed.
/// </summary>
public sealed class VerifierExportTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    // Names whose order differs between UTF-16 and UTF-8 (U+FF21 sorts before U+1F600 in UTF-8 only): the encoding sorts by UTF-8 bytes.
    private static readonly Dictionary<string, string> Awkward = new() { ["\U0001F600"] = "smile", ["\uFF21"] = "wide A", ["é"] = "e acute", ["a"] = "" };

    /// <summary>main: updates, a domain record, a merge with conflicts and its resolution; a fork "feature/x" with its own events.</summary>
    private async Task<(string Doc, string[] Lines)> ExportAsync(string doc)
    {
        using var alice = factory.ClientFor("alice");
        (await alice.PostAsJsonAsync("/api/documents", new { id = doc, title = "Verifier" })).EnsureSuccessStatusCode();
        (await alice.PutAsJsonAsync($"/api/documents/{doc}/permissions/audrey", new { role = "auditor" })).EnsureSuccessStatusCode();
        var store = factory.Services.GetRequiredService<IEventStore>();
        var main = BranchRef.MainOf(new DocumentId(doc));
        for (var i = 0; i < 9; i++)
        {
            await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 0, (byte)i, 1 }, i % 2 == 0 ? "alice" : "bob") { ClientIds = [(uint)i, 4_000_000_000u], ClientUpdateId = i % 3 == 0 ? null : $"u-{i}" });
        }
        await store.AppendAsync(main, new NewEvent(new EventKind("proposal"), new byte[] { 0 }, "alice") { Record = new DomainRecord("proposal.opened", new Dictionary<string, string>(Awkward) { ["title"] = "Fix typos" }) });
        var forkAt = (await store.GetHeadAsync(main)).Seq.Value;
        (await alice.PostAsJsonAsync($"/api/documents/{doc}/branches", new { name = "feature/x", from = new { branch = "main", seq = forkAt - 3 } })).EnsureSuccessStatusCode();
        var fork = new BranchRef(new DocumentId(doc), new BranchName("feature/x"));
        for (var i = 0; i < 4; i++) await store.AppendAsync(fork, new NewEvent(EventKind.Update, new byte[] { 5, (byte)i }, "carol") { ClientIds = [77] });
        var source = await store.GetHeadAsync(fork);
        var @base = await store.GetDigestAsync(main, new EventSeq(forkAt - 3));
        var merge = await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 0, 0 }, "alice")
        {
            Merge = new MergeRecordDraft(source, @base,
            [
                new MergeConflict("c1", "text-overlap", "text:4..9", "base text", "ours", "theirs", "merged", "kept both") { Properties = Awkward },
                new MergeConflict("c2", "map-key", "meta.title", null, "Ours", null, null, "ours wins"),
            ])
            { Properties = new Dictionary<string, string> { ["message"] = "merge feature/x", ["by"] = "alice" } },
        });
        await store.AppendAsync(main, new NewEvent(EventKind.Resolution, new byte[] { 0, 1 }, "bob")
        {
            Resolution = new ResolutionRecordDraft(merge.Ref, [new ConflictDecision("c1", "custom", "our own words") { Properties = Awkward }, new ConflictDecision("c2", "theirs", null)]),
        });
        await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 0, 9, 9 }, "bob"));

        using var audrey = factory.ClientFor("audrey");
        var export = await audrey.GetStringAsync(new Uri($"/api/documents/{doc}/export", UriKind.Relative));
        return (doc, export.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task the_documented_verifier_recomputes_every_hash_of_a_real_export_including_merge_and_resolution_records()
    {
        var (doc, lines) = await ExportAsync("verifier-v2");
        Assert.Null(ProofVerifier.VerifyExport(lines));

        // Every event's hash, v1 and v2, from the documented encoding; the three record kinds are all there.
        var kinds = new List<string>();
        foreach (var line in lines.Skip(1))
        {
            var e = JsonDocument.Parse(line).RootElement;
            var record = ProofVerifier.RecordEncoding(e);
            if (e.TryGetProperty("record", out var r)) kinds.Add(r.EnumerateObject().Single().Name);
            Assert.Equal(record.Length == 0, !e.TryGetProperty("record", out _));
            var hash = ProofVerifier.EventHash(e.GetProperty("previousHash").GetString()!, doc, e.GetProperty("branch").GetString()!, e.GetProperty("seq").GetInt64(),
                e.GetProperty("kind").GetString()!, e.GetProperty("schemaVersion").GetInt32(), e.GetProperty("author").GetString()!, e.GetProperty("time").GetInt64(),
                e.TryGetProperty("updateId", out var u) ? u.GetString() : null, [.. e.GetProperty("clientIds").EnumerateArray().Select(c => c.GetUInt32())],
                e.GetProperty("payload").GetBytesFromBase64(), record);
            Assert.Equal(e.GetProperty("hash").GetString(), hash);
        }
        Assert.Contains("domain", kinds);
        Assert.Contains("merge", kinds);
        Assert.Contains("resolution", kinds);
        Assert.Equal(ProofVerifier.Genesis(doc), JsonDocument.Parse(lines[1]).RootElement.GetProperty("previousHash").GetString());

        // The merge event's recomputed hash is in the server's Merkle tree under the head digest.
        using var audrey = factory.ClientFor("audrey");
        var mergeLine = JsonDocument.Parse(lines.Single(l => l.Contains("\"merge\":{", StringComparison.Ordinal))).RootElement;
        var mergeSeq = mergeLine.GetProperty("seq").GetInt64();
        var head = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/proofs/digest");
        var proof = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/proofs/inclusion?seq={mergeSeq}");
        Assert.True(ProofVerifier.VerifyInclusion(mergeLine.GetProperty("hash").GetString()!, mergeSeq, head.GetProperty("treeSize").GetInt64(),
            [.. proof.GetProperty("path").EnumerateArray().Select(p => p.GetString()!)], head.GetProperty("rootHash").GetString()!));
    }

    [Theory]
    [InlineData("merge-conflict")]
    [InlineData("merge-source")]
    [InlineData("resolution-choice")]
    [InlineData("resolution-custom-text")]
    [InlineData("domain-field")]
    [InlineData("fork-author")]
    [InlineData("deleted")]
    [InlineData("reordered")]
    public async Task the_documented_verifier_names_the_event_of_a_tampered_export(string tamper)
    {
        var (_, lines) = await ExportAsync("verifier-tamper-" + tamper);
        var edited = lines.ToList();
        int Find(string marker) => edited.FindIndex(l => l.Contains(marker, StringComparison.Ordinal));
        JsonObject Node(int at) => JsonNode.Parse(edited[at])!.AsObject();
        string At(int at) => $"{Node(at)["branch"]}@{Node(at)["seq"]}";
        string expected;
        switch (tamper)
        {
            case "merge-conflict":
                {
                    var at = Find("\"merge\":{");
                    var node = Node(at);
                    node["record"]!["merge"]!["conflicts"]![0]!["theirs"] = "theirz";
                    edited[at] = node.ToJsonString();
                    expected = At(at);
                    break;
                }
            case "merge-source":
                {
                    var at = Find("\"merge\":{");
                    var node = Node(at);
                    node["record"]!["merge"]!["source"]!["seq"] = node["record"]!["merge"]!["source"]!["seq"]!.GetValue<long>() - 1;
                    edited[at] = node.ToJsonString();
                    expected = At(at);
                    break;
                }
            case "resolution-choice":
                {
                    var at = Find("\"resolution\":{");
                    var node = Node(at);
                    node["record"]!["resolution"]!["decisions"]![1]!["choice"] = "ours";
                    edited[at] = node.ToJsonString();
                    expected = At(at);
                    break;
                }
            case "resolution-custom-text":
                {
                    var at = Find("\"resolution\":{");
                    var node = Node(at);
                    node["record"]!["resolution"]!["decisions"]![0]!["customText"] = "other words";
                    edited[at] = node.ToJsonString();
                    expected = At(at);
                    break;
                }
            case "domain-field":
                {
                    var at = Find("\"proposal.opened\"");
                    var node = Node(at);
                    node["record"]!["domain"]!["fields"]!["title"] = "Fix typo";
                    edited[at] = node.ToJsonString();
                    expected = At(at);
                    break;
                }
            case "fork-author":
                {
                    var at = Find("\"author\":\"carol\"");
                    edited[at] = edited[at].Replace("\"author\":\"carol\"", "\"author\":\"carl\"", StringComparison.Ordinal);
                    expected = At(at);
                    break;
                }
            case "deleted":
                {
                    var at = Find("\"resolution\":{");
                    expected = At(at + 1);
                    edited.RemoveAt(at);
                    break;
                }
            default:
                {
                    var at = Find("\"resolution\":{");
                    expected = At(at + 1);
                    (edited[at], edited[at + 1]) = (edited[at + 1], edited[at]);
                    break;
                }
        }
        var broken = ProofVerifier.VerifyExport(edited);
        Assert.NotNull(broken);
        Assert.StartsWith(expected.Replace("\"", "", StringComparison.Ordinal) + ":", broken, StringComparison.Ordinal);
    }
}
