using Collab.Crdt.Document;
using Collab.Crdt.Tests.Compat.Traces;

namespace Collab.Crdt.Benchmarks;

/// <summary>
/// Replays an editing trace the way the compatibility tests and tests/js/bench.mjs do. A sequential trace goes into
/// one doc (client id 1), one transaction per trace transaction. The concurrent trace goes into one doc per agent
/// (client id = agent + 1): before each transaction its agent's doc receives the other agents' per-transaction
/// updates its parents include (EditingTraceTests explains why per-agent counts, not clocks).
/// </summary>
internal sealed class TraceReplay
{
    private readonly TraceFile _trace;

    public TraceReplay(TraceFile trace) => _trace = trace;

    public bool Concurrent => _trace.NumAgents > 1 || _trace.Txns.Any(t => t.Parents.Length > 1);

    /// <summary>
    /// (a) local replay. Returns the doc that holds the final text; <paramref name="updates"/>, when given, receives
    /// every emitted update in trace order (what a server would apply).
    /// </summary>
    public YDoc Run(List<byte[]>? updates = null) => Concurrent ? RunConcurrent(updates) : RunSequential(updates);

    private YDoc RunSequential(List<byte[]>? updates)
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        if (updates is not null)
        {
            doc.UpdateV1 += (u, _) => updates.Add(u);
        }

        var text = doc.GetText("text");
        foreach (var txn in _trace.Txns)
        {
            doc.Transact(() => TraceFile.ApplyPatches(text, txn.Patches));
        }

        return doc;
    }

    private YDoc RunConcurrent(List<byte[]>? updates)
    {
        int n = _trace.NumAgents;
        var docs = new YDoc[n];
        var logs = new List<byte[]?>[n];
        var applied = new int[n][];
        for (int a = 0; a < n; a++)
        {
            docs[a] = new YDoc(new YDocOptions { ClientId = (uint)a + 1 });
            logs[a] = [];
            applied[a] = new int[n];
        }

        var versions = new List<int[]>(_trace.Txns.Count);
        byte[]? update = null;
        void Capture(byte[] u, object? origin) => update = u;
        foreach (var txn in _trace.Txns)
        {
            var target = new int[n];
            foreach (int p in txn.Parents)
            {
                for (int a = 0; a < n; a++)
                {
                    target[a] = Math.Max(target[a], versions[p][a]);
                }
            }

            int me = txn.Agent;
            var d = docs[me];
            for (int a = 0; a < n; a++)
            {
                if (a == me)
                {
                    continue;
                }

                while (applied[me][a] < target[a])
                {
                    if (logs[a][applied[me][a]++] is { } u)
                    {
                        d.ApplyUpdate(u);
                    }
                }
            }

            update = null;
            d.UpdateV1 += Capture;
            var text = d.GetText("text");
            d.Transact(() => TraceFile.ApplyPatches(text, txn.Patches));
            d.UpdateV1 -= Capture;
            logs[me].Add(update);
            if (update is not null)
            {
                updates?.Add(update);
            }

            target[me] = ++applied[me][me];
            versions.Add(target);
        }

        return docs[_trace.Txns[^1].Agent];
    }
}
