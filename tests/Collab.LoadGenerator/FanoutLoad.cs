using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Client;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>--mode fanout</c>: the peer run's workload (<see cref="FanoutWorkload"/>) with the server's CPU per
/// acknowledged update, read from /proc/PID/stat over the measured window. All connections sign in as one user, as
/// thinload's do, so the server's per-user hub limits must be lifted (run-benchmark.sh does).
/// </summary>
internal static class FanoutLoad
{
    public const string Usage = """
        Fan-out workload (as ../shared/tools/peer-load/thinload.mjs): per document W writers typing at R keystrokes/s
        each at their own phase, and one observer; every update is broadcast to the document's other connections.
        Only talks to a server on 127.0.0.1 / ::1 / localhost started with the development sign-in.

          --server URL        server base address (default http://127.0.0.1:5050)
          --server-pid PID    the server's process: CPU per acknowledged update from /proc/PID/stat
          --documents M       documents (default 100), created as PREFIX-0 … PREFIX-(M-1) unless they exist
          --writers W         writers per document (default 5); plus one observer per document
          --rate R            keystrokes per second per writer (default 5; 40 with --saturate)
          --warmup S          seconds of typing before the measured window (default 5)
          --duration S        measured window in seconds (default 15)
          --drain S           after typing stops, wait up to S seconds for acks and broadcasts (default 5)
          --saturate          offer more than the server can take and report the sustained rate it delivers
          --user NAME         the one identity of every connection (default load)
          --prefix P          document ids (default fo-HHmmss)
          --json              JSON hub protocol instead of MessagePack
          --allocations       also sample the server's allocations (GC allocation ticks): bytes per ack and top types
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        Settings o;
        try
        {
            o = Settings.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var inv = CultureInfo.InvariantCulture;
        using var http = new HttpClient { BaseAddress = o.Server, Timeout = TimeSpan.FromSeconds(60) };
        string token = await CollabClient.SignInAsync(o.Server, o.User, http);
        var documents = Enumerable.Range(0, o.Documents).Select(d => $"{o.Prefix}-{d}").ToArray();
        await Parallel.ForEachAsync(documents, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) => await CreateAsync(http, token, id, ct));

        int capacity = (int)Math.Ceiling(o.Rate * (o.Warmup + o.Duration).TotalSeconds) + 2;
        var connect = Stopwatch.StartNew();
        await using var workload = await FanoutWorkload.ConnectAsync(o.Server, token, documents, o.Writers, capacity, o.Json, CancellationToken.None);
        Console.WriteLine($"{o.Documents} documents × ({o.Writers} writers + 1 observer) connected and joined in {connect.Elapsed.TotalSeconds:F1} s; " +
                          $"{o.Rate.ToString(inv)} keystrokes/s each, offered {o.Documents * o.Writers * o.Rate:N0} updates/s");
        await Task.Delay(1000); // as thinload: let the joins settle

        string? gcProblem = "no diagnostics session";
        await using var gc = o.ServerPid is { } gcPid ? GcPauseRecorder.TryStart(gcPid, out gcProblem, o.Allocations) : null;
        var typing = workload.RunAsync(o.Rate, o.Warmup + o.Duration, CancellationToken.None);
        await Task.Delay(o.Warmup);
        var start = Edge.Take(o.ServerPid);
        await Task.Delay(o.Duration);
        var end = Edge.Take(o.ServerPid);
        await typing;
        bool drained = await workload.DrainAsync(o.Drain);
        var f = workload.Measure(start.Timestamp, end.Timestamp);
        var (server0, self0, machine0) = (start.Server, start.Self, start.Machine);
        var (server1, self1, machine1) = (end.Server, end.Self, end.Machine);

        string F1(double v) => v.ToString("F1", inv);
        string Ms(Percentiles p) => $"{p.P50:F1} / {p.P95:F1} / {p.P99:F1} / {p.Max:F1} ms ({p.Count:N0} samples)";
        Console.WriteLine();
        Console.WriteLine("| setting | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| documents × writers (+1 observer each) | {o.Documents} × {o.Writers}; each update broadcast to {o.Writers} connections; {(o.Json ? "JSON" : "MessagePack")} |");
        Console.WriteLine($"| rate | {F1(o.Rate)} keystrokes/s per writer; offered {o.Documents * o.Writers * o.Rate:N0} updates/s{(o.Saturate ? " (saturation)" : "")} |");
        Console.WriteLine($"| measured window | {F1(f.Seconds)} s after {F1(o.Warmup.TotalSeconds)} s warm-up; drain {(drained ? "complete" : $"cut at {F1(o.Drain.TotalSeconds)} s")} |");
        Console.WriteLine($"| updates sent in the window / acked / seen by the observer / lost | {f.Sent:N0} / {f.Acked:N0} / {f.Seen:N0} / {f.Lost:N0} |");
        Console.WriteLine($"| sent / acked / seen per s in the window | {F1(f.Sent / f.Seconds)} / {F1(f.AcksInWindow / f.Seconds)} / {F1(f.SeenInWindow / f.Seconds)} |");
        Console.WriteLine($"| refused or failed sends / duplicates seen / connections closed (whole run) | {workload.Errors} / {workload.Duplicates} / {workload.ClosedConnections} |");
        Console.WriteLine($"| ack latency p50 / p95 / p99 / max | {Ms(f.AckLatency)} |");
        Console.WriteLine($"| observer latency p50 / p95 / p99 / max | {Ms(f.SeenLatency)} |");
        double? cpuSeconds = null, cpuPerAck = null;
        if (server0 is { } s0 && server1 is { } s1)
        {
            cpuSeconds = s1.CpuSeconds - s0.CpuSeconds;
            cpuPerAck = f.AcksInWindow > 0 ? cpuSeconds.Value * 1e6 / f.AcksInWindow : null;
            Console.WriteLine($"| server CPU in the window | {cpuSeconds:F2} s ({F1(ProcessSample.CpuPercent(s0, s1))} % of one core) |");
            Console.WriteLine($"| **server CPU per acknowledged update** | **{(cpuPerAck is { } c ? $"{c:F0} µs" : "—")}** |");
            Console.WriteLine($"| server RSS at the end of the window | {s1.RssBytes / 1048576.0:F0} MiB |");
        }

        var gcFigures = gc?.Between(start.Utc, end.Utc);
        if (gcFigures is { } d)
        {
            Console.WriteLine($"| server GCs in the window (gen0 / gen1 / gen2) | {d.Gen0} / {d.Gen1} / {d.Gen2}; pauses {d.PauseMs:F1} ms in all, longest {d.MaxPauseMs:F1} ms |");
            var (meanSuspend, maxSuspend, meanPromoted) = gc!.SuspensionBetween(start.Utc, end.Utc);
            Console.WriteLine($"| of each pause: stopping the threads (mean / longest), bytes promoted (mean) | {meanSuspend:F2} / {maxSuspend:F2} ms; {meanPromoted / 1024:F0} KiB |");
        }
        else if (o.ServerPid is not null)
        {
            Console.WriteLine($"| server GCs | not read ({gcProblem}) |");
        }
        if (o.Allocations && gc is not null)
        {
            var (bytes, top) = gc.AllocatedBetween(start.Utc, end.Utc, 40);
            Console.WriteLine($"| server allocations in the window (sampled) | {bytes / 1048576.0:F0} MiB; {(f.AcksInWindow > 0 ? bytes / f.AcksInWindow : 0):N0} bytes per ack |");
            foreach (var (type, typeBytes) in top) Console.WriteLine($"|   {type} | {100.0 * typeBytes / Math.Max(1, bytes):F1} %; {(f.AcksInWindow > 0 ? typeBytes / f.AcksInWindow : 0):N0} B per ack |");
        }

        if (self0 is { } g0s && self1 is { } g1s)
        {
            Console.WriteLine($"| generator CPU | {F1(ProcessSample.CpuPercent(g0s, g1s))} % of one core |");
        }

        Console.WriteLine($"| machine ({Environment.ProcessorCount} cores) busy / load average | {F1(MachineSample.BusyPercent(machine0, machine1))} % / {F1(machine0.LoadAverage)} → {F1(machine1.LoadAverage)} |");
        if (o.Saturate)
        {
            Console.WriteLine();
            Console.WriteLine($"saturation: offered {o.Documents * o.Writers * o.Rate:N0} updates/s, sustained {F1(f.SeenInWindow / f.Seconds)} seen/s " +
                              $"({F1(100.0 * f.SeenInWindow / f.Seconds / (o.Documents * o.Writers * o.Rate))} % of offered)");
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mode = "fanout",
            docs = o.Documents,
            writers = o.Writers,
            rate = o.Rate,
            seconds = Math.Round(f.Seconds, 2),
            sent = f.Sent,
            acked = f.Acked,
            seen = f.Seen,
            lost = f.Lost,
            ackedPerSec = Math.Round(f.AcksInWindow / f.Seconds),
            seenPerSec = Math.Round(f.SeenInWindow / f.Seconds),
            errors = workload.Errors,
            duplicates = workload.Duplicates,
            ackP50 = Math.Round(f.AckLatency.P50, 1),
            ackP95 = Math.Round(f.AckLatency.P95, 1),
            ackP99 = Math.Round(f.AckLatency.P99, 1),
            ackMax = Math.Round(f.AckLatency.Max, 1),
            p50 = Math.Round(f.SeenLatency.P50, 1),
            p95 = Math.Round(f.SeenLatency.P95, 1),
            p99 = Math.Round(f.SeenLatency.P99, 1),
            max = Math.Round(f.SeenLatency.Max, 1),
            serverCpuSeconds = cpuSeconds is { } cs ? Math.Round(cs, 2) : (double?)null,
            cpuPerAckMicros = cpuPerAck is { } cp ? Math.Round(cp) : (double?)null,
            serverGcs = gcFigures is { } g ? new[] { g.Gen0, g.Gen1, g.Gen2 } : null,
            serverGcPauseMs = gcFigures is { } gp ? Math.Round(gp.PauseMs, 1) : (double?)null,
            serverGcMaxPauseMs = gcFigures is { } gm ? Math.Round(gm.MaxPauseMs, 1) : (double?)null,
        }));
        return f.Lost == 0 || o.Saturate ? 0 : 1;
    }

    // Creates a document with the given id; one that exists already (a rerun with the same prefix) is used as it is.
    private static async Task CreateAsync(HttpClient http, string token, string id, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/documents") { Content = JsonContent.Create(new { id, title = id }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.Conflict)
        {
            throw new HttpRequestException($"create document {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    // One edge of the measured window: the clocks and the processes' and machine's counters at that moment.
    private readonly record struct Edge(long Timestamp, DateTime Utc, ProcessSample? Server, ProcessSample? Self, MachineSample Machine)
    {
        public static Edge Take(int? serverPid) => new(
            Stopwatch.GetTimestamp(),
            DateTime.UtcNow,
            serverPid is { } pid ? ProcessSample.Read(pid) : null,
            ProcessSample.Read(Environment.ProcessId),
            MachineSample.Read());
    }

    private sealed class Settings
    {
        public Uri Server { get; private set; } = new("http://127.0.0.1:5050/");

        public int? ServerPid { get; private set; }

        public int Documents { get; private set; } = 100;

        public int Writers { get; private set; } = 5;

        public double Rate { get; private set; } = 5;

        public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(5);

        public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(15);

        public TimeSpan Drain { get; private set; } = TimeSpan.FromSeconds(5);

        public bool Saturate { get; private set; }

        public string User { get; private set; } = "load";

        public string Prefix { get; private set; } = "fo-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);

        public bool Json { get; private set; }

        public bool Allocations { get; private set; }

        public static Settings Parse(string[] args)
        {
            var o = new Settings();
            bool rateGiven = false;
            for (int i = 0; i < args.Length; i++)
            {
                string key = args[i];
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value");
                double Seconds() => double.Parse(Next(), CultureInfo.InvariantCulture);
                switch (key)
                {
                    case "--mode": _ = Next() == "fanout" ? 0 : throw new ArgumentException("this is --mode fanout"); break;
                    case "--server": o.Server = new Uri(Next().TrimEnd('/') + "/"); break;
                    case "--server-pid": o.ServerPid = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--documents": o.Documents = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--writers": o.Writers = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--rate": o.Rate = double.Parse(Next(), CultureInfo.InvariantCulture); rateGiven = true; break;
                    case "--warmup": o.Warmup = TimeSpan.FromSeconds(Seconds()); break;
                    case "--duration": o.Duration = TimeSpan.FromSeconds(Seconds()); break;
                    case "--drain": o.Drain = TimeSpan.FromSeconds(Seconds()); break;
                    case "--saturate": o.Saturate = true; break;
                    case "--user": o.User = Next(); break;
                    case "--prefix": o.Prefix = Next(); break;
                    case "--json": o.Json = true; break;
                    case "--allocations": o.Allocations = true; break;
                    default: throw new ArgumentException($"unknown option {key}");
                }
            }

            if (o.Saturate && !rateGiven)
            {
                o.Rate = 40;
            }

            // A load generator pointed at someone else's server is an attack: loopback only.
            if (!o.Server.IsLoopback)
            {
                throw new ArgumentException($"--server must be a loopback address (127.0.0.1, ::1, localhost), not {o.Server.Host}");
            }

            if (o.Documents < 1 || o.Writers < 1 || o.Rate <= 0 || o.Duration <= TimeSpan.Zero || o.Warmup < TimeSpan.Zero)
            {
                throw new ArgumentException("need --documents >= 1, --writers >= 1, --rate > 0, --duration > 0, --warmup >= 0");
            }

            return o;
        }
    }
}
