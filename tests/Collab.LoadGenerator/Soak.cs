using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.LoadGenerator;

/// <summary>
/// The soak: mixed load (typing with acks, joins and leaves, awareness) against a server process that this command
/// starts, SIGKILLs every few minutes and starts again on the same data folder. After every restart it reads each
/// document's content and counts the acknowledged updates missing from it (losses; must be 0). Prints, per interval,
/// the acks, the ack latency p50/p99 and the server's RSS.
/// <code>
/// dotnet Collab.LoadGenerator.dll soak --server-dll server/Collab.Server/bin/Release/net10.0/Collab.Server.dll \
///     --minutes 30 --kill-every 180 --editors 24 --documents 6 --rate 5 --interval 30
/// </code>
/// </summary>
internal static class Soak
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(string[] args)
    {
        SoakOptions o;
        try
        {
            o = SoakOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(SoakOptions.Usage);
            return 2;
        }

        var data = Directory.CreateTempSubdirectory("collab-soak-").FullName;
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Console.WriteLine($"soak: {o.Minutes} min, SIGKILL every {o.KillEvery.TotalSeconds:F0} s, {o.Editors} editors over {o.Documents} documents at {o.Rate} updates/s each, churn and awareness on; data {data}");

        var server = await ServerHandle.StartAsync(o.ServerDll, data, url, key);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        var ownerToken = await TokenAsync(http, "soak-owner");
        var documents = new List<string>();
        for (var d = 0; d < o.Documents; d++)
        {
            var id = $"soak-{d}";
            using var create = new HttpRequestMessage(HttpMethod.Post, "api/documents") { Content = JsonContent.Create(new { id }) };
            create.Headers.Authorization = new("Bearer", ownerToken);
            (await http.SendAsync(create)).EnsureSuccessStatusCode();
            documents.Add(id);
        }

        for (var e = 0; e < o.Editors + 1; e++)
        {
            foreach (var doc in documents)
            {
                using var grant = new HttpRequestMessage(HttpMethod.Put, $"api/documents/{doc}/permissions/soak-{e}") { Content = JsonContent.Create(new { role = "editor" }) };
                grant.Headers.Authorization = new("Bearer", ownerToken);
                (await http.SendAsync(grant)).EnsureSuccessStatusCode();
            }
        }

        var stats = new SoakStats();
        using var stop = new CancellationTokenSource();
        var editors = new List<Editor>();
        for (var e = 0; e < o.Editors; e++) editors.Add(new Editor(e, documents[e % documents.Count], url, await TokenAsync(http, $"soak-{e}"), stats));
        var churnToken = await TokenAsync(http, $"soak-{o.Editors}");
        var work = editors.Select(e => Task.Run(() => e.RunAsync(o.Rate, stop.Token))).ToList();
        work.Add(Task.Run(() => ChurnAsync(url, churnToken, documents, stats, stop.Token)));

        Console.WriteLine();
        Console.WriteLine("| t (s) | acked in interval | ack p50 / p99 (ms) | server RSS (MiB) | event |");
        Console.WriteLine("|---|---|---|---|---|");
        var clock = Stopwatch.StartNew();
        var nextKill = o.KillEvery;
        var restarts = 0;
        long losses = 0;
        var rss = new List<double>();
        var p99s = new List<double>();
        var ended = TimeSpan.FromMinutes(o.Minutes);
        while (clock.Elapsed < ended)
        {
            var until = TimeSpan.FromTicks(Math.Min(Math.Min((clock.Elapsed + o.Interval).Ticks, nextKill.Ticks), ended.Ticks));
            await Task.Delay(until - clock.Elapsed > TimeSpan.Zero ? until - clock.Elapsed : TimeSpan.Zero);
            var (count, p50, p99) = stats.TakeInterval();
            var memory = server.RssMiB();
            if (memory > 0) rss.Add(memory);
            if (count > 0) p99s.Add(p99);
            var evt = "";
            if (clock.Elapsed >= nextKill && clock.Elapsed < ended)
            {
                // kill -9 mid-typing, start again on the same data, then compare what was acknowledged with the content.
                var ackedBefore = stats.AckedSnapshot();
                server.Kill();
                server = await ServerHandle.StartAsync(o.ServerDll, data, url, key);
                restarts++;
                var missing = await CountMissingAsync(http, ownerToken, documents, ackedBefore);
                losses += missing;
                evt = $"SIGKILL + restart #{restarts}: {ackedBefore.Values.Sum(v => v.Count):N0} acked so far, {missing} missing";
                nextKill += o.KillEvery;
            }

            Console.WriteLine($"| {clock.Elapsed.TotalSeconds:F0} | {count:N0} | {p50:F1} / {p99:F1} | {memory:F0} | {evt} |");
        }

        await stop.CancelAsync();
        await Task.WhenAll(work);
        var final = stats.AckedSnapshot();
        var finalMissing = await CountMissingAsync(http, ownerToken, documents, final);
        losses += finalMissing;
        var verified = 0;
        foreach (var doc in documents)
        {
            using var verify = new HttpRequestMessage(HttpMethod.Get, $"api/documents/{doc}/verify");
            verify.Headers.Authorization = new("Bearer", ownerToken);
            var result = await (await http.SendAsync(verify)).Content.ReadFromJsonAsync<JsonElement>();
            if (result.GetProperty("valid").GetBoolean()) verified++;
        }

        Console.WriteLine();
        Console.WriteLine("| figure | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| duration | {clock.Elapsed.TotalMinutes:F1} min |");
        Console.WriteLine($"| SIGKILLs + restarts | {restarts} |");
        Console.WriteLine($"| acknowledged updates | {final.Values.Sum(v => v.Count):N0} |");
        Console.WriteLine($"| losses (acked, missing after a restart or at the end) | {losses} |");
        Console.WriteLine($"| chains valid at the end | {verified} / {documents.Count} |");
        Console.WriteLine($"| refused or failed sends (retried with the same id) | {Interlocked.Read(ref stats.Failed):N0} |");
        Console.WriteLine($"| joins / leaves / awareness updates | {Interlocked.Read(ref stats.Joins):N0} / {Interlocked.Read(ref stats.Leaves):N0} / {Interlocked.Read(ref stats.Awareness):N0} |");
        if (rss.Count > 0) Console.WriteLine($"| server RSS min / max | {rss.Min():F0} / {rss.Max():F0} MiB |");
        if (p99s.Count > 0) Console.WriteLine($"| ack p99 per interval: median / worst | {p99s.Order().ElementAt(p99s.Count / 2):F1} / {p99s.Max():F1} ms |");
        server.Kill();
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
        }

        return losses == 0 && verified == documents.Count ? 0 : 1;
    }

    private static async Task<long> CountMissingAsync(HttpClient http, string token, List<string> documents, Dictionary<string, List<string>> acked)
    {
        long missing = 0;
        foreach (var doc in documents)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/documents/{doc}/content");
            request.Headers.Authorization = new("Bearer", token);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var content = await response.Content.ReadFromJsonAsync<JsonElement>();
            var ydoc = new YDoc();
            ydoc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
            var text = ydoc.GetText("text").ToString();
            foreach (var token1 in acked.GetValueOrDefault(doc) ?? [])
            {
                if (!text.Contains(token1, StringComparison.Ordinal))
                {
                    missing++;
                    Console.WriteLine($"LOST: {token1} on {doc}");
                }
            }
        }

        return missing;
    }

    /// <summary>Joins and leaves documents, and sometimes drops the connection without leaving; sends awareness while joined.</summary>
    private static async Task ChurnAsync(Uri url, string token, List<string> documents, SoakStats stats, CancellationToken ct)
    {
        var random = new Random(7);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = Connect(url, token);
                await connection.StartAsync(ct);
                for (var i = 0; i < 20 && !ct.IsCancellationRequested; i++)
                {
                    var doc = documents[random.Next(documents.Count)];
                    await connection.InvokeAsync<JsonElement>("Join", doc, "main", ct);
                    Interlocked.Increment(ref stats.Joins);
                    await connection.InvokeAsync("Awareness", doc, "main", AwarenessUpdate(900_000u + (uint)random.Next(1000), (uint)i + 1), ct);
                    Interlocked.Increment(ref stats.Awareness);
                    await Task.Delay(random.Next(20, 200), ct);
                    if (random.Next(4) > 0)
                    {
                        await connection.InvokeAsync("Leave", doc, "main", ct);
                        Interlocked.Increment(ref stats.Leaves);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the server was killed: connect again
            catch (Exception)
#pragma warning restore CA1031
            {
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    internal static HubConnection Connect(Uri url, string token) =>
        new HubConnectionBuilder().WithUrl(new Uri(url, "hubs/documents"), options =>
        {
            options.Transports = HttpTransportType.WebSockets;
            options.SkipNegotiation = true;
            options.AccessTokenProvider = () => Task.FromResult<string?>(token);
        }).Build();

    internal static byte[] AwarenessUpdate(uint clientId, uint clock) =>
        Collab.Crdt.Protocol.AwarenessUpdate.Write([new Collab.Crdt.Protocol.AwarenessEntry(clientId, clock, "{\"cursor\":" + clock.ToString(Inv) + "}")]);

    private static async Task<string> TokenAsync(HttpClient http, string user)
    {
        var response = await http.PostAsJsonAsync("api/dev/token", new { user });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One editor: its own connection and YDoc; types a unique token per update, awaits each ack, and after a
    /// lost connection reconnects and resends every unacknowledged update with its id before typing on.</summary>
    private sealed class Editor(int index, string document, Uri url, string token, SoakStats stats)
    {
        private readonly YDoc _doc = new(new YDocOptions { ClientId = (uint)(index + 1) });
        private readonly List<(string Token, string Id, byte[] Update)> _unacked = [];
        private HubConnection? _connection;
        private int _typed;

        public async Task RunAsync(double rate, CancellationToken ct)
        {
            var interval = TimeSpan.FromSeconds(1 / rate);
            var awarenessClock = 0u;
            var next = Stopwatch.GetElapsedTime(0) + interval * Random.Shared.NextDouble();
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (_connection is null)
                    {
                        _connection = Connect(url, token);
                        await _connection.StartAsync(ct);
                        await _connection.InvokeAsync<JsonElement>("Join", document, "main", ct);
                        Interlocked.Increment(ref stats.Joins);
                        foreach (var pending in _unacked.ToList()) await SendAsync(pending, ct);
                    }

                    if (_unacked.Count == 0)
                    {
                        var word = $"<{index}.{_typed++}>";
                        var update = Insert(word);
                        var item = (word, $"e{index}-{_typed}", update);
                        _unacked.Add(item);
                        await SendAsync(item, ct);
                    }

                    if (_typed % 10 == 0)
                    {
                        await _connection.InvokeAsync("Awareness", document, "main", AwarenessUpdate((uint)(index + 1), ++awarenessClock), ct);
                        Interlocked.Increment(ref stats.Awareness);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // killed server, refused update: reconnect and resend with the same ids
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref stats.Failed);
                    if (_connection is not null) await _connection.DisposeAsync();
                    _connection = null;
                    await Task.Delay(200, CancellationToken.None);
                    continue;
                }

                next += interval;
                var wait = next - Stopwatch.GetElapsedTime(0);
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                else
                {
                    next = Stopwatch.GetElapsedTime(0);
                }
            }

            if (_connection is not null) await _connection.DisposeAsync();
        }

        private async Task SendAsync((string Token, string Id, byte[] Update) item, CancellationToken ct)
        {
            var sent = Stopwatch.GetTimestamp();
            _ = await _connection!.InvokeAsync<JsonElement>("Sync", document, "main", SyncMessage.EncodeUpdate(item.Update), item.Id, ct);
            // A null seq means "nothing new": the update is in the document already (a resend after a lost ack). The loss
            // check then finds it in the content, or reports it.
            stats.Acked(document, item.Token, Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            _unacked.Remove(item);
        }

        private byte[] Insert(string word)
        {
            byte[]? update = null;
            void Capture(byte[] u, object? _) => update = u;
            _doc.UpdateV1 += Capture;
            var text = _doc.GetText("text");
            text.Insert(text.Length, word);
            _doc.UpdateV1 -= Capture;
            return update!;
        }
    }

    /// <summary>The server process: started with the soak's settings, killed with SIGKILL.</summary>
    private sealed class ServerHandle
    {
        private readonly Process _process;

        private ServerHandle(Process process) => _process = process;

        public static async Task<ServerHandle> StartAsync(string dll, string data, Uri url, string key)
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data };
            start.ArgumentList.Add(Path.GetFullPath(dll));
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(url.ToString().TrimEnd('/'));
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Collab__DataFolder"] = data;
            start.Environment["Collab__Auth__SigningKey"] = key;
            start.Environment["Collab__Auth__DevTokens"] = "true";
            start.Environment["Collab__RateLimits__RestRequestsPerMinute"] = "1000000";
            start.Environment["Collab__RateLimits__HubMessagesPerSecond"] = "1000000";
            start.Environment["Collab__RateLimits__HubBurst"] = "1000000";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(2) };
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                if (process.HasExited) throw new InvalidOperationException($"the server exited with {process.ExitCode}");
                try
                {
                    if ((await http.GetAsync("healthz")).IsSuccessStatusCode) return new ServerHandle(process);
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                await Task.Delay(100);
            }

            process.Kill();
            throw new TimeoutException("the server did not answer /healthz within 90 s");
        }

        public double RssMiB() => ProcessSample.Read(_process.Id) is { } s ? s.RssBytes / 1048576.0 : 0;

        public void Kill()
        {
            try
            {
                _process.Kill(entireProcessTree: true); // SIGKILL on Unix
            }
            catch (InvalidOperationException)
            {
            }

            _process.WaitForExit();
            _process.Dispose();
        }
    }
}

