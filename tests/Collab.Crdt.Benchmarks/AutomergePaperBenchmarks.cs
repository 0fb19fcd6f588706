using BenchmarkDotNet.Attributes;
using Collab.Crdt.Document;
using Collab.Crdt.Tests.Compat.Traces;

namespace Collab.Crdt.Benchmarks;

/// <summary>
/// The automerge-paper trace (259,778 transactions) through the engine; tests/js/bench.mjs measures yjs on the same
/// input. (a) local replay, one transaction per trace transaction; (b) a server applying the per-transaction updates
/// one by one to a fresh doc; (c) encoding the whole doc; (d) loading the whole-doc update into an empty doc.
/// </summary>
[MemoryDiagnoser]
public class AutomergePaperBenchmarks
{
    private TraceFile _trace = null!;
    private List<byte[]> _updates = null!;
    private byte[] _whole = null!;
    private YDoc _loaded = null!;

    [GlobalSetup]
    public void Setup()
    {
        _trace = TraceFile.Load(TraceLocator.Find("automerge-paper"));
        _updates = new List<byte[]>(_trace.Txns.Count);
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        doc.UpdateV1 += (u, _) => _updates.Add(u);
        Replay(doc);
        if (doc.GetText("text").ToString() != _trace.EndContent)
        {
            throw new InvalidOperationException("replay does not reach endContent");
        }

        _whole = doc.EncodeStateAsUpdate();
        _loaded = new YDoc();
        _loaded.ApplyUpdate(_whole);
    }

    [Benchmark(Description = "(a) local replay")]
    public YDoc LocalReplay()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        Replay(doc);
        return doc;
    }

    [Benchmark(Description = "(b) apply 259,778 updates")]
    public YDoc ServerApply()
    {
        var doc = new YDoc();
        foreach (byte[] u in _updates)
        {
            doc.ApplyUpdate(u);
        }

        return doc;
    }

    [Benchmark(Description = "(c) encode whole doc")]
    public byte[] Encode() => _loaded.EncodeStateAsUpdate();

    [Benchmark(Description = "(d) load whole-doc update")]
    public YDoc Load()
    {
        var doc = new YDoc();
        doc.ApplyUpdate(_whole);
        doc.GetText("text");
        return doc;
    }

    private void Replay(YDoc doc)
    {
        var text = doc.GetText("text");
        foreach (var txn in _trace.Txns)
        {
            doc.Transact(() => TraceFile.ApplyPatches(text, txn.Patches));
        }
    }
}
