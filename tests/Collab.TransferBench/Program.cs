using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.Access;
using Collab.Documents.Proofs;
using Collab.EventStore;
using Collab.EventStore.LiteDb;
using Collab.EventStore.Merkle;

var tracePath = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "data", "editing-traces", "automerge-paper.json.gz");
// "restart": only the Merkle figures, with the first proof after a restart with and without persisted trees (no export/import).
var restartOnly = args.Length > 1 && args[1] == "restart";
var updates = new List<byte[]>();
{
    using var fs = File.OpenRead(tracePath);
    using var gz = new GZipStream(fs, CompressionMode.Decompress);
    using var json = JsonDocument.Parse(gz);
    var doc = new YDoc(new YDocOptions { ClientId = 1 });
    doc.UpdateV1 += (u, _) => updates.Add(u);
    var text = doc.GetText("text");
    foreach (var txn in json.RootElement.GetProperty("txns").EnumerateArray())
    {
        doc.Transact(() =>
        {
            foreach (var p in txn.GetProperty("patches").EnumerateArray())
            {
                var (pos, del, ins) = (p[0].GetInt32(), p[1].GetInt32(), p[2].GetString()!);
                if (del > 0) text.Delete(pos, del);
                if (ins.Length > 0) text.Insert(pos, ins);
            }
        });
    }
}
Console.WriteLine($"updates: {updates.Count}, payload bytes: {updates.Sum(u => (long)u.Length)}");

