using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;

namespace Collab.Cli;

/// <summary>
/// The commands that read a document's history over the server's REST endpoints (docs/history-and-audit.md):
/// content at any position, diff, blame, the activity timeline and the filtered event log, named versions and the
/// audit trail. Text and unified diffs are printed exactly as the server renders them; tables on a terminal; the
/// server's JSON with <c>--json</c>.
/// </summary>
internal static class HistoryCommands
{
    private static readonly Option<long?> Seq = new("--seq") { Description = "A seq of the branch (0 = empty; default: head)." };
    private static readonly Option<string?> At = new("--at") { Description = "A time (ISO 8601): the last event at or before it." };
    private static readonly Option<string?> Version = new("--version") { Description = "A named version." };
    private static readonly Option<string?> Root = new("--root") { Description = "Only this root (type) of the document." };

    /// <summary>Every history command, in the order <c>collab --help</c> lists them.</summary>
    public static IEnumerable<Command> All() => [ContentCommand(), DiffCommand(), BlameCommand(), LogCommand(), VersionsCommand(), AuditCommand()];

    // ?branch=&seq=|at=|version= of the history endpoints (branch left out with a version: the version names it).
    private static string PositionQuery(ParseResult parse)
    {
        var query = new List<string>();
        var version = parse.GetValue(Version);
        var branch = parse.GetValue(Program.Branch)!;
        if (version is null || parse.GetResult(Program.Branch) is { Implicit: false }) query.Add("branch=" + Uri.EscapeDataString(branch));
        if (parse.GetValue(Seq) is { } seq) query.Add("seq=" + seq.ToString(CultureInfo.InvariantCulture));
        if (parse.GetValue(At) is { } at) query.Add("at=" + Uri.EscapeDataString(at));
        if (version is not null) query.Add("version=" + Uri.EscapeDataString(version));
        return string.Join('&', query);
    }

