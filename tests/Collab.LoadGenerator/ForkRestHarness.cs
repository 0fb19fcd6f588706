using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Collab.Client;
using Collab.Documents.Access;
using Collab.EventStore;
using Collab.EventStore.LiteDb;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>fork-rest [events] [server.dll] [forks] [warm-up]</c>: the latency of <c>POST /api/documents/{id}/branches</c> on the real server
/// (LiteDB, fsync) when the source branch holds <c>events</c> events (1,000,000 by default). Builds the history straight
/// into a fresh data folder (large batches, no fsync), starts the built server on it on a free port, then times
/// <c>forks</c> (200) forks at random positions over HTTP after <c>warm-up</c> (20) discarded ones.
/// </summary>
internal static partial class ForkRestHarness
{
    private static readonly byte[] Payload = [1, 1, 171, 205, 239, 5, 0, 4, 1, 1, 116, 1, 120, 0, 0];

    public static async Task<int> RunAsync(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int events = args.Length > 0 ? int.Parse(args[0], inv) : 1_000_000;
        string serverDll = args.Length > 1 && args[1] != "-" ? args[1] : Path.GetFullPath("server/Collab.Server/bin/Release/net10.0/Collab.Server.dll");
        int measured = args.Length > 2 ? int.Parse(args[2], inv) : 200;
        int warmUp = args.Length > 3 ? int.Parse(args[3], inv) : 20;
        string data = Path.Combine(Path.GetTempPath(), "collab-fork-rest-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        try
        {
            var build = Stopwatch.StartNew();
            await using (var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = Path.Combine(data, "collab.db"), Durability = Durability.OsBuffered, CheckpointBytes = 64 * 1024 * 1024 }))
            {
                var doc = new DocumentId("bench");
                var info = await store.CreateDocumentAsync(doc, "bench-owner");
                using (var directory = new DocumentDirectory(Path.Combine(data, "directory.jsonl")))
                {
                    directory.Add(new DocumentEntry("bench", "bench", "bench-owner", info.CreatedAt));
                }

                var batch = Enumerable.Range(0, 1000).Select(_ => new NewEvent(EventKind.Update, Payload, "bench-owner")).ToArray();
                for (int done = 0; done < events; done += batch.Length)
                {
                    await store.AppendAsync(BranchRef.MainOf(doc), batch);
                }
            }

            Console.WriteLine(FormattableString.Invariant($"built {events:N0} events in {build.Elapsed.TotalSeconds:0.0} s"));
            Console.WriteLine(BareFsync(data));
            using var server = StartServer(serverDll, data, out var baseUrl);
            using var http = new HttpClient { BaseAddress = baseUrl };
            string token = await CollabClient.SignInAsync(baseUrl, "bench-owner", http);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var random = new Random(42);
            var times = new List<double>();
            TimeSpan cpuBefore = TimeSpan.Zero, idleCpu = TimeSpan.Zero;
            var wall = new Stopwatch();
            for (int i = 0; i < warmUp + measured; i++)
            {
                if (i == warmUp)
                {
                    // The server's CPU while idle for a second (background work), then over the measured forks.
                    server.Refresh();
                    var idleFrom = server.TotalProcessorTime;
                    await Task.Delay(1000);
                    server.Refresh();
                    idleCpu = server.TotalProcessorTime - idleFrom;
                    cpuBefore = server.TotalProcessorTime;
                    wall.Start();
                }

                long at = random.NextInt64(0, events + 1);
                long started = Stopwatch.GetTimestamp();
                // A body with a Content-Length (PostAsJsonAsync would stream it chunked).
                using var body = new StringContent(FormattableString.Invariant($"{{\"name\":\"fork-{i}\",\"from\":{{\"branch\":\"main\",\"seq\":{at}}}}}"), System.Text.Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri("/api/documents/bench/branches", UriKind.Relative), body);
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"fork {i} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    return 1;
                }

                if (i >= warmUp)
                {
                    times.Add(ms);
                }
            }

            wall.Stop();
            server.Refresh();
            var cpu = server.TotalProcessorTime - cpuBefore;
            Console.WriteLine(FormattableString.Invariant($"server CPU over the {times.Count} measured forks: {cpu.TotalMilliseconds:0} ms ({cpu.TotalMilliseconds / times.Count:0.00} ms per fork; wall {wall.Elapsed.TotalMilliseconds / times.Count:0.00} ms per fork); idle: {idleCpu.TotalMilliseconds:0} ms CPU per second"));
            Console.WriteLine(BareFsync(data) + " (after the forks)");
            times.Sort();
            var details = new List<double>();
            for (int i = 0; i < 50; i++)
            {
                long started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(new Uri($"/api/documents/bench/branches/fork-{i}", UriKind.Relative));
                details.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            details.Sort();
            var conflicts = new List<double>();
            for (int i = 0; i < 50; i++)
            {
                long started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsJsonAsync("/api/documents/bench/branches", new { name = $"fork-{i}", from = new { branch = "main", seq = 1 } });
                conflicts.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            conflicts.Sort();
            Console.WriteLine(FormattableString.Invariant($"POST fork refused (name taken) p50 {conflicts[conflicts.Count / 2]:0.00} ms"));
            Console.WriteLine(FormattableString.Invariant($"GET branch details p50 {details[details.Count / 2]:0.00} ms"));
            Console.WriteLine("| branch length | forks | REST fork p50 ms | p99 ms | max ms |");
            Console.WriteLine("|---:|---:|---:|---:|---:|");
            Console.WriteLine(FormattableString.Invariant($"| {events:N0} | {times.Count} | {times[times.Count / 2]:0.00} | {times[(int)Math.Ceiling(times.Count * 0.99) - 1]:0.00} | {times[^1]:0.00} |"));
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The disk's own cost at this moment: 200-byte appends to a file in the data folder, each fsynced (the floor of a durable fork).</summary>
    private static string BareFsync(string folder)
    {
        var path = Path.Combine(folder, "fsync-probe.bin");
        var record = new byte[200];
        var times = new List<double>();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            for (int i = 0; i < 500; i++)
            {
                long started = Stopwatch.GetTimestamp();
                file.Write(record);
                file.Flush(flushToDisk: true);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        File.Delete(path);
        times.Sort();
        return FormattableString.Invariant($"bare fsync (200-byte append + fsync, 500 times): p50 {times[249]:0.00} ms, p99 {times[494]:0.00} ms, max {times[^1]:0.00} ms");
    }

    private static Process StartServer(string serverDll, string data, out Uri baseUrl)
    {
        var start = new ProcessStartInfo("dotnet", [serverDll, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Collab__DataFolder"] = data;
        start.Environment["Collab__Auth__DevTokens"] = "true";
        start.Environment["Collab__Auth__SigningKey"] = "fork-rest-benchmark-signing-key-0123456789abcdef";
        start.Environment["Collab__RateLimits__RestRequestsPerMinute"] = "100000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        // FORKREST_X=value in the harness's environment sets X=value for the server only (e.g. runtime knobs for profiling).
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("FORKREST_", StringComparison.Ordinal))
            {
                start.Environment[name["FORKREST_".Length..]] = variable.Value as string;
            }
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the server.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("server: " + e.Data);
            }
        };
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            string? line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The server exited before listening.");
            var match = Listening().Match(line);
            if (match.Success)
            {
                baseUrl = new Uri(match.Groups[1].Value + "/");
                _ = process.StandardOutput.ReadToEndAsync();
                return process;
            }
        }

        throw new TimeoutException("The server did not start listening within 2 minutes.");
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();
}
