using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Client;

namespace Collab.LoadGenerator;

/// <summary>Entry point (a named class: the tests also see the server's top-level Program).</summary>
internal static class LoadGeneratorProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["soak", ..]) return await Soak.RunAsync(args[1..]);
        if (args is ["session-memory", ..]) return await SessionMemory.RunAsync(args[1..]);
        if (args is ["history-bench", ..]) return await HistoryBench.RunAsync(args[1..]);
        if (args.Length > 0 && args[0] == "fork-rest")
        {
            return await ForkRestHarness.RunAsync(args[1..]);
        }

        if (args is ["records-load", ..]) return await RecordsLoadHarness.RunAsync(args[1..]);
        if (Array.IndexOf(args, "--mode") is int m and >= 0 && m + 1 < args.Length && args[m + 1] == "fanout") return await FanoutLoad.RunAsync(args);
        if (args is ["hub-memory", ..]) return await HubMemory.RunAsync(args[1..]);

        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(LoadOptions.Usage);
            return 2;
        }

        var inv = CultureInfo.InvariantCulture;
        string tracePath = Path.GetFullPath(options.Trace);
        Console.WriteLine($"trace {tracePath}");
        var trace = EditingTrace.Load(tracePath);
        Console.WriteLine($"{trace.Length:N0} keystrokes; {options.Editors} editors over {options.Documents} documents, mode {options.Mode}");

        using var http = new HttpClient { BaseAddress = options.Server, Timeout = TimeSpan.FromSeconds(60) };
        string runId = DateTime.UtcNow.ToString("HHmmss", inv);

        // Users, documents and grants. One user per editor: the server rate-limits per user.
        string ownerToken = await CollabClient.SignInAsync(options.Server, $"{options.UserPrefix}-owner", http);
        var tokens = new string[options.Editors];
        await Parallel.ForAsync(0, options.Editors, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            tokens[i] = await CollabClient.SignInAsync(options.Server, $"{options.UserPrefix}-{i}", http, ct));
        var documents = new string[options.Documents];
        for (int d = 0; d < options.Documents; d++)
        {
            documents[d] = await CreateDocumentAsync($"load-{runId}-{d}");
        }

        await Parallel.ForAsync(0, options.Editors, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await GrantAsync(documents[i % options.Documents], $"{options.UserPrefix}-{i}", ct));
        Console.WriteLine("users, documents and grants ready");

        var serverBefore = options.ServerPid is { } pid0 ? ProcessSample.Read(pid0) : null;

        // Open every document from a few idle connections first, to measure the memory of an open (empty) document.
        var openers = new List<CollabClient>();
        for (int d = 0; d < options.Documents; d += 50)
        {
            var opener = new CollabClient(new CollabClientOptions
            {
                ServerUrl = options.Server,
                AccessTokenProvider = () => Task.FromResult<string?>(ownerToken),
                SkipNegotiation = true,
            });
            await opener.ConnectAsync();
            for (int k = d; k < Math.Min(options.Documents, d + 50); k++)
            {
                await opener.OpenAsync(documents[k], "main", new TypistReplica((uint)(k + 1)));
            }

            openers.Add(opener);
        }

        await Task.Delay(1000);
        GC.Collect();
        var serverOpened = options.ServerPid is { } pid1 ? ProcessSample.Read(pid1) : null;

        var stats = new RunStats();
        int perDocument = options.Editors / options.Documents;
        var editors = new SimulatedEditor[options.Editors];
        var connectWatch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, options.Editors, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            int docIndex = i % options.Documents;
            int editorsOnDoc = (options.Editors / options.Documents) + (docIndex < options.Editors % options.Documents ? 1 : 0);
            editors[i] = new SimulatedEditor(i, trace, stats, receivers: editorsOnDoc - 1);
            await editors[i].OpenAsync(options.Server, tokens[i], documents[docIndex], options.Json, ct);
        });
        Console.WriteLine($"{options.Editors} editors connected and synced in {connectWatch.Elapsed.TotalSeconds:F1} s");

        using var stop = new CancellationTokenSource();

        var typing = editors.Select((e, i) => Task.Run(async () =>
        {
            try
            {
                await Task.Delay(options.Ramp * i / options.Editors, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await (options.Mode == "steady" ? e.TypeSteadyAsync(options.Rate, stop.Token) : e.TypeSaturatedAsync(options.Window, stop.Token));
        })).ToArray();

        await Task.Delay(options.Warmup);
        stats.Recording = true;
        long acked0 = Interlocked.Read(ref stats.Acked), sent0 = Interlocked.Read(ref stats.Sent);
        var server0 = options.ServerPid is { } pid2 ? ProcessSample.Read(pid2) : null;
        var self0 = ProcessSample.Read(Environment.ProcessId);
        var machine0 = MachineSample.Read();
        var window = Stopwatch.StartNew();
        while (window.Elapsed < options.Duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, (options.Duration - window.Elapsed).TotalSeconds + 0.01)));
            Console.WriteLine($"  {window.Elapsed.TotalSeconds,5:F0} s: acked {Interlocked.Read(ref stats.Acked) - acked0:N0}, refused {Interlocked.Read(ref stats.Refused):N0}");
        }

        double seconds = window.Elapsed.TotalSeconds;
        long acked = Interlocked.Read(ref stats.Acked) - acked0, sent = Interlocked.Read(ref stats.Sent) - sent0;
        var server1 = options.ServerPid is { } pid3 ? ProcessSample.Read(pid3) : null;
        var self1 = ProcessSample.Read(Environment.ProcessId);
        var machine1 = MachineSample.Read();
        stats.Recording = false;
        await stop.CancelAsync();
        await Task.WhenAll(typing);
        await Task.WhenAll(editors.Select(e => e.FlushAsync(TimeSpan.FromSeconds(20))));
        var ack = stats.AckLatency.Summarize();
        var broadcast = stats.BroadcastLatency.Summarize();

        string F(double v) => v.ToString("F1", inv);
        Console.WriteLine();
        Console.WriteLine($"| setting | value |");
        Console.WriteLine($"|---|---|");
        Console.WriteLine($"| editors / documents | {options.Editors} / {options.Documents} ({perDocument} per document) |");
        Console.WriteLine($"| mode | {options.Mode}{(options.Mode == "steady" ? $", {F(options.Rate)} keystrokes/s each" : $", window {options.Window}")} ; {(options.Json ? "JSON" : "MessagePack")} |");
        Console.WriteLine($"| measured window | {F(seconds)} s after {F(options.Warmup.TotalSeconds)} s warm-up |");
        Console.WriteLine($"| sent / acked updates per second | {F(sent / seconds)} / {F(acked / seconds)} |");
        Console.WriteLine($"| refused updates (whole run) | {Interlocked.Read(ref stats.Refused)} |");
        Console.WriteLine($"| ack latency p50 / p99 / max | {F(ack.P50)} / {F(ack.P99)} / {F(ack.Max)} ms ({ack.Count:N0} samples) |");
        Console.WriteLine($"| broadcast latency p50 / p99 / max | {F(broadcast.P50)} / {F(broadcast.P99)} / {F(broadcast.Max)} ms ({broadcast.Count:N0} samples) |");
        if (server0 is { } s0 && server1 is { } s1)
        {
            Console.WriteLine($"| server CPU | {F(ProcessSample.CpuPercent(s0, s1))} % of one core |");
            Console.WriteLine($"| server RSS at end of window | {s1.RssBytes / 1048576.0:F0} MiB |");
        }

        if (serverBefore is { } sb && serverOpened is { } so)
        {
            Console.WriteLine($"| server memory per open document (empty, RSS delta / documents) | {(so.RssBytes - sb.RssBytes) / 1024.0 / options.Documents:F0} KiB |");
        }

        if (self0 is { } g0 && self1 is { } g1)
        {
            Console.WriteLine($"| generator CPU | {F(ProcessSample.CpuPercent(g0, g1))} % of one core |");
        }

        Console.WriteLine($"| machine ({Environment.ProcessorCount} cores) busy / load average | {F(MachineSample.BusyPercent(machine0, machine1))} % / {F(machine0.LoadAverage)} → {F(machine1.LoadAverage)} |");

        await Parallel.ForEachAsync(editors, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (e, _) => await e.DisposeAsync());
        foreach (var opener in openers)
        {
            await opener.DisposeAsync();
        }

        return 0;

        async Task<string> CreateDocumentAsync(string title)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/documents") { Content = JsonContent.Create(new { title }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ownerToken);
            using var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"create document: {(int)response.StatusCode} {body}");
            }

            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("id").GetString()!;
        }

        async Task GrantAsync(string documentId, string user, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"api/documents/{Uri.EscapeDataString(documentId)}/permissions/{Uri.EscapeDataString(user)}")
            {
                Content = JsonContent.Create(new { role = "editor" }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ownerToken);
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"grant {user} on {documentId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
    }
}
