using System.Security.Cryptography;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Collab.Crdt.Benchmarks;
using Collab.Crdt.Document;
using Collab.Crdt.Tests.Compat.Traces;

// dotnet run -c Release --project tests/Collab.Crdt.Benchmarks -- [--retained] [BenchmarkDotNet args]
// --merge-quick: a Stopwatch run of the merge analysis benchmark's cases (BenchmarkDotNet: --filter *MergeAnalysis*).
// --retained: the managed heap a loaded automerge-paper doc keeps alive (what node's heapUsed is compared with).
if (args.Contains("--retained"))
{
    var trace = TraceFile.Load(TraceLocator.Find("automerge-paper"));
    var source = new YDoc(new YDocOptions { ClientId = 1 });
    var text = source.GetText("text");
    foreach (var txn in trace.Txns)
    {
        source.Transact(() => TraceFile.ApplyPatches(text, txn.Patches));
    }

    byte[] whole = source.EncodeStateAsUpdate();
    source = null;
    const int Docs = 5;
    var keep = new List<YDoc>(Docs);
    long before = GC.GetTotalMemory(forceFullCollection: true);
    for (int i = 0; i < Docs; i++)
    {
        var doc = new YDoc();
        doc.ApplyUpdate(whole);
        _ = doc.GetText("text").ToString();
        keep.Add(doc);
    }

    long after = GC.GetTotalMemory(forceFullCollection: true);
    long perDoc = (after - before) / Docs;
    Console.WriteLine($"update bytes {whole.Length}, sha256 {Convert.ToHexStringLower(SHA256.HashData(whole))}");
    Console.WriteLine($"retained heap of a loaded doc: {perDoc / 1024.0 / 1024.0:F2} MiB ({perDoc} bytes), {keep.Count} docs measured");
    return;
}

// --quick TRACE [--runs N] [--ops abcd]: EditingTraceBenchmarks' operations (wall and process CPU time), timed like
// tests/js/bench.mjs.
// --cold TRACE: the first replay of TRACE in this fresh process (start-up cost: JIT, type loading), then a second one.
int traceArg = Array.IndexOf(args, "--quick");
if (traceArg >= 0)
{
    int runsArg = Array.IndexOf(args, "--runs");
    int runs = runsArg >= 0 ? int.Parse(args[runsArg + 1], System.Globalization.CultureInfo.InvariantCulture) : 5;
    int opsArg = Array.IndexOf(args, "--ops");
    EditingTraceBenchmarks.Quick(args[traceArg + 1], runs, warmups: 3, opsArg >= 0 ? args[opsArg + 1] : "abcd");
    return;
}

int coldArg = Array.IndexOf(args, "--cold");
if (coldArg >= 0)
{
    EditingTraceBenchmarks.Cold(args[coldArg + 1]);
    return;
}

if (args.Contains("--merge-quick"))
{
    MergeAnalysisBenchmarks.Quick();
    return;
}

// In-process and short: the machine has 2 shared cores; a ratio against yjs measured in the same session is the point.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("short-inprocess"));
BenchmarkSwitcher.FromAssembly(typeof(AutomergePaperBenchmarks).Assembly).Run(args, config);
