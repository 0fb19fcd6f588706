using System.IO.Compression;
using System.Text.Json;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Compat.Traces;

/// <summary>One transaction of an editing trace: patches [pos, delCount, insertText] applied in order.</summary>
internal sealed record TraceTxn(int Agent, int[] Parents, (int Pos, int Del, string Ins)[] Patches);

/// <summary>
/// An editing trace from shared/data/editing-traces (format in its README). Also compiled into
/// tests/Collab.Crdt.Benchmarks, so the benchmark replays exactly what the tests replay.
/// </summary>
internal sealed class TraceFile
{
    public required string EndContent { get; init; }

    public required int NumAgents { get; init; }

    public required List<TraceTxn> Txns { get; init; }

    public static TraceFile Load(string path)
    {
        using var fs = File.OpenRead(path);
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var json = JsonDocument.Parse(gz);
        var root = json.RootElement;
        var txns = new List<TraceTxn>();
        foreach (var txn in root.GetProperty("txns").EnumerateArray())
        {
            var patches = new List<(int, int, string)>();
            foreach (var p in txn.GetProperty("patches").EnumerateArray())
            {
                patches.Add((p[0].GetInt32(), p[1].GetInt32(), p[2].GetString()!));
            }

            int agent = txn.TryGetProperty("agent", out var a) ? a.GetInt32() : 0;
            int[] parents = txn.TryGetProperty("parents", out var ps) ? ps.EnumerateArray().Select(x => x.GetInt32()).ToArray() : [];
            txns.Add(new TraceTxn(agent, parents, [.. patches]));
        }

        return new TraceFile
        {
            EndContent = root.GetProperty("endContent").GetString()!,
            NumAgents = root.TryGetProperty("numAgents", out var n) ? n.GetInt32() : 1,
            Txns = txns,
        };
    }

    /// <summary>Applies one transaction's patches to the text (call inside a transaction).</summary>
    public static void ApplyPatches(YText text, (int Pos, int Del, string Ins)[] patches)
    {
        foreach (var (pos, del, ins) in patches)
        {
            if (del > 0)
            {
                text.Delete(pos, del);
            }

            if (ins.Length > 0)
            {
                text.Insert(pos, ins);
            }
        }
    }
}