    private static Command ContentCommand()
    {
        var update = new Option<FileInfo?>("--update") { Description = "Write the version as a Yjs v1 update (Y.applyUpdate) to this file instead." };
        var command = new Command("content", "A branch's content at any position (--seq, --at or --version): each root's text, JSON or XML.") { Program.Document, Program.Branch, Seq, At, Version, Root, update };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            var position = PositionQuery(parse);
            if (parse.GetValue(update) is { } file)
            {
                using var response = await http.GetAsync(new Uri(Program.DocumentPath(parse, $"history/content?{position}&format=update"), UriKind.Relative), ct).ConfigureAwait(false);
                await Program.EnsureAsync(response, ct).ConfigureAwait(false);
                var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                await File.WriteAllBytesAsync(file.FullName, bytes, ct).ConfigureAwait(false);
                var at = $"{Header(response, "X-Collab-Branch")}@{Header(response, "X-Collab-Seq")}";
                await Console.Error.WriteLineAsync($"Wrote {file.FullName} ({bytes.Length:N0} bytes): the Yjs update of {at}.").ConfigureAwait(false);
                return Program.Valid;
            }
            if (parse.GetValue(Root) is { } root && !Program.JsonOutput(parse))
            {
                // One root as plain text, exactly as stored: no added newline, so that it can be compared or diffed.
                Console.Out.Write(await Program.GetTextAsync(http, Program.DocumentPath(parse, $"history/content?{position}&format=text&root={Uri.EscapeDataString(root)}"), ct).ConfigureAwait(false));
                return Program.Valid;
            }
            var content = await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, $"history/content?{position}"), ct).ConfigureAwait(false);
            if (Program.JsonOutput(parse))
            {
                Program.Print(content);
                return Program.Valid;
            }
            var roots = content.GetProperty("roots").EnumerateArray().ToList();
            foreach (var r in roots)
            {
                // A single root prints alone (exactly its text); several are each introduced by a header line.
                if (roots.Count > 1) Console.Out.WriteLine($"== {r.GetProperty("name").GetString()} ({r.GetProperty("kind").GetString()}) ==");
                Console.Out.Write(Render(r));
                if (roots.Count > 1) Console.Out.WriteLine();
            }
            return Program.Valid;
        });
        return command;
    }

    private static string Render(JsonElement root)
    {
        if (root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) return text.GetString()!;
        if (root.TryGetProperty("xml", out var xml) && xml.ValueKind == JsonValueKind.String) return xml.GetString()!;
        if (root.TryGetProperty("value", out var value) && value.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined) return JsonSerializer.Serialize(value, Program.Json) + "\n";
        return "";
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(',', values) : "?";

    private static Command DiffCommand()
    {
        var from = new Argument<string>("base") { Description = "The earlier position: main, main@12, main@2026-12-07T10:00:00Z or version:NAME." };
        var to = new Argument<string?>("head") { Description = "The later position (default: the head of base's branch).", DefaultValueFactory = _ => null };
        var command = new Command("diff", "What changed between two positions of a branch or two branches: a unified diff (--json: every inserted and deleted run with its author and event).") { Program.Document, from, to };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            var @base = parse.GetValue(from)!;
            var head = parse.GetValue(to) ?? DefaultHead(@base);
            var query = $"history/compare?base={Uri.EscapeDataString(@base)}&head={Uri.EscapeDataString(head)}";
            if (Program.JsonOutput(parse)) Program.Print(await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, query), ct).ConfigureAwait(false));
            else Console.Out.Write(await Program.GetTextAsync(http, Program.DocumentPath(parse, query + "&format=unified"), ct).ConfigureAwait(false));
            return Program.Valid;
        });
        return command;
    }

    // The head of the base's branch: "main@12" → "main"; a version (whose branch the CLI does not know) → "main".
    private static string DefaultHead(string @base)
    {
        if (@base.StartsWith("version:", StringComparison.Ordinal)) return "main";
        var at = @base.LastIndexOf('@');
        return at > 0 ? @base[..at] : @base;
    }

    private static Command BlameCommand()
    {
        var command = new Command("blame", "Who wrote each part of a version: for each range of each root, the event, author and time that inserted it.") { Program.Document, Program.Branch, Seq, At, Version, Root };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            var query = PositionQuery(parse) + (parse.GetValue(Root) is { } root ? "&root=" + Uri.EscapeDataString(root) : "");
            var blame = await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, $"history/blame?{query}"), ct).ConfigureAwait(false);
            if (Program.JsonOutput(parse))
            {
                Program.Print(blame);
                return Program.Valid;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(PositionText(blame.GetProperty("position")))}[/]");
            foreach (var r in blame.GetProperty("roots").EnumerateArray())
            {
                var table = new Table().Title(Markup.Escape($"{r.GetProperty("name").GetString()} ({r.GetProperty("kind").GetString()})")).AddColumns("Start", "Event", "Author", "Time", "Content");
                foreach (var range in r.GetProperty("ranges").EnumerateArray())
                {
                    var mark = range.TryGetProperty("insertedBy", out var by) && by.ValueKind == JsonValueKind.Object ? by : default;
                    var key = range.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() + ": " : "";
                    table.AddRow(
                        range.GetProperty("start").GetInt32().ToString(CultureInfo.InvariantCulture),
                        mark.ValueKind == JsonValueKind.Object ? Markup.Escape($"{mark.GetProperty("branch").GetString()}@{mark.GetProperty("seq").GetInt64()}") : "?",
                        mark.ValueKind == JsonValueKind.Object ? Markup.Escape(mark.GetProperty("author").GetString()!) : "?",
                        mark.ValueKind == JsonValueKind.Object ? Time(mark.GetProperty("time")) : "",
                        Markup.Escape(Visible(key + range.GetProperty("content").GetString())));
                }
                AnsiConsole.Write(table);
            }
            var authors = new Table().AddColumns("Author", "Units");
            foreach (var a in blame.GetProperty("authors").EnumerateArray()) authors.AddRow(Markup.Escape(a.GetProperty("author").GetString()!), a.GetProperty("units").GetInt32().ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(authors);
            return Program.Valid;
        });
        return command;
    }

    private static Command LogCommand()
    {
        var gap = new Option<string?>("--group-gap") { Description = "The pause that ends a session: 90s, 5m (default), 2h, 1d." };
        var events = new Option<bool>("--events") { Description = "The raw event log (filtered) instead of the sessions." };
        var author = new Option<string?>("--author") { Description = "With --events: only this author's events." };
        var kind = new Option<string?>("--kind") { Description = "With --events: only events of this kind (update, merge, version, restore, directory…)." };
        var since = new Option<string?>("--since") { Description = "With --events: only events at or after this time (ISO 8601)." };
        var until = new Option<string?>("--until") { Description = "With --events: only events at or before this time (ISO 8601)." };
        var from = new Option<long?>("--from") { Description = "With --events: the first seq to look at (a page's 'next')." };
        var max = new Option<int?>("--max") { Description = "With --events: the most events to look at (default 100, at most 1000)." };
        var command = new Command("log", "The timeline: edits grouped into sessions by author and pause, with the named versions; or (--events) the raw event log filtered by author, kind and time.")
        {
            Program.Document, Program.Branch, Seq, At, Version, gap, events, author, kind, since, until, from, max,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            if (parse.GetValue(events))
            {
                var query = new StringBuilder("branch=" + Uri.EscapeDataString(parse.GetValue(Program.Branch)!));
                void Add(string name, string? value)
                {
                    if (value is not null) query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
                }
                Add("author", parse.GetValue(author));
                Add("kind", parse.GetValue(kind));
                Add("since", parse.GetValue(since));
                Add("until", parse.GetValue(until));
                Add("from", parse.GetValue(from)?.ToString(CultureInfo.InvariantCulture));
                Add("max", parse.GetValue(max)?.ToString(CultureInfo.InvariantCulture));
                var page = await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, $"history/events?{query}"), ct).ConfigureAwait(false);
                if (Program.JsonOutput(parse))
                {
                    Program.Print(page);
                    return Program.Valid;
                }
                var table = new Table().AddColumns("Event", "Kind", "Author", "Time", "Inserted", "Deleted", "Roots", "Record", "Hash");
                foreach (var e in page.GetProperty("events").EnumerateArray())
                {
                    var record = e.GetProperty("recordType").ValueKind == JsonValueKind.String
                        ? e.GetProperty("recordType").GetString() + " " + string.Join(", ", e.GetProperty("record").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"))
                        : "";
                    table.AddRow(
                        Markup.Escape($"{e.GetProperty("branch").GetString()}@{e.GetProperty("seq").GetInt64()}"),
                        Markup.Escape(e.GetProperty("kind").GetString()!),
                        Markup.Escape(e.GetProperty("author").GetString()!),
                        Time(e.GetProperty("serverTime")),
                        (e.GetProperty("charsInserted").GetInt32() + e.GetProperty("valuesInserted").GetInt32()).ToString(CultureInfo.InvariantCulture),
                        e.GetProperty("deleted").GetInt32().ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(string.Join(", ", e.GetProperty("roots").EnumerateArray().Select(x => x.GetString()))),
                        Markup.Escape(record),
                        e.GetProperty("hash").GetString()![..12]);
                }
                AnsiConsole.Write(table);
                if (page.GetProperty("next").ValueKind == JsonValueKind.Number) AnsiConsole.MarkupLine($"More events: add [bold]--from {page.GetProperty("next").GetInt64()}[/].");
                return Program.Valid;
            }

            var activityQuery = PositionQuery(parse) + (parse.GetValue(gap) is { } g ? "&groupGap=" + Uri.EscapeDataString(g) : "");
            var activity = await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, $"history/activity?{activityQuery}"), ct).ConfigureAwait(false);
            if (Program.JsonOutput(parse))
            {
                Program.Print(activity);
                return Program.Valid;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(PositionText(activity.GetProperty("position")))}[/]");
            var sessions = new Table().AddColumns("Author", "Seqs", "From", "To", "Events", "Chars +", "Values +", "Deleted", "Roots", "Kinds");
            foreach (var s in activity.GetProperty("sessions").EnumerateArray())
            {
                sessions.AddRow(
                    Markup.Escape(s.GetProperty("author").GetString()!),
                    $"{s.GetProperty("firstSeq").GetInt64()}–{s.GetProperty("lastSeq").GetInt64()}",
                    Time(s.GetProperty("firstTime")),
                    Time(s.GetProperty("lastTime")),
                    s.GetProperty("events").GetInt32().ToString(CultureInfo.InvariantCulture),
                    s.GetProperty("charsInserted").GetInt32().ToString(CultureInfo.InvariantCulture),
                    s.GetProperty("valuesInserted").GetInt32().ToString(CultureInfo.InvariantCulture),
                    s.GetProperty("deleted").GetInt32().ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join(", ", s.GetProperty("roots").EnumerateArray().Select(x => x.GetString()))),
                    Markup.Escape(string.Join(", ", s.GetProperty("kinds").EnumerateArray().Select(x => x.GetString()))));
            }
            AnsiConsole.Write(sessions);
            WriteVersions(activity.GetProperty("versions"));
            return Program.Valid;
        });
        return command;
    }

    private static Command VersionsCommand()
    {
        var list = new Command("versions", "The document's named versions; 'versions add' names a position, 'versions restore' makes a branch equal a version again (one new event).") { Program.Document };
        list.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            var versions = await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, "versions"), ct).ConfigureAwait(false);
            if (Program.JsonOutput(parse)) Program.Print(versions);
            else WriteVersions(versions);
            return Program.Valid;
        });

        var name = new Argument<string>("name") { Description = "The version's name (1–100 characters, no '/')." };
        var seq = new Option<long?>("--seq") { Description = "The seq to name (default: the branch's head)." };
        var add = new Command("add", "Name a position of a branch (editor, owner).") { Program.Document, Program.Branch, seq, name };
        add.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            using var response = await http.PostAsJsonAsync(new Uri(Program.DocumentPath(parse, "versions"), UriKind.Relative), new { name = parse.GetValue(name), branch = parse.GetValue(Program.Branch), seq = parse.GetValue(seq) }, Program.Json, ct).ConfigureAwait(false);
            await Program.EnsureAsync(response, ct).ConfigureAwait(false);
            var created = await response.Content.ReadFromJsonAsync<JsonElement>(Program.Json, ct).ConfigureAwait(false);
            if (Program.JsonOutput(parse)) Program.Print(created);
            else AnsiConsole.MarkupLine(Markup.Escape($"Named {created.GetProperty("branch").GetString()}@{created.GetProperty("seq").GetInt64()} \"{created.GetProperty("name").GetString()}\" (recorded as {created.GetProperty("recordBranch").GetString()}@{created.GetProperty("recordSeq").GetInt64()})."));
            return Program.Valid;
        });

        var onto = new Option<string?>("--onto") { Description = "The branch to restore onto (default: the version's)." };
        var restore = new Command("restore", "Make a branch equal a version again, as one new 'restore' event (editor, owner).") { Program.Document, onto, name };
        restore.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            using var response = await http.PostAsJsonAsync(new Uri(Program.DocumentPath(parse, $"versions/{Uri.EscapeDataString(parse.GetValue(name)!)}/restore"), UriKind.Relative), new { branch = parse.GetValue(onto) }, Program.Json, ct).ConfigureAwait(false);
            await Program.EnsureAsync(response, ct).ConfigureAwait(false);
            var result = await response.Content.ReadFromJsonAsync<JsonElement>(Program.Json, ct).ConfigureAwait(false);
            if (Program.JsonOutput(parse)) Program.Print(result);
            else if (result.GetProperty("changed").GetBoolean()) AnsiConsole.MarkupLine(Markup.Escape($"Restored \"{result.GetProperty("version").GetString()}\" onto {result.GetProperty("branch").GetString()} as event {result.GetProperty("branch").GetString()}@{result.GetProperty("seq").GetInt64()}."));
            else AnsiConsole.MarkupLine(Markup.Escape($"{result.GetProperty("branch").GetString()} already equals \"{result.GetProperty("version").GetString()}\": only the record was written."));
            return Program.Valid;
        });
        list.Subcommands.Add(add);
        list.Subcommands.Add(restore);
        return list;
    }

    private static void WriteVersions(JsonElement versions)
    {
        var table = new Table().AddColumns("Version", "Position", "Named by", "At", "Record");
        foreach (var v in versions.EnumerateArray())
        {
            table.AddRow(
                Markup.Escape(v.GetProperty("name").GetString()!),
                Markup.Escape($"{v.GetProperty("branch").GetString()}@{v.GetProperty("seq").GetInt64()}"),
                Markup.Escape(v.GetProperty("createdBy").GetString()!),
                Time(v.GetProperty("createdAt")),
                Markup.Escape($"{v.GetProperty("recordBranch").GetString()}@{v.GetProperty("recordSeq").GetInt64()}"));
        }
        AnsiConsole.Write(table);
    }

    private static Command AuditCommand()
    {
        var after = new Option<string?>("--after") { Description = "A cursor ('next' of an earlier run): only the entries after it." };
        var limit = new Option<int?>("--limit") { Description = "Entries per request (1–1000, default 100); every page is read." };
        var command = new Command("audit", "The audit trail: every fork, merge, resolution, revert, proposal, version, restore and directory event (creation, roles), with who, when, where and its hash.") { Program.Document, after, limit };
        command.SetAction(async (parse, ct) =>
        {
            using var http = Program.Client(parse);
            var entries = new List<JsonElement>();
            var cursor = parse.GetValue(after);
            while (true)
            {
                var query = (cursor is null ? "" : "after=" + Uri.EscapeDataString(cursor) + "&") + "limit=" + (parse.GetValue(limit) ?? 100).ToString(CultureInfo.InvariantCulture);
                var page = await Program.GetAsync<JsonElement>(http, Program.DocumentPath(parse, $"audit?{query}"), ct).ConfigureAwait(false);
                entries.AddRange(page.GetProperty("entries").EnumerateArray());
                cursor = page.GetProperty("next").GetString();
                if (!page.GetProperty("hasMore").GetBoolean()) break;
            }
            if (Program.JsonOutput(parse))
            {
                Program.Print(new { entries, next = cursor });
                return Program.Valid;
            }
            var table = new Table().AddColumns("Event", "Type", "By", "At", "Details", "Hash");
            foreach (var e in entries)
            {
                var details = string.Join(", ", e.GetProperty("fields").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"));
                if (e.TryGetProperty("conflicts", out var conflicts) && conflicts.ValueKind == JsonValueKind.Array && conflicts.GetArrayLength() > 0)
                {
                    details += $" ({conflicts.GetArrayLength()} conflicts)";
                }
                table.AddRow(
                    Markup.Escape($"{e.GetProperty("branch").GetString()}@{e.GetProperty("seq").GetInt64()}"),
                    Markup.Escape(e.GetProperty("type").GetString()!),
                    Markup.Escape(e.GetProperty("by").GetString()!),
                    Time(e.GetProperty("at")),
                    Markup.Escape(details),
                    e.GetProperty("hash").GetString() is { Length: >= 12 } hash ? hash[..12] : "");
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Next time, only what is new: [bold]--after {Markup.Escape(cursor ?? "")}[/]");
            return Program.Valid;
        });
        return command;
    }

    private static string PositionText(JsonElement position)
    {
        var version = position.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? $" (version \"{v.GetString()}\")" : "";
        return $"{position.GetProperty("branch").GetString()}@{position.GetProperty("seq").GetInt64()} of {position.GetProperty("headSeq").GetInt64()}{version}";
    }

    private static string Time(JsonElement time) => time.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    // Line ends and tabs made visible in a table cell.
    private static string Visible(string? text) => (text ?? "").Replace("\n", "↵", StringComparison.Ordinal).Replace("\t", "→", StringComparison.Ordinal);
}
