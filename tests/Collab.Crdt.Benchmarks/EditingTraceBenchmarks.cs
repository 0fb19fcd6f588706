using System.Diagnostics;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Collab.Crdt.Document;
using Collab.Crdt.Tests.Compat.Traces;

namespace Collab.Crdt.Benchmarks;

/// <summary>
/// The editing traces other than automerge-paper through the engine; tests/js/bench.mjs --trace NAME measures yjs on
/// the same input the same way. (a) local replay (TraceReplay); (b) a server applying the emitted per-transaction
/// updates one by one, in trace order, to a fresh doc; (c) encoding that doc; (d) loading the whole-doc update.
/// </summary>
[MemoryDiagnoser]
public class EditingTraceBenchmarks
{
    private TraceReplay _replay = null!;
    private List<byte[]> _updates = null!;
    private byte[] _whole = null!;
    private YDoc _loaded = null!;

    /// <summary>The trace (a file name in shared/data/editing-traces without .json.gz).</summary>
    [Params("seph-blog1", "friendsforever_flat", "concurrent-friendsforever")]
    public string Trace { get; set; } = "seph-blog1";

    [GlobalSetup]
    public void Setup() => (_replay, _updates, _whole, _loaded) = Prepare(Trace);

    [Benchmark(Description = "(a) local replay")]
    public YDoc LocalReplay() => _replay.Run();

    [Benchmark(Description = "(b) server apply")]
    public YDoc ServerApply() => ApplyAll(_updates);

    [Benchmark(Description = "(c) encode whole doc")]
    public byte[] Encode() => _loaded.EncodeStateAsUpdate();

    [Benchmark(Description = "(d) load whole-doc update")]
    public YDoc Load() => LoadWhole(_whole);

    internal static (TraceReplay Replay, List<byte[]> Updates, byte[] Whole, YDoc Loaded) Prepare(string name)
    {
        var trace = TraceFile.Load(TraceLocator.Find(name));
        var replay = new TraceReplay(trace);
        var updates = new List<byte[]>(trace.Txns.Count);
        var doc = replay.Run(updates);
        if (doc.GetText("text").ToString() != trace.EndContent)
        {
            throw new InvalidOperationException($"{name}: replay does not reach endContent");
        }

        var server = ApplyAll(updates);
        if (server.GetText("text").ToString() != trace.EndContent || server.HasPending)
        {
            throw new InvalidOperationException($"{name}: the applied updates do not reach endContent");
        }

        byte[] whole = server.EncodeStateAsUpdate();
        return (replay, updates, whole, LoadWhole(whole));
    }

    private static YDoc ApplyAll(List<byte[]> updates)
    {
        var doc = new YDoc();
        foreach (byte[] u in updates)
        {
            doc.ApplyUpdate(u);
        }

        return doc;
    }

    private static YDoc LoadWhole(byte[] whole)
    {
        var doc = new YDoc();
        doc.ApplyUpdate(whole);
        doc.GetText("text");
        return doc;
    }

    /// <summary>
    /// The same four operations timed like tests/js/bench.mjs: warm-ups, a full GC before each timed run, median and
    /// minimum of <paramref name="runs"/> runs ((c) and (d): ten times as many). Prints one line per operation.
    /// </summary>
    public static void Quick(string name, int runs, int warmups, string ops = "abcd")
    {
        var (replay, updates, whole, loaded) = Prepare(name);
        Console.WriteLine($"{name}: {updates.Count} updates, whole-doc update {whole.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(whole))[..16]}");
        if (ops.Contains('a', StringComparison.Ordinal))
        {
            Measure("(a) local replay", runs, warmups, () => replay.Run());
        }

        if (ops.Contains('b', StringComparison.Ordinal))
        {
            Measure("(b) server apply", runs, warmups, () => ApplyAll(updates));
        }

        if (ops.Contains('c', StringComparison.Ordinal))
        {
            Measure("(c) encode whole doc", runs * 10, warmups * 10, () => loaded.EncodeStateAsUpdate());
        }

        if (ops.Contains('d', StringComparison.Ordinal))
        {
            Measure("(d) load whole-doc update", runs * 10, warmups * 10, () => LoadWhole(whole));
        }
    }

    /// <summary>The first replay of a trace in this process (a fresh process: the cold-start figure).</summary>
    public static void Cold(string name)
    {
        var process = Process.GetCurrentProcess();
        var sw = Stopwatch.StartNew();
        var trace = TraceFile.Load(TraceLocator.Find(name));
        double parseMs = sw.Elapsed.TotalMilliseconds;
        (double Wall, double Cpu) Time(Action run)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var w = Stopwatch.StartNew();
            run();
            double wall = w.Elapsed.TotalMilliseconds;
            process.Refresh();
            return (wall, (process.TotalProcessorTime - cpu).TotalMilliseconds);
        }

        YDoc? doc = null;
        var first = Time(() => doc = new TraceReplay(trace).Run());
        if (doc!.GetText("text").ToString() != trace.EndContent)
        {
            throw new InvalidOperationException($"{name}: replay does not reach endContent");
        }

        var second = Time(() => new TraceReplay(trace).Run());
        double sinceStart = (DateTime.Now - process.StartTime).TotalMilliseconds;
        Console.WriteLine($"{name}: cold first replay wall {first.Wall:F1} ms CPU {first.Cpu:F1} ms, second wall {second.Wall:F1} ms CPU {second.Cpu:F1} ms (trace parse {parseMs:F1} ms, process start to now {sinceStart:F0} ms)");
    }

    private static void Measure(string label, int runs, int warmups, Func<object> run)
    {
        for (int i = 0; i < warmups; i++)
        {
            GC.KeepAlive(run());
        }

        var times = new double[runs];
        var pauses = new double[runs];
        var cpus = new double[runs];
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < runs; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var pause = GC.GetTotalPauseDuration();
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            GC.KeepAlive(run());
            times[i] = sw.Elapsed.TotalMilliseconds;
            process.Refresh();
            cpus[i] = (process.TotalProcessorTime - cpu).TotalMilliseconds;
            pauses[i] = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;
            if (i == 0)
            {
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                Console.Write($"{label,-28}");
                Console.Write($" alloc {allocated / 1024.0 / 1024.0,7:F2} MiB");
            }
        }

        Array.Sort(times);
        Array.Sort(pauses);
        Array.Sort(cpus);
        Console.WriteLine($"  GC pauses {pauses[runs / 2],7:F2} ms  wall median {times[runs / 2],9:F2} ms  min {times[0],9:F2} ms  CPU median {cpus[runs / 2],9:F2} ms  min {cpus[0],9:F2} ms  (n={runs})");
    }
}