/// <summary>Counters of the soak, and the acknowledged tokens per document.</summary>
internal sealed class SoakStats
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<string>> _acked = [];
    private List<double> _latencies = [];

    public long Failed;
    public long Joins;
    public long Leaves;
    public long Awareness;

    public void Acked(string document, string token, double milliseconds)
    {
        lock (_gate)
        {
            if (!_acked.TryGetValue(document, out var list)) _acked[document] = list = [];
            list.Add(token);
            _latencies.Add(milliseconds);
        }
    }

    public Dictionary<string, List<string>> AckedSnapshot()
    {
        lock (_gate) return _acked.ToDictionary(p => p.Key, p => p.Value.ToList());
    }

    public (int Count, double P50, double P99) TakeInterval()
    {
        List<double> samples;
        lock (_gate)
        {
            samples = _latencies;
            _latencies = [];
        }

        if (samples.Count == 0) return (0, 0, 0);
        samples.Sort();
        return (samples.Count, samples[samples.Count / 2], samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))]);
    }
}

/// <summary>Settings of <c>soak</c>.</summary>
internal sealed class SoakOptions
{
    public const string Usage = "soak --server-dll PATH [--minutes 30] [--kill-every 180] [--editors 24] [--documents 6] [--rate 5] [--interval 30]";