var dir = Path.Combine(Path.GetTempPath(), "xfer-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
try
{
    var storeOptions = new LiteDbEventStoreOptions { Path = Path.Combine(dir, "a.db") };
    var store = new LiteDbEventStore(storeOptions);
    var merkleFiles = new MerkleTreeFiles(Path.Combine(dir, "merkle"));
    var directory = new DocumentDirectory(null);
    var catalog = new DocumentCatalog(store, directory, TimeProvider.System);
    await catalog.CreateAsync("paper", "automerge-paper", "alice", default);
    var main = BranchRef.MainOf(new DocumentId("paper"));
    var sw = Stopwatch.StartNew();
    for (var i = 0; i < updates.Count; i += 1000)
    {
        await store.AppendAsync(main, updates.Skip(i).Take(1000).Select(u => new NewEvent(EventKind.Update, u, "alice") { ClientIds = [1] }).ToList());
    }
    Console.WriteLine($"stored in {sw.Elapsed.TotalSeconds:F1} s");

    var trees = new BranchMerkleTrees(store, files: merkleFiles);
    sw.Restart();
    var digest = await trees.GetDigestAsync(main);
    Console.WriteLine($"first digest (cold Merkle cache, reads the whole branch, writes the tree's file): {sw.Elapsed.TotalMilliseconds:F0} ms, root {digest.Root}");
    var rng = new Random(1);
    var times = new List<double>();
    for (var i = 0; i < 2000; i++)
    {
        var seq = rng.NextInt64(1, updates.Count + 1);
        var t = Stopwatch.GetTimestamp();
        var proof = await trees.GetInclusionProofAsync(main, new EventSeq(seq));
        times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        if (!MerkleProofs.VerifyInclusion(MerkleHash.Leaf(proof.EventHash), seq - 1, proof.TreeSize.Value, proof.Path, proof.Root)) throw new InvalidOperationException("bad proof");
    }
    times.Sort();
    Console.WriteLine($"inclusion proof (2000 random seqs, warm): p50 {times[1000]:F3} ms, p99 {times[1980]:F3} ms, path {(await trees.GetInclusionProofAsync(main, new EventSeq(7))).Path.Count} hashes");
    times.Clear();
    for (var i = 0; i < 500; i++)
    {
        var m = rng.NextInt64(1, updates.Count);
        var t = Stopwatch.GetTimestamp();
        await trees.GetConsistencyProofAsync(main, new EventSeq(m));
        times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"consistency proof (500 random sizes, warm): p50 {times[250]:F3} ms, p99 {times[495]:F3} ms");

    // A restart: the store closed and opened again, new trees; the first inclusion proof without and with persisted trees.
    foreach (var persisted in new[] { false, true, false, true })
    {
        await store.DisposeAsync();
        sw.Restart();
        store = new LiteDbEventStore(storeOptions);
        var open = sw.Elapsed;
        var restarted = new BranchMerkleTrees(store, files: persisted ? merkleFiles : null);
        var seq = rng.NextInt64(1, updates.Count + 1);
        sw.Restart();
        var proof = await restarted.GetInclusionProofAsync(main, new EventSeq(seq));
        var first = sw.Elapsed;
        if (proof.Root != digest.Root || !MerkleProofs.VerifyInclusion(MerkleHash.Leaf(proof.EventHash), seq - 1, proof.TreeSize.Value, proof.Path, proof.Root)) throw new InvalidOperationException("bad proof after a restart");
        sw.Restart();
        await restarted.WhenLoadedTreesVerifiedAsync();
        var check = persisted ? $", background check of the loaded tree done {sw.Elapsed.TotalMilliseconds:F0} ms later (loaded {restarted.PersistedTreesLoaded}, rejected {restarted.PersistedTreesRejected})" : "";
        Console.WriteLine($"restart (store opened in {open.TotalMilliseconds:F0} ms), first inclusion proof {(persisted ? "with" : "without")} persisted trees: {first.TotalMilliseconds:F1} ms{check}");
    }
    var fileBytes = new FileInfo(merkleFiles.PathOf(main)).Length;
    Console.WriteLine($"persisted tree of the branch: {fileBytes:N0} bytes");
    if (restartOnly)
    {
        await store.DisposeAsync();
        return;
    }

    var transfer = new DocumentTransfer(store, catalog, directory);
    var file = new MemoryStream();
    sw.Restart();
    var cpu = ProcessCpuSeconds();
    await transfer.ExportAsync("paper", "alice", file, default);
    var exportTime = sw.Elapsed;
    Console.WriteLine($"export: {exportTime.TotalSeconds:F2} s ({ProcessCpuSeconds() - cpu:F2} s CPU), {file.Length / 1e6:F1} MB");

    // The import's first half alone: parse the file and verify every hash (what an import does before writing).
    file.Position = 0;
    sw.Restart();
    cpu = ProcessCpuSeconds();
    await DocumentTransfer.VerifyFileAsync(new MemoryStream(file.GetBuffer(), 0, (int)file.Length, writable: false), default);
    Console.WriteLine($"verify the file only (parse + every hash, no writes): {sw.Elapsed.TotalSeconds:F2} s ({ProcessCpuSeconds() - cpu:F2} s CPU)");

    var store2 = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = Path.Combine(dir, "b.db") });
    var directory2 = new DocumentDirectory(null);
    var catalog2 = new DocumentCatalog(store2, directory2, TimeProvider.System);
    var transfer2 = new DocumentTransfer(store2, catalog2, directory2);
    file.Position = 0;
    sw.Restart();
    cpu = ProcessCpuSeconds();
    var result = await transfer2.ImportAsync(file, "ivan", default);
    var importTime = sw.Elapsed;
    Console.WriteLine($"import (verify all, then write, fsync): {importTime.TotalSeconds:F2} s ({ProcessCpuSeconds() - cpu:F2} s CPU), {result.Events} events; export+import {(exportTime + importTime).TotalSeconds:F2} s");
    var digest2 = await new BranchMerkleTrees(store2).GetDigestAsync(main);
    Console.WriteLine($"same root after import: {digest2.Root == digest.Root}, same chain head: {digest2.ChainHash == digest.ChainHash}");
    await store.DisposeAsync();
    await store2.DisposeAsync();
}
finally
{
    Directory.Delete(dir, true);
}

// On-CPU time of the process, threads that ended included (/proc/self/stat): on a shared machine, the cost of the work itself.
static double ProcessCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
