using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Client;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>hub-memory [documents] [--per-connection K] [--in-memory] [--server-dll PATH] [--env KEY=VALUE]...
/// [--hold SECONDS] [--edit-docs M] [--edit-rate R] [--gcdump PREFIX]</c>: what the whole server (Kestrel, SignalR, hub, sessions, store)
/// holds per open, idle, small document. The real server runs as a child process (its own GC settings, as deployed);
/// <c>documents</c> documents are created, then joined over SignalR by connections that carry K documents each (default
/// 50), and each joining client types "hello world" into its document. The server's managed heap is read after forced
/// full, compacting collections (the footprint endpoint's <c>?collect=true</c>) before the connections open, after they
/// open and after the joins: the differences divided by the counts are the cost of a connection and of an open
/// document. RSS is reported beside it. With <c>--hold</c>, the server's GC pauses are then recorded over EventPipe for
/// that many seconds while the first M documents are typed into at R keystrokes/s each. With <c>--gcdump</c>, a heap
/// dump of the server is written at each of the three points (PREFIX-h0/h1/h2.gcdump; <c>dotnet-gcdump report</c>).
/// </summary>
internal static class HubMemory
{
    private const string Owner = "hub-memory-owner";

    public static async Task<int> RunAsync(string[] args)
    {
        var documents = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var n) ? n : 2000;
        var perConnection = IntOption(args, "--per-connection", 50);
        var hold = IntOption(args, "--hold", 0);
        var editDocs = Math.Min(documents, IntOption(args, "--edit-docs", 100));
        var editRate = DoubleOption(args, "--edit-rate", 1);
        var inMemory = args.Contains("--in-memory");
        var gcdump = StringOption(args, "--gcdump");
        var serverDll = StringOption(args, "--server-dll")
            ?? Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../server/Collab.Server/bin/Release/net10.0/Collab.Server.dll"));
        var extraEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] != "--env") continue;
            var eq = args[i + 1].IndexOf('=', StringComparison.Ordinal);
            extraEnv[args[i + 1][..eq]] = args[i + 1][(eq + 1)..];
        }

        var folder = Path.Combine(Path.GetTempPath(), "collab-hub-memory-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        using var server = StartServer(serverDll, folder, inMemory, Math.Max(64, perConnection), extraEnv);
        var clients = new List<CollabClient>();
        try
        {
            var baseAddress = await server.Listening.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
            var token = await CollabClient.SignInAsync(baseAddress, Owner, http);
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            var ids = Enumerable.Range(0, documents + 1).Select(i => $"hm-{i}").ToArray();
            var created = Stopwatch.StartNew();
            await Parallel.ForAsync(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
                (await http.PostAsJsonAsync("api/documents", new { id = ids[i], title = "memory" }, ct)).EnsureSuccessStatusCode());
            Console.WriteLine($"{ids.Length:N0} documents created in {created.Elapsed.TotalSeconds:F1} s");

            // One warm-up document on its own connection, so that what the first join allocates once is not counted.
            var warm = Client(baseAddress, token);
            clients.Add(warm);
            await warm.ConnectAsync();
            await OpenAndTypeAsync(warm, ids[documents], 1);

            // GC pauses from here on: while the connections open and the documents are joined, then while idle/editing.
            await using var recorder = GcPauseRecorder.Start(server.Pid);
            recorder.Phase = "join";
            var h0 = await FootprintAsync(http);
            var rss0 = ProcessSample.Read(server.Pid)!.Value.RssBytes;
            if (gcdump is not null) await GcDumpAsync(server.Pid, $"{gcdump}-h0.gcdump");

            var connectionCount = (documents + perConnection - 1) / perConnection;
            var connections = new CollabClient[connectionCount];
            await Parallel.ForAsync(0, connectionCount, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, ct) =>
            {
                connections[c] = Client(baseAddress, token);
                await connections[c].ConnectAsync(ct);
            });
            clients.AddRange(connections);
            var h1 = await FootprintAsync(http);
            var rss1 = ProcessSample.Read(server.Pid)!.Value.RssBytes;
            if (gcdump is not null) await GcDumpAsync(server.Pid, $"{gcdump}-h1.gcdump");

            var open = new DocumentConnection[documents];
            var typists = new TypistReplica[documents];
            var joined = Stopwatch.StartNew();
            await Parallel.ForAsync(0, connectionCount, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, ct) =>
            {
                for (var d = c * perConnection; d < Math.Min(documents, (c + 1) * perConnection); d++)
                {
                    typists[d] = new TypistReplica((uint)(d + 2));
                    open[d] = await OpenAndTypeAsync(connections[c], ids[d], typists[d]);
                }
            });
            Console.WriteLine($"{documents:N0} documents joined and typed into over {connectionCount:N0} connections in {joined.Elapsed.TotalSeconds:F1} s");
            var h2 = await FootprintAsync(http);
            var rss2 = ProcessSample.Read(server.Pid)!.Value.RssBytes;
            if (gcdump is not null) await GcDumpAsync(server.Pid, $"{gcdump}-h2.gcdump");

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"server: {(inMemory ? "in-memory" : "LiteDB")} store, {documents:N0} open documents, {perConnection} per connection ({connectionCount:N0} connections){(extraEnv.Count > 0 ? ", env " + string.Join(' ', extraEnv.Select(e => e.Key + "=" + e.Value)) : "")}"));
            Console.WriteLine(string.Create(inv, $"  managed heap after full GCs: {Mib(h0.Heap)} -> {Mib(h1.Heap)} (connections open) -> {Mib(h2.Heap)} MiB (documents joined); RSS {Mib(rss0)} -> {Mib(rss1)} -> {Mib(rss2)} MiB"));
            Console.WriteLine(string.Create(inv, $"  per connection (idle, nothing joined): {(h1.Heap - h0.Heap) / 1024.0 / connectionCount:F1} KiB managed; RSS {(rss1 - rss0) / 1024.0 / connectionCount:F1} KiB"));
            Console.WriteLine(string.Create(inv, $"  per open document (joined on an open connection, 'hello world' typed): {(h2.Heap - h1.Heap) / 1024.0 / documents:F2} KiB managed; RSS {(rss2 - rss1) / 1024.0 / documents:F1} KiB"));
            Console.WriteLine(string.Create(inv, $"  per open document with its share of the connections: {(h2.Heap - h0.Heap) / 1024.0 / documents:F2} KiB managed; RSS {(rss2 - rss0) / 1024.0 / documents:F1} KiB"));
            Console.WriteLine($"  footprint: {h2.Json}");

            Console.WriteLine("  GC pauses while connecting and joining: " + GcPauseRecorder.Summarize(recorder.Pauses, 20));
            if (hold > 0)
            {
                recorder.Phase = "hold";
                await HoldAsync(server.Pid, typists.AsMemory(0, editDocs), open, editRate, TimeSpan.FromSeconds(hold));
                await recorder.DisposeAsync();
                Console.WriteLine("  GC pauses during the hold: " + GcPauseRecorder.Summarize([.. recorder.Pauses.Where(p => p.Phase == "hold")], 20));
            }
            return 0;
        }
        finally
        {
            await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, _) => await c.DisposeAsync());
            server.Stop();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Light editing on a few documents while the GC pauses of the server are recorded.</summary>
    private static async Task HoldAsync(int pid, Memory<TypistReplica> editors, DocumentConnection[] open, double rate, TimeSpan duration)
    {
        var before = ProcessSample.Read(pid)!.Value;
        using var stop = new CancellationTokenSource(duration);
        long sent = 0;
        var interval = TimeSpan.FromSeconds(1 / rate);
        var typing = new Task[editors.Length];
        for (var e = 0; e < editors.Length; e++)
        {
            var typist = editors.Span[e];
            var document = open[e];
            typing[e] = Task.Run(async () =>
            {
                await Task.Delay(interval * Random.Shared.NextDouble());
                using var timer = new PeriodicTimer(interval);
                do
                {
                    document.Transact(() => typist.Insert("x"));
                    Interlocked.Increment(ref sent);
                }
                while (await WaitAsync(timer, stop.Token));
            });
        }
        await Task.WhenAll(typing);
        await Task.WhenAll(open.Take(editors.Length).Select(d => d.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60))));
        var after = ProcessSample.Read(pid)!.Value;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hold {duration.TotalSeconds:F0} s, {editors.Length} documents typed into at {rate} keystrokes/s each ({sent:N0} updates, all acknowledged); server CPU {ProcessSample.CpuPercent(before, after):F0} % of a core, RSS {Mib(after.RssBytes)} MiB"));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<DocumentConnection> OpenAndTypeAsync(CollabClient client, string id, uint clientId) =>
        await OpenAndTypeAsync(client, id, new TypistReplica(clientId));

    private static async Task<DocumentConnection> OpenAndTypeAsync(CollabClient client, string id, TypistReplica typist)
    {
        var document = await client.OpenAsync(id, "main", typist);
        await document.Synced.WaitAsync(TimeSpan.FromSeconds(60));
        document.Transact(() => typist.Insert("hello world"));
        await document.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return document;
    }

    /// <summary>Writes a heap dump of the server with dotnet-gcdump (a global tool), for type statistics.</summary>
    private static async Task GcDumpAsync(int pid, string path)
    {
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet/tools/dotnet-gcdump");
        using var dump = Process.Start(tool, ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", path]);
        await dump.WaitForExitAsync();
    }

    private static CollabClient Client(Uri server, string token) => new(new CollabClientOptions
    {
        ServerUrl = server,
        AccessTokenProvider = () => Task.FromResult<string?>(token),
        SkipNegotiation = true,
    });

    private static async Task<(long Heap, string Json)> FootprintAsync(HttpClient http)
    {
        // Twice: the first call's collection may still find garbage that the request path itself left.
        await http.GetStringAsync("api/diagnostics/footprint?collect=true");
        var json = await http.GetStringAsync("api/diagnostics/footprint?collect=true");
        using var parsed = JsonDocument.Parse(json);
        return (parsed.RootElement.GetProperty("managedHeapBytes").GetInt64(), json);
    }

    private static ChildServer StartServer(string dll, string folder, bool inMemory, int maxBranches, Dictionary<string, string> extraEnv)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        start.ArgumentList.Add(dll);
        var env = start.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        env["Collab__DataFolder"] = folder;
        env["Collab__InMemory"] = inMemory ? "true" : "false";
        env["Collab__Auth__SigningKey"] = "hub-memory-benchmark-signing-key-0123456789";
        env["Collab__Auth__DevTokens"] = "true";
        env["Collab__Diagnostics__Footprint"] = "true";
        env["Collab__Diagnostics__Operators__0"] = Owner;
        // The limits meant for people get out of the way of one simulated user holding every document.
        env["Collab__Limits__MaxConnectionsPerUser"] = "100000";
        env["Collab__Limits__MaxBranchesPerConnection"] = maxBranches.ToString(CultureInfo.InvariantCulture);
        env["Collab__RateLimits__HubMessagesPerSecond"] = "1000000";
        env["Collab__RateLimits__HubBurst"] = "1000000";
        env["Collab__RateLimits__RestRequestsPerMinute"] = "10000000";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in extraEnv) env[key] = value;
        return new ChildServer(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    private static int IntOption(string[] args, string name, int fallback) =>
        StringOption(args, name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    private static double DoubleOption(string[] args, string name, double fallback) =>
        StringOption(args, name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;

    private static string? StringOption(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    /// <summary>The server process; <see cref="Listening"/> completes with its address once Kestrel listens.</summary>
    private sealed class ChildServer : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ChildServer(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.EnableRaisingEvents = true;
            process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException("The server exited."));
        }

        public int Pid => _process.Id;

        public Task<Uri> Listening => _listening.Task;

        public void Stop()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // already exited
            }
        }

        public void Dispose()
        {
            Stop();
            _process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            const string marker = "Now listening on: ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) _listening.TrySetResult(new Uri(line[(at + marker.Length)..].Trim()));
            else if (line.Contains("fail", StringComparison.Ordinal) || line.Contains("crit", StringComparison.Ordinal)) Console.Error.WriteLine("server: " + line);
        }
    }
}
