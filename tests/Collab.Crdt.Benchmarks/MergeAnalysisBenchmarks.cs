using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Crdt.Tests.Compat.Traces;
using Collab.Crdt.Types;

namespace Collab.Crdt.Benchmarks;

/// <summary>
/// Merge analysis (issue 8: under 100 ms): a base of the first 100,000 automerge-paper transactions, then two branches
/// with 10,000 transactions (updates) each since that base, gc off as the server rebuilds them. The target replays the
/// next 10,000 trace transactions where they happened; the source replays the same transactions either in the other
/// half of the document ("disjoint": no conflicts) or one character to the right ("overlapping": conflicts everywhere).
/// </summary>
[MemoryDiagnoser]
public class MergeAnalysisBenchmarks
{
    private const int BaseTxns = 100_000;
    private const int BranchTxns = 10_000;
    private YDoc _target = null!;
    private YDoc _source = null!;

    [Params("disjoint", "overlapping")]
    public string Case { get; set; } = "disjoint";

    [GlobalSetup]
    public void Setup() => (_target, _source) = Build(Case);

    [Benchmark(Description = "Analyze: 10,000 + 10,000 updates since the base")]
    public MergeAnalysis Analyze() => MergeAnalyzer.Analyze(_target, _source, "bench");

    public static (YDoc Target, YDoc Source) Build(string kind)
    {
        var trace = TraceFile.Load(TraceLocator.Find("automerge-paper"));
        var b = new YDoc(new YDocOptions { ClientId = 1, Gc = false });
        var text = b.GetText("text");
        for (int i = 0; i < BaseTxns; i++)
        {
            b.Transact(() => TraceFile.ApplyPatches(text, trace.Txns[i].Patches));
        }

        byte[] baseUpdate = b.EncodeStateAsUpdate();
        var t = Branch(baseUpdate, 2);
        var s = Branch(baseUpdate, 3);
        var tt = t.GetText("text");
        var st = s.GetText("text");
        int half = text.Length / 2;
        for (int i = BaseTxns; i < BaseTxns + BranchTxns; i++)
        {
            var patches = trace.Txns[i].Patches;
            t.Transact(() => TraceFile.ApplyPatches(tt, patches));
            int shift = kind == "disjoint" ? half : 1;
            s.Transact(() => ApplyShifted(st, patches, shift));
        }

        return (t, s);
    }

    private static YDoc Branch(byte[] baseUpdate, uint client)
    {
        var d = new YDoc(new YDocOptions { ClientId = client, Gc = false });
        d.ApplyUpdate(baseUpdate);
        d.ClientId = client;
        return d;
    }

    private static void ApplyShifted(YText text, (int Pos, int Del, string Ins)[] patches, int shift)
    {
        foreach (var (pos, del, ins) in patches)
        {
            int len = text.Length;
            int p = Math.Min(len, pos + shift) % (len + 1);
            int d = Math.Min(del, len - p);
            if (d > 0)
            {
                text.Delete(p, d);
            }

            if (ins.Length > 0)
            {
                text.Insert(p, ins);
            }
        }
    }

    /// <summary>A quick Stopwatch run (no BenchmarkDotNet) for iterating on the implementation.</summary>
    public static void Quick()
    {
        foreach (string kind in new[] { "disjoint", "overlapping" })
        {
            var (t, s) = Build(kind);
            var sw = Stopwatch.StartNew();
            var a = MergeAnalyzer.Analyze(t, s, "warmup");
            Console.WriteLine($"{kind}: first run {sw.Elapsed.TotalMilliseconds:F1} ms, {a.Conflicts.Count} conflicts, update {a.Update.Length} bytes");
            const int Runs = 20;
            var proc = Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (int i = 0; i < Runs; i++)
            {
                MergeAnalyzer.Analyze(t, s, "m");
            }

            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds / Runs;
            Console.WriteLine($"{kind}: {Runs} runs, wall {wall.Elapsed.TotalMilliseconds / Runs:F1} ms/op, process CPU {cpu:F1} ms/op");
        }
    }
}
