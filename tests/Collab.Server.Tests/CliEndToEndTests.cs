using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Tests.Infrastructure;

namespace Collab.Server.Tests;

/// <summary>
/// The auditor's CLI (<c>collab</c>, client-sample/Collab.Cli) end to end: the built <c>collab.dll</c> run as a process
/// against a real server on a loopback port, and offline against an export file. Outputs and exit codes are exact.
/// </summary>
public sealed class CliEndToEndTests : IAsyncLifetime
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

    private sealed record CliResult(int Code, string Out, string Err);

    /// <summary>Runs <c>dotnet collab.dll args</c> against <paramref name="host"/> with the user's token in COLLAB_TOKEN.</summary>
    private static async Task<CliResult> CollabOnAsync(KestrelHost host, string? user, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "collab.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["COLLAB_SERVER"] = host.BaseAddress.ToString();
        start.Environment["COLLAB_TOKEN"] = user is null ? "" : host.Token(user);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A guard against a hung process, not a timing assertion.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(guard.Token);
        return new CliResult(process.ExitCode, (await stdout).ReplaceLineEndings("\n"), (await stderr).ReplaceLineEndings("\n"));
    }

    private Task<CliResult> CollabAsync(string? user, params string[] args) => CollabOnAsync(_host, user, args);

    private static JsonElement Json(CliResult result)
    {
        Assert.True(result.Code == 0, $"exit {result.Code}: {result.Err}");
        return JsonDocument.Parse(result.Out).RootElement.Clone();
    }

    [Fact]
    public async Task an_auditor_reads_diffs_blames_proves_and_exports_a_document_with_the_cli()
    {
        var doc = await _host.CreateDocumentAsync("alice", ("bob", "editor"), ("audrey", "auditor"));
        await using var alice = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 101);
        await using var bob = TestPeer.Create(_host.Hub(_host.Token("bob")), doc, clientId: 202);
        await alice.JoinAsync();
        await bob.JoinAsync();

        // Two users type; seqs come from the acks (relative to whatever the head was after creation).
        var s1 = (await alice.InsertAsync(0, "Pay the invoice.\n")).Seq!.Value;
        await bob.WaitForTextAsync("Pay the invoice.\n");
        var s2 = (await bob.InsertAsync(17, "Ship on Friday.\n")).Seq!.Value;
        await alice.WaitForTextAsync("Pay the invoice.\nShip on Friday.\n");

        // Bob names the version with the CLI; it is recorded as the next event.
        var named = await CollabAsync("bob", "versions", "add", "-d", doc, "--seq", $"{s2}", "Approved by legal");
        Assert.Equal(0, named.Code);
        Assert.Equal($"Named main@{s2} \"Approved by legal\" (recorded as main@{s2 + 1}).\n", named.Out);

        // The auditor keeps a digest now.
        var kept = Json(await CollabAsync("audrey", "digest", "-d", doc));
        var keptSize = kept.GetProperty("treeSize").GetInt64();
        var keptRoot = kept.GetProperty("rootHash").GetString()!;
        Assert.Equal(s2 + 1, keptSize);

        var s4 = (await alice.InsertAsync(33, "Call the bank.\n")).Seq!.Value;
        await bob.WaitForTextAsync("Pay the invoice.\nShip on Friday.\nCall the bank.\n");
        var s5 = (await bob.EditAsync(t =>
        {
            t.Delete(25, 6);
            t.Insert(25, "Monday");
        })).Seq!.Value;
        const string final = "Pay the invoice.\nShip on Monday.\nCall the bank.\n";
        await alice.WaitForTextAsync(final);
        Assert.Equal(s2 + 3, s5);

        // verify: every branch re-hashed.
        var verify = await CollabAsync("audrey", "verify", "-d", doc);
        Assert.Equal(0, verify.Code);
        Assert.Contains("main", verify.Out, StringComparison.Ordinal);
        Assert.Contains("yes", verify.Out, StringComparison.Ordinal);
        var verifyJson = Json(await CollabAsync("audrey", "--json", "verify", "-d", doc));
        Assert.True(verifyJson.GetProperty("valid").GetBoolean());
        Assert.Equal(s5, verifyJson.GetProperty("branches")[0].GetProperty("headSeq").GetInt64());

        // Consistency with the kept digest, checked locally; a kept root with one changed digit fails.
        var head = Json(await CollabAsync("audrey", "digest", "-d", doc));
        var headRoot = head.GetProperty("rootHash").GetString()!;
        var consistent = await CollabAsync("audrey", "proof", "consistency", "-d", doc, "--from", $"{keptSize}", "--from-root", keptRoot);
        Assert.Equal(0, consistent.Code);
        Assert.Equal($"valid: the tree of {s5} (root {headRoot}) extends the tree of {keptSize} (root {keptRoot})\n", consistent.Out);
        var forged = Flip(keptRoot);
        var inconsistent = await CollabAsync("audrey", "proof", "consistency", "-d", doc, "--from", $"{keptSize}", "--from-root", forged);
        Assert.Equal(1, inconsistent.Code);
        Assert.Equal($"INVALID: the proof does not show that the tree of {s5} (root {headRoot}) extends the tree of {keptSize} (root {forged})\n", inconsistent.Out);

        // Inclusion of Alice's first event under the kept digest; the leaf is the hash the log shows.
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _host.Token("audrey"));
        var events = await http.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/events?from={s1}&max=1");
        var s1Hash = events[0].GetProperty("hash").GetString()!;
        var included = await CollabAsync("audrey", "proof", "inclusion", "-d", doc, "--seq", $"{s1}", "--tree-size", $"{keptSize}", "--root", keptRoot);
        Assert.Equal(0, included.Code);
        Assert.Equal($"valid: event main@{s1} (hash {s1Hash}) is in the tree of {keptSize} with root {keptRoot}\n", included.Out);
        Assert.Equal(1, (await CollabAsync("audrey", "proof", "inclusion", "-d", doc, "--seq", $"{s1}", "--tree-size", $"{keptSize}", "--root", headRoot)).Code);

        // Content at a seq, at a version and at the head: exactly the text.
        Assert.Equal(new CliResult(0, "Pay the invoice.\n", ""), await CollabAsync("bob", "content", "-d", doc, "--seq", $"{s1}"));
        Assert.Equal(new CliResult(0, "Pay the invoice.\nShip on Friday.\n", ""), await CollabAsync("bob", "content", "-d", doc, "--version", "Approved by legal", "--root", "text"));
        Assert.Equal(new CliResult(0, final, ""), await CollabAsync("audrey", "content", "-d", doc));
        var contentJson = Json(await CollabAsync("audrey", "--json", "content", "-d", doc, "--seq", $"{s2}"));
        Assert.Equal(s2, contentJson.GetProperty("position").GetProperty("seq").GetInt64());
        Assert.Equal("Pay the invoice.\nShip on Friday.\n", contentJson.GetProperty("roots")[0].GetProperty("text").GetString());

        // Diff since the approved version: the unified text, exactly; --json names who inserted what.
        var diff = await CollabAsync("audrey", "diff", "-d", doc, $"main@{s2}");
        Assert.Equal(0, diff.Code);
        Assert.Equal(
            $"--- a/text\tmain@{s2}\n+++ b/text\tmain@{s5}\n@@ -1,2 +1,3 @@\n Pay the invoice.\n-Ship on Friday.\n+Ship on Monday.\n+Call the bank.\n",
            diff.Out);
        var sinceVersion = (await CollabAsync("audrey", "diff", "-d", doc, "version:Approved by legal", "main")).Out;
        Assert.StartsWith($"--- a/text\tmain@{s2} (version Approved by legal", sinceVersion, StringComparison.Ordinal);
        Assert.Equal(diff.Out[diff.Out.IndexOf("\n+++", StringComparison.Ordinal)..], sinceVersion[sinceVersion.IndexOf("\n+++", StringComparison.Ordinal)..]);
        var diffJson = Json(await CollabAsync("audrey", "--json", "diff", "-d", doc, $"main@{s2}", $"main@{s5}"));
        var inserts = diffJson.GetProperty("roots")[0].GetProperty("segments").EnumerateArray()
            .Where(s => s.GetProperty("op").GetString() == "insert")
            .Select(s => (s.GetProperty("content").GetString(), s.GetProperty("insertedBy").GetProperty("author").GetString(), s.GetProperty("insertedBy").GetProperty("seq").GetInt64()))
            .ToArray();
        Assert.Equal([("Monday", "bob", s5), ("Call the bank.\n", "alice", s4)], inserts);

        // Blame of the head: who wrote each range.
        var blame = Json(await CollabAsync("audrey", "--json", "blame", "-d", doc));
        var ranges = blame.GetProperty("roots")[0].GetProperty("ranges").EnumerateArray()
            .Select(r => (r.GetProperty("content").GetString(), r.GetProperty("insertedBy").GetProperty("author").GetString(), r.GetProperty("insertedBy").GetProperty("seq").GetInt64()))
            .ToArray();
        Assert.Equal([("Pay the invoice.\n", "alice", s1), ("Ship on ", "bob", s2), ("Monday", "bob", s5), (".\n", "bob", s2), ("Call the bank.\n", "alice", s4)], ranges);
        var blameTable = await CollabAsync("audrey", "blame", "-d", doc, "--seq", $"{s2}");
        Assert.Equal(0, blameTable.Code);
        Assert.Contains($"main@{s2} of {s5}", blameTable.Out, StringComparison.Ordinal);
        Assert.Contains("Ship on Friday.↵", blameTable.Out, StringComparison.Ordinal);

        // The timeline and the filtered log.
        var log = Json(await CollabAsync("audrey", "--json", "log", "-d", doc));
        Assert.Equal(["alice", "bob"], log.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("author").GetString()!).Order().ToArray());
        Assert.Equal("Approved by legal", log.GetProperty("versions")[0].GetProperty("name").GetString());
        var bobsEvents = Json(await CollabAsync("audrey", "--json", "log", "-d", doc, "--events", "--author", "bob"));
        Assert.Equal([(s2, "update"), (s2 + 1, "version"), (s5, "update")],
            bobsEvents.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("seq").GetInt64(), e.GetProperty("kind").GetString())).ToArray());
        var logTable = await CollabAsync("audrey", "log", "-d", doc, "--events", "--kind", "version");
        Assert.Equal(0, logTable.Code);
        Assert.Contains("version.named", logTable.Out, StringComparison.Ordinal);

        // Versions and the audit trail.
        var versions = Json(await CollabAsync("bob", "--json", "versions", "-d", doc));
        Assert.Equal(("Approved by legal", "main", s2, "bob"),
            (versions[0].GetProperty("name").GetString(), versions[0].GetProperty("branch").GetString(), versions[0].GetProperty("seq").GetInt64(), versions[0].GetProperty("createdBy").GetString()));
        var audit = Json(await CollabAsync("audrey", "--json", "audit", "-d", doc));
        Assert.Contains(audit.GetProperty("entries").EnumerateArray(), e => e.GetProperty("type").GetString() == "version.named" && e.GetProperty("seq").GetInt64() == s2 + 1 && e.GetProperty("by").GetString() == "bob");

        // Export, then verify the file offline (no server: a wrong server address would not matter).
        var file = Path.Combine(_folder, "export.ndjson");
        var export = await CollabAsync("audrey", "export", "-d", doc, "-o", file);
        Assert.True(export.Code == 0, export.Err);
        var offline = await CollabAsync(null, "verify-file", file);
        Assert.Equal(0, offline.Code);
        Assert.EndsWith($"valid: document {doc}, {s5} events.\n", offline.Out, StringComparison.Ordinal);

        // The read commands offline against the file (verified as it is loaded): the same answers as the server's.
        Assert.Equal(new CliResult(0, "Pay the invoice.\nShip on Friday.\n", ""), await CollabAsync(null, "content", "--file", file, "--seq", $"{s2}"));
        Assert.Equal(diff, await CollabAsync(null, "diff", "--file", file, $"main@{s2}"));
        Assert.Equal(head.GetRawText(), Json(await CollabAsync(null, "digest", "--file", file)).GetRawText());
        Assert.Equal(blame.GetRawText(), Json(await CollabAsync(null, "--json", "blame", "--file", file, "-d", doc)).GetRawText());
        Assert.Equal(consistent, await CollabAsync(null, "proof", "consistency", "--file", file, "--from", $"{keptSize}", "--from-root", keptRoot));
        Assert.Equal(versions.GetRawText(), Json(await CollabAsync(null, "--json", "versions", "--file", file)).GetRawText());
        Assert.Equal(2, (await CollabAsync(null, "versions", "add", "--file", file, "Later")).Code);

        // One edited author in Alice's "Call the bank." event: the file no longer verifies, and the event is named.
        var lines = await File.ReadAllLinesAsync(file);
        var at = Array.FindIndex(lines, l => l.Contains($"\"seq\":{s4},", StringComparison.Ordinal));
        Assert.Contains("\"author\":\"alice\"", lines[at], StringComparison.Ordinal);
        lines[at] = lines[at].Replace("\"author\":\"alice\"", "\"author\":\"alicf\"", StringComparison.Ordinal);
        var tampered = Path.Combine(_folder, "tampered.ndjson");
        await File.WriteAllLinesAsync(tampered, lines);
        var refused = await CollabAsync(null, "verify-file", tampered);
        Assert.Equal(1, refused.Code);
        Assert.StartsWith($"invalid: Import refused: event main@{s4} was changed", refused.Out, StringComparison.Ordinal);

        var offlineRefused = await CollabAsync(null, "content", "--file", tampered);
        Assert.Equal(1, offlineRefused.Code);
        Assert.StartsWith($"invalid: Import refused: event main@{s4} was changed", offlineRefused.Out, StringComparison.Ordinal);

        // Import into another server: the tampered file is refused naming the event, the real one gives the same text.
        var otherFolder = TestSettings.TempFolder();
        await using (var other = new KestrelHost(otherFolder, inMemory: true))
        {
            await other.StartAsync();
            var importRefused = await CollabOnAsync(other, "ivan", "import", tampered);
            Assert.Equal(2, importRefused.Code);
            Assert.Contains($"400 Bad Request: invalid: Import refused: event main@{s4} was changed", importRefused.Err, StringComparison.Ordinal);
            var imported = Json(await CollabOnAsync(other, "ivan", "--json", "import", file));
            Assert.Equal(doc, imported.GetProperty("documentId").GetString());
            Assert.Equal(new CliResult(0, final, ""), await CollabOnAsync(other, "ivan", "content", "-d", doc));
            // The exported head keeps its digest; the import added one event after it (document.imported).
            var exportedSize = head.GetProperty("treeSize").GetInt64();
            Assert.Equal(head.GetRawText(), Json(await CollabOnAsync(other, "ivan", "digest", "-d", doc, "--seq", $"{exportedSize}")).GetRawText());
            Assert.Equal(exportedSize + 1, Json(await CollabOnAsync(other, "ivan", "digest", "-d", doc)).GetProperty("treeSize").GetInt64());
        }
        Directory.Delete(otherFolder, recursive: true);
    }

    [Fact]
    public async Task refusals_are_clear_errors_with_non_zero_exit_codes()
    {
        var doc = await _host.CreateDocumentAsync("alice", ("eddie", "editor"));
        var head = await _host.MainHeadAsync(doc);

        var missing = await CollabAsync("alice", "content", "-d", "no-such-doc");
        Assert.Equal(2, missing.Code);
        Assert.Equal("", missing.Out);
        Assert.StartsWith("error: 404 Not Found: not_found: ", missing.Err, StringComparison.Ordinal);
        Assert.Contains("no-such-doc", missing.Err, StringComparison.Ordinal);

        var badPosition = await CollabAsync("alice", "content", "-d", doc, "--seq", $"{head + 5}");
        Assert.Equal(2, badPosition.Code);
        Assert.StartsWith("error: 400 Bad Request: invalid: ", badPosition.Err, StringComparison.Ordinal);

        var wrong = await CollabAsync(null, "--token", "not-a-token", "diff", "-d", doc, "main@0");
        Assert.Equal(2, wrong.Code);
        Assert.Equal("error: 401 Unauthorized: the server did not accept the token (give a valid one with --token or COLLAB_TOKEN)\n", wrong.Err);

        var forbidden = await CollabAsync("eddie", "blame", "-d", doc);
        Assert.Equal(2, forbidden.Code);
        Assert.StartsWith("error: 403 Forbidden: forbidden: ", forbidden.Err, StringComparison.Ordinal);

        var usage = await CollabAsync("alice", "content");
        Assert.Equal(64, usage.Code);
        Assert.Contains("--document", usage.Err, StringComparison.Ordinal);

        var noFile = await CollabAsync(null, "verify-file", Path.Combine(_folder, "nope.ndjson"));
        Assert.Equal(2, noFile.Code);
        Assert.Contains("nope.ndjson", noFile.Err, StringComparison.Ordinal);
    }

    private static string Flip(string hex) => (hex[0] == '0' ? "1" : "0") + hex[1..];
}
