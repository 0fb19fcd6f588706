using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using CollabAudit;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>Digests and proofs over REST, checked by the auditor's verifier of docs/verification.md.</summary>
public sealed class ProofEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    /// <summary>
    /// Creates the document, grants the roles (directory events on <c>main</c>, written through the branch's writer before
    /// the test appends behind its back), then appends <paramref name="mainEvents"/> updates after them.
    /// </summary>
    private async Task<HttpClient> DocumentWithEventsAsync(string id, int mainEvents, params (string User, string Role)[] grants)
    {
        var alice = factory.ClientFor("alice");
        (await alice.PostAsJsonAsync("/api/documents", new { id, title = id })).EnsureSuccessStatusCode();
        foreach (var (user, role) in grants) (await alice.PutAsJsonAsync($"/api/documents/{id}/permissions/{user}", new { role })).EnsureSuccessStatusCode();
        var store = factory.Services.GetRequiredService<IEventStore>();
        var main = BranchRef.MainOf(new DocumentId(id));
        for (var i = 0; i < mainEvents; i++)
        {
            await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 0, (byte)i, 1 }, i % 2 == 0 ? "alice" : "bob") { ClientIds = [(uint)(7 + i % 3)], ClientUpdateId = $"u{i}" });
        }
        return alice;
    }

    private static string[] Path(JsonElement proof) => [.. proof.GetProperty("path").EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task inclusion_and_consistency_proofs_from_the_server_check_with_the_documented_verifier()
    {
        using var alice = await DocumentWithEventsAsync("proofs-basic", 37, ("audrey", "auditor"));
        // Seqs 1 and 2 are the directory events (document.created, role.granted); the 37 updates follow, so the tree
        // sizes are d + n and the updates' seqs d + k.
        var d = await factory.MainHeadAsync("proofs-basic") - 37;
        using var audrey = factory.ClientFor("audrey");

        // The digest an auditor kept at seq 10, and the head digest later.
        var kept = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/proofs-basic/proofs/digest?seq={d + 10}");
        var head = await audrey.GetFromJsonAsync<JsonElement>("/api/documents/proofs-basic/proofs/digest");
        Assert.Equal(d + 10, kept.GetProperty("treeSize").GetInt64());
        Assert.Equal(d + 37, head.GetProperty("treeSize").GetInt64());
        var events = await audrey.GetFromJsonAsync<JsonElement>("/api/documents/proofs-basic/events?from=1&max=100");
        Assert.Equal(events[(int)d + 36].GetProperty("hash").GetString(), head.GetProperty("chainHash").GetString());

        var consistency = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/proofs-basic/proofs/consistency?from={d + 10}");
        Assert.Equal(kept.GetProperty("rootHash").GetString(), consistency.GetProperty("fromRoot").GetString());
        Assert.True(ProofVerifier.VerifyConsistency(d + 10, kept.GetProperty("rootHash").GetString()!, d + 37, head.GetProperty("rootHash").GetString()!, Path(consistency)));

        foreach (var seq in new[] { 1, 2, 10, 16, 17, 33, 37 }.Select(k => d + k))
        {
            var proof = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/proofs-basic/proofs/inclusion?seq={seq}&treeSize={d + 37}");
            // The leaf is recomputed from the event as the log shows it, not taken from the proof.
            var e = events[(int)seq - 1];
            var recomputed = ProofVerifier.EventHashV1(
                e.GetProperty("previousHash").GetString()!, "proofs-basic", "main", seq, e.GetProperty("kind").GetString()!, 1,
                e.GetProperty("author").GetString()!, e.GetProperty("serverTime").GetDateTimeOffset(), e.GetProperty("updateId").GetString(),
                [.. e.GetProperty("clientIds").EnumerateArray().Select(c => c.GetUInt32())], e.GetProperty("payload").GetBytesFromBase64());
            Assert.Equal(proof.GetProperty("eventHash").GetString(), recomputed);
            Assert.True(ProofVerifier.VerifyInclusion(recomputed, seq, d + 37, Path(proof), head.GetProperty("rootHash").GetString()!), $"seq {seq}");

            // An edited event, or any altered byte of the proof, fails.
            var edited = ProofVerifier.EventHashV1(
                e.GetProperty("previousHash").GetString()!, "proofs-basic", "main", seq, e.GetProperty("kind").GetString()!, 1,
                "mallory", e.GetProperty("serverTime").GetDateTimeOffset(), e.GetProperty("updateId").GetString(),
                [.. e.GetProperty("clientIds").EnumerateArray().Select(c => c.GetUInt32())], e.GetProperty("payload").GetBytesFromBase64());
            Assert.False(ProofVerifier.VerifyInclusion(edited, seq, d + 37, Path(proof), head.GetProperty("rootHash").GetString()!));
            var path = Path(proof);
            for (var i = 0; i < path.Length; i++)
            {
                var altered = (string[])path.Clone();
                altered[i] = Flip(altered[i]);
                Assert.False(ProofVerifier.VerifyInclusion(recomputed, seq, d + 37, altered, head.GetProperty("rootHash").GetString()!));
            }
        }
        var consistencyPath = Path(consistency);
        for (var i = 0; i < consistencyPath.Length; i++)
        {
            var altered = (string[])consistencyPath.Clone();
            altered[i] = Flip(altered[i]);
            Assert.False(ProofVerifier.VerifyConsistency(d + 10, kept.GetProperty("rootHash").GetString()!, d + 37, head.GetProperty("rootHash").GetString()!, altered));
        }
        Assert.False(ProofVerifier.VerifyConsistency(d + 10, Flip(kept.GetProperty("rootHash").GetString()!), d + 37, head.GetProperty("rootHash").GetString()!, consistencyPath));
    }

    [Fact]
    public async Task proofs_work_on_a_branch_with_a_slash_and_its_fork_extends_the_parents_digest()
    {
        using var alice = await DocumentWithEventsAsync("proofs-fork", 20);
        (await alice.PostAsJsonAsync("/api/documents/proofs-fork/branches", new { name = "feature/x", from = new { branch = "main", seq = 12 } })).EnsureSuccessStatusCode();
        var store = factory.Services.GetRequiredService<IEventStore>();
        var fork = new BranchRef(new DocumentId("proofs-fork"), new BranchName("feature/x"));
        for (var i = 0; i < 5; i++) await store.AppendAsync(fork, new NewEvent(EventKind.Update, new byte[] { 9, (byte)i }, "alice"));

        var mainAt12 = await alice.GetFromJsonAsync<JsonElement>("/api/documents/proofs-fork/proofs/digest?seq=12");
        var forkHead = await alice.GetFromJsonAsync<JsonElement>("/api/documents/proofs-fork/proofs/digest?branch=feature/x");
        Assert.Equal("feature/x", forkHead.GetProperty("branch").GetString());
        Assert.Equal(17, forkHead.GetProperty("treeSize").GetInt64());
        var consistency = await alice.GetFromJsonAsync<JsonElement>("/api/documents/proofs-fork/proofs/consistency?branch=feature/x&from=12&to=17");
        Assert.True(ProofVerifier.VerifyConsistency(12, mainAt12.GetProperty("rootHash").GetString()!, 17, forkHead.GetProperty("rootHash").GetString()!, Path(consistency)));
        var inclusion = await alice.GetFromJsonAsync<JsonElement>("/api/documents/proofs-fork/proofs/inclusion?branch=feature%2Fx&seq=15");
        Assert.True(ProofVerifier.VerifyInclusion(inclusion.GetProperty("eventHash").GetString()!, 15, 17, Path(inclusion), forkHead.GetProperty("rootHash").GetString()!));
    }

    [Fact]
    public async Task bad_positions_are_400_and_roles_without_history_are_403()
    {
        using var alice = await DocumentWithEventsAsync("proofs-refused", 5, ("eddie", "editor"));
        var beyondHead = await factory.MainHeadAsync("proofs-refused") + 1;
        using var eddie = factory.ClientFor("eddie");
        using var nobody = factory.ClientFor("nobody");

        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(new Uri("/api/documents/proofs-refused/proofs/inclusion", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(new Uri("/api/documents/proofs-refused/proofs/inclusion?seq=0", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(new Uri("/api/documents/proofs-refused/proofs/consistency?from=4&to=3", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(new Uri($"/api/documents/proofs-refused/proofs/digest?seq={beyondHead}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync(new Uri("/api/documents/proofs-refused/proofs/digest?branch=nope", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await eddie.GetAsync(new Uri("/api/documents/proofs-refused/proofs/digest", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(new Uri("/api/documents/proofs-refused/proofs/inclusion?seq=1", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task verify_all_checks_every_branch_and_plain_verify_keeps_its_shape()
    {
        using var alice = await DocumentWithEventsAsync("proofs-verify", 8);
        (await alice.PostAsJsonAsync("/api/documents/proofs-verify/branches", new { name = "b/1", from = new { branch = "main", seq = 4 } })).EnsureSuccessStatusCode();

        var all = await alice.GetFromJsonAsync<JsonElement>("/api/documents/proofs-verify/verify?all=true");
        Assert.True(all.GetProperty("valid").GetBoolean());
        Assert.Equal(["main", "b/1"], all.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("branch").GetString()!).ToArray());
        Assert.Equal(4, all.GetProperty("branches")[1].GetProperty("eventsChecked").GetInt64());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("firstBrokenSeq").ValueKind);

        var one = await alice.GetFromJsonAsync<JsonElement>("/api/documents/proofs-verify/verify");
        Assert.True(one.GetProperty("valid").GetBoolean());
        Assert.Equal(1 + 8, one.GetProperty("headSeq").GetInt64()); // document.created, then the 8 events
        Assert.False(one.TryGetProperty("branches", out _));
    }

    [Fact]
    public void the_verifier_in_the_docs_is_the_file_the_tests_compile()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(System.IO.Path.Combine(root, "Collab.sln"))) root = Directory.GetParent(root)!.FullName;
        var doc = File.ReadAllText(System.IO.Path.Combine(root, "docs", "verification.md")).ReplaceLineEndings("\n");
        var code = File.ReadAllText(System.IO.Path.Combine(root, "docs", "verification", "ProofVerifier.cs")).ReplaceLineEndings("\n");
        Assert.Contains("```csharp\n" + code + "```", doc, StringComparison.Ordinal);
    }

    private static string Flip(string hex) => (hex[0] == '0' ? "1" : "0") + hex[1..];
}