    public string ServerDll { get; private set; } = "";

    public double Minutes { get; private set; } = 30;

    public TimeSpan KillEvery { get; private set; } = TimeSpan.FromMinutes(3);

    public int Editors { get; private set; } = 24;

    public int Documents { get; private set; } = 6;

    public double Rate { get; private set; } = 5;

    public TimeSpan Interval { get; private set; } = TimeSpan.FromSeconds(30);

    public static SoakOptions Parse(string[] args)
    {
        var o = new SoakOptions();
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < args.Length; i++)
        {
            var key = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value");
            switch (key)
            {
                case "--server-dll": o.ServerDll = Next(); break;
                case "--minutes": o.Minutes = double.Parse(Next(), inv); break;
                case "--kill-every": o.KillEvery = TimeSpan.FromSeconds(double.Parse(Next(), inv)); break;
                case "--editors": o.Editors = int.Parse(Next(), inv); break;
                case "--documents": o.Documents = int.Parse(Next(), inv); break;
                case "--rate": o.Rate = double.Parse(Next(), inv); break;
                case "--interval": o.Interval = TimeSpan.FromSeconds(double.Parse(Next(), inv)); break;
                default: throw new ArgumentException($"unknown option {key}");
            }
        }

        if (!File.Exists(o.ServerDll)) throw new ArgumentException($"--server-dll: no file at '{o.ServerDll}'");
        if (o.Editors < 1 || o.Documents < 1 || o.Documents > o.Editors) throw new ArgumentException("need 1 <= --documents <= --editors");
        if (o.Rate <= 0 || o.Minutes <= 0 || o.KillEvery <= TimeSpan.Zero || o.Interval <= TimeSpan.Zero) throw new ArgumentException("--rate, --minutes, --kill-every and --interval must be positive");
        return o;
    }
}
