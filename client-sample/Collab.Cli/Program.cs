using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Documents;
using Collab.Documents.Proofs;
using Collab.EventStore;
using Collab.EventStore.Merkle;
using Spectre.Console;

namespace Collab.Cli;

/// <summary>
/// <c>collab</c>, the auditor's CLI (docs/verification.md, docs/history-and-audit.md): read a document's history
/// (content, diff, blame, log, versions, audit), verify a document, get and check proofs, keep digests, export and
/// import — against a server, or (<c>--file</c>) offline against an export file. Proofs are checked here, not trusted.
/// </summary>
internal static class Program
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static readonly Option<string> Server = new("--server") { Description = "Server URL (or COLLAB_SERVER).", Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COLLAB_SERVER") ?? "http://localhost:5000" };
    internal static readonly Option<string?> Token = new("--token") { Description = "Bearer token (or COLLAB_TOKEN).", Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COLLAB_TOKEN") };
    internal static readonly Option<bool> AsJson = new("--json") { Description = "Print JSON instead of tables.", Recursive = true };
    internal static readonly Option<string?> Document = new("--document", "-d") { Description = "Document id (with --file: optional, the file's document)." };
    internal static readonly Option<FileInfo?> OfflineFile = new("--file") { Description = "Read an export file instead of a server (content, diff, blame, log, versions, verify, digest, proof): it is verified first.", Recursive = true };
    internal static readonly Option<string> Branch = new("--branch", "-b") { Description = "Branch (default main).", DefaultValueFactory = _ => "main" };

    /// <summary>Progress displays go to stderr, so that stdout holds only the answer (a script's --json stays JSON).</summary>
    internal static readonly IAnsiConsole Progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Exit codes: 0 done (or valid), 1 invalid (a proof, a chain or a file that does not verify), 2 the request failed or was refused, 64 bad usage.</summary>
    public const int Valid = 0, Invalid = 1, RequestFailed = 2, Usage = 64;

    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Collab auditor's CLI: read a document's history (content, diff, blame, log, versions, audit), verify documents, check Merkle proofs, export, import and verify exports.");
        root.Options.Add(Server);
        root.Options.Add(Token);
        root.Options.Add(AsJson);
        root.Options.Add(OfflineFile);
        root.Subcommands.Add(VerifyCommand());
        root.Subcommands.Add(DigestCommand());
        root.Subcommands.Add(ProofCommand());
        root.Subcommands.Add(ExportCommand());
        root.Subcommands.Add(VerifyFileCommand());
        foreach (var command in HistoryCommands.All()) root.Subcommands.Add(command);
        root.Subcommands.Add(TransferCommands.Import());
        // Into a file or a pipe, lines are never wrapped at the default 80 columns: scripts and tests read whole lines.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 4096;
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await Console.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            await Console.Error.WriteLineAsync("Run 'collab --help' (or 'collab <command> --help') for usage.").ConfigureAwait(false);
            return Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            await Console.Error.WriteLineAsync("Run 'collab --help' (or 'collab <command> --help') for usage.").ConfigureAwait(false);
            return Usage;
        }
        catch (OfflineFileInvalidException ex)
        {
            Console.WriteLine($"invalid: {ex.Message}");
            return Invalid;
        }
        catch (CliRequestException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return RequestFailed;
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"error: cannot reach {parse.GetValue(Server)}: {ex.Message}").ConfigureAwait(false);
            return RequestFailed;
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return RequestFailed;
        }
    }

    private static Command VerifyCommand()
    {
        var command = new Command("verify", "Re-hash every branch of a document (on the server, or in --file) and name the first broken link.") { Document };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Client(parse);
            var result = await GetAsync<DocumentVerificationView>(http, DocumentPath(parse, "verify?all=true"), ct).ConfigureAwait(false);
            if (parse.GetValue(AsJson)) Print(result);
            else
            {
                var table = new Table().AddColumns("Branch", "Valid", "Head", "Events", "First broken");
                foreach (var b in result.Branches)
                {
                    table.AddRow(Markup.Escape(b.Branch), b.Valid ? "[green]yes[/]" : "[red]no[/]", b.HeadSeq.ToString(System.Globalization.CultureInfo.InvariantCulture), b.EventsChecked.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        b.FirstBrokenSeq is null ? "" : Markup.Escape($"{b.FirstBrokenBranch}@{b.FirstBrokenSeq}: {b.FirstBrokenReason}"));
                }
                AnsiConsole.Write(table);
            }
            return result.Valid ? Valid : Invalid;
        });
        return command;
    }

    private static Command DigestCommand()
    {
        var seq = new Option<long?>("--seq") { Description = "Tree size (default: head)." };
        var command = new Command("digest", "Get a branch's digest (tree size, chain hash, Merkle root) to keep.") { Document, Branch, seq };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Client(parse);
            var query = $"branch={Uri.EscapeDataString(parse.GetValue(Branch)!)}" + (parse.GetValue(seq) is { } s ? $"&seq={s}" : "");
            Print(await GetAsync<DigestView>(http, DocumentPath(parse, $"proofs/digest?{query}"), ct).ConfigureAwait(false));
            return 0;
        });
        return command;
    }

    private static Command ProofCommand()
    {
        var seq = new Option<long>("--seq") { Description = "The event's seq.", Required = true };
        var treeSize = new Option<long?>("--tree-size") { Description = "Tree size (default: head)." };
        var root = new Option<string?>("--root") { Description = "A root hash you kept for that tree size: the proof must end in it." };
        var inclusion = new Command("inclusion", "Get and check the proof that an event is in a branch's tree.") { Document, Branch, seq, treeSize, root };
        inclusion.SetAction(async (parse, ct) =>
        {
            using var http = Client(parse);
            var query = $"branch={Uri.EscapeDataString(parse.GetValue(Branch)!)}&seq={parse.GetValue(seq)}" + (parse.GetValue(treeSize) is { } n ? $"&treeSize={n}" : "");
            var proof = await GetAsync<InclusionProofView>(http, DocumentPath(parse, $"proofs/inclusion?{query}"), ct).ConfigureAwait(false);
            var expectedRoot = parse.GetValue(root) ?? proof.RootHash;
            var ok = MerkleProofs.VerifyInclusion(MerkleHash.Leaf(EventHash.Parse(proof.EventHash)), proof.Seq - 1, proof.TreeSize, [.. proof.Path.Select(EventHash.Parse)], EventHash.Parse(expectedRoot));
            return Report(parse, proof, ok, $"event {proof.Branch}@{proof.Seq} (hash {proof.EventHash}) is in the tree of {proof.TreeSize} with root {expectedRoot}");
        });

        var from = new Option<long>("--from") { Description = "The earlier tree size (a digest you kept).", Required = true };
        var to = new Option<long?>("--to") { Description = "The later tree size (default: head)." };
        var fromRoot = new Option<string?>("--from-root") { Description = "The root you kept for --from: the proof must start from it." };
        var consistency = new Command("consistency", "Get and check the proof that a branch's later tree extends an earlier one.") { Document, Branch, from, to, fromRoot };
        consistency.SetAction(async (parse, ct) =>
        {
            using var http = Client(parse);
            var query = $"branch={Uri.EscapeDataString(parse.GetValue(Branch)!)}&from={parse.GetValue(from)}" + (parse.GetValue(to) is { } n ? $"&to={n}" : "");
            var proof = await GetAsync<ConsistencyProofView>(http, DocumentPath(parse, $"proofs/consistency?{query}"), ct).ConfigureAwait(false);
            var kept = parse.GetValue(fromRoot) ?? proof.FromRoot;
            var ok = MerkleProofs.VerifyConsistency(proof.From, EventHash.Parse(kept), proof.To, EventHash.Parse(proof.ToRoot), [.. proof.Path.Select(EventHash.Parse)]);
            return Report(parse, proof, ok, $"the tree of {proof.To} (root {proof.ToRoot}) extends the tree of {proof.From} (root {kept})");
        });
        var proof = new Command("proof", "Inclusion and consistency proofs, checked locally.") { inclusion, consistency };
        proof.Aliases.Add("prove");
        return proof;
    }

    private static Command ExportCommand()
    {
        var output = new Option<FileInfo>("--out", "-o") { Description = "File to write.", Required = true };
        var command = new Command("export", "Download a document's whole log as one file.") { Document, output };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Client(parse);
            using var response = await http.GetAsync(new Uri(DocumentPath(parse, "export"), UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            await EnsureAsync(response, ct).ConfigureAwait(false);
            var file = parse.GetValue(output)!;
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var target = file.Create();
            await Progress.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask("export", maxValue: double.MaxValue);
                task.IsIndeterminate = true;
                var buffer = new byte[1 << 16];
                for (int read; (read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0;)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    task.Description = $"export: {target.Length / 1e6:F1} MB";
                }
                task.StopTask();
            }).ConfigureAwait(false);
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(file.FullName)}[/] ({target.Length:N0} bytes). Check it offline with [bold]collab verify-file[/].");
            return Valid;
        });
        return command;
    }

    private static Command VerifyFileCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "An export file (collab.export.v1)." };
        var command = new Command("verify-file", "Verify an export file offline: every seq, link, hash, record, fork and head.") { file };
        command.SetAction(async (parse, ct) =>
        {
            await using var input = parse.GetValue(file)!.OpenRead();
            try
            {
                var result = await DocumentTransfer.VerifyFileAsync(input, ct).ConfigureAwait(false);
                if (parse.GetValue(AsJson)) Print(result);
                else
                {
                    var table = new Table().AddColumns("Branch", "Head", "Head hash");
                    foreach (var b in result.Branches) table.AddRow(Markup.Escape(b.Branch), b.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Hash);
                    AnsiConsole.Write(table);
                    AnsiConsole.MarkupLine($"[green]valid[/]: document {Markup.Escape(result.DocumentId)}, {result.Events:N0} events.");
                }
                return 0;
            }
            catch (CollabException ex)
            {
                AnsiConsole.MarkupLine($"[red]invalid[/]: {Markup.Escape(ex.Message)}");
                return 1;
            }
        });
        return command;
    }

    private static int Report<T>(ParseResult parse, T proof, bool ok, string claim)
    {
        if (parse.GetValue(AsJson)) Print(new { valid = ok, proof });
        else AnsiConsole.MarkupLine(ok ? $"[green]valid[/]: {Markup.Escape(claim)}" : $"[red]INVALID[/]: the proof does not show that {Markup.Escape(claim)}");
        return ok ? Valid : Invalid;
    }

    internal static HttpClient Client(ParseResult parse)
    {
        if (parse.GetValue(OfflineFile) is { } file)
        {
            if (!file.Exists) throw new FileNotFoundException($"Could not find file '{file.FullName}'.", file.FullName);
            return new HttpClient(new OfflineHandler(file)) { BaseAddress = new Uri("http://export.file/"), Timeout = Timeout.InfiniteTimeSpan };
        }
        var server = parse.GetValue(Server)!;
        var http = new HttpClient { BaseAddress = new Uri(server.EndsWith('/') ? server : server + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (parse.GetValue(Token) is { Length: > 0 } token) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Stands for "the document in the export file" when <c>--file</c> is given without <c>--document</c>.</summary>
    internal const string FileDocument = "-";

    /// <summary>The path of a document's resource: <c>api/documents/{id}/{rest}</c>, the id escaped.</summary>
    internal static string DocumentPath(ParseResult parse, string rest)
    {
        var id = parse.GetValue(Document) ?? (parse.GetValue(OfflineFile) is null ? throw new UsageException("Option '--document' is required.") : FileDocument);
        return $"api/documents/{Uri.EscapeDataString(id)}/{rest}";
    }

    internal static async Task<T> GetAsync<T>(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false))!;
    }

    internal static async Task<string> GetTextAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Throws a <see cref="CliRequestException"/> naming the status and the server's reason (problem+json detail) when the request failed.</summary>
    internal static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        string reason;
        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            reason = "the server did not accept the token (give a valid one with --token or COLLAB_TOKEN)";
        }
        else
        {
            reason = body;
            try
            {
                using var problem = JsonDocument.Parse(body);
                if (problem.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var title = problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                    var detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
                    reason = string.Join(": ", new[] { title, detail }.Where(x => !string.IsNullOrEmpty(x)));
                }
            }
            catch (JsonException)
            {
                // not problem+json: show the body as it is
            }
        }
        throw new CliRequestException(string.IsNullOrWhiteSpace(reason) ? status : $"{status}: {reason}");
    }

    internal static void Print<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));

    internal static bool JsonOutput(ParseResult parse) => parse.GetValue(AsJson);
}

/// <summary>The command line lacks something a command needs.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A request the server refused or answered with an error; the message names the status and the reason.</summary>
internal sealed class CliRequestException(string message) : Exception(message);
