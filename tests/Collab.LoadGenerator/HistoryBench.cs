using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.Access;
using Collab.Documents.History;
using Collab.EventStore;
using Collab.EventStore.LiteDb;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>history-bench [--trace PATH] [--samples N] [--snapshot-every N] [--folder DIR] [--keep true] [--from-fraction F] [--warmup N] [--only content,diff,nearby,blame,rebuild,stages,diffstages,snapload]</c>: stores a sequential editing
/// trace (automerge-paper by default) as one event per transaction in a LiteDB store, with a snapshot every N events as
/// live sessions leave them, then measures the history views: content at random seqs, diffs between random seqs, blame
/// of the final document (docs/benchmarks.md, "History views").
/// </summary>
internal static class HistoryBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string trace = "../shared/data/editing-traces/automerge-paper.json.gz";
        int samples = 200;
        int snapshotEvery = 500;
        string folder = Path.Combine(Path.GetTempPath(), "collab-history-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        bool keep = false;
        string only = "all";
        double fromFraction = 0;
        int warmup = 1;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--trace": trace = args[i + 1]; break;
                case "--samples": samples = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--snapshot-every": snapshotEvery = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--folder": folder = args[i + 1]; break;
                case "--keep": keep = args[i + 1] == "true"; break;
                case "--only": only = args[i + 1]; break;
                case "--from-fraction": fromFraction = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }

        Directory.CreateDirectory(folder);
        var txns = LoadPatches(Path.GetFullPath(trace));
        Console.WriteLine($"trace {Path.GetFullPath(trace)}: {txns.Count:N0} transactions; store {folder}; snapshot every {snapshotEvery}");
        var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = Path.Combine(folder, "history.db"), Durability = Durability.Fsync });
        await using (store)
        {
            using var directory = new DocumentDirectory(null);
            var catalog = new DocumentCatalog(store, directory, TimeProvider.System);
            var main = new BranchRef(new DocumentId("paper"), new BranchName("main"));
            // --keep true: a store left by an earlier run with --keep true is measured again without storing the trace.
            var stored = keep ? await store.GetBranchAsync(main, default) : null;
            if (stored is null) await catalog.CreateAsync("paper", "automerge-paper", "bench", default);
            else directory.Add(new DocumentEntry("paper", "automerge-paper", "bench", DateTimeOffset.UtcNow));

            var watch = Stopwatch.StartNew();
            var typist = new YDoc(new YDocOptions { ClientId = 42 });
            var text = typist.GetText("text");
            var batch = new List<NewEvent>(1000);
            long seq = 0;
            foreach (var patches in txns)
            {
                if (stored is not null && seq == stored.Head.Value) break;
                var updates = new List<byte[]>();
                void OnUpdate(byte[] u, object? _) => updates.Add(u);
                typist.UpdateV1 += OnUpdate;
                typist.Transact(() =>
                {
                    foreach (var (pos, del, ins) in patches)
                    {
                        if (del > 0) text.Delete(pos, del);
                        if (ins.Length > 0) text.Insert(pos, ins);
                    }
                });
                typist.UpdateV1 -= OnUpdate;
                if (updates.Count == 0) continue;
                if (stored is not null)
                {
                    seq++; // replaying the trace only for the expected text
                    continue;
                }
                batch.Add(new NewEvent(EventKind.Update, updates.Count == 1 ? updates[0] : Collab.Crdt.YUpdate.Merge(updates), "author-" + (seq / 20_000).ToString(CultureInfo.InvariantCulture)) { ClientIds = [42] });
                seq++;
                if (seq % snapshotEvery == 0 || batch.Count == 1000)
                {
                    await store.AppendAsync(main, batch);
                    batch.Clear();
                }
                if (seq % snapshotEvery == 0) await store.PutSnapshotAsync(main, new EventSeq(seq), typist.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
            }
            if (batch.Count > 0 && stored is null) await store.AppendAsync(main, batch);
            Console.WriteLine($"stored {seq:N0} events in {watch.Elapsed.TotalSeconds:F1} s; final text {text.Length:N0} chars");
            // The trace and the typist's document are not part of what is measured: let them go, so that the heap the
            // collector works on holds what a server would (the index and the requests' own objects).
            var expectedFinal = text.ToString();
            txns = [];
            batch = [];
            typist = new YDoc();
            text = typist.GetText("text");

            var index = new HistoryIndex(store);
            var content = new ContentService(store, catalog, index);
            var diffs = new DiffService(store, catalog, index);
            var blame = new BlameService(store, catalog, index);
            directory.Grant("paper", "aud", DocumentRole.Auditor);

            if (only == "snapload")
            {
                // Profiling aid: applies one snapshot again and again (for dotnet-trace).
                var snap = await store.GetNearestSnapshotAsync(main, new EventSeq(seq), default);
                var bytes = snap!.State.ToArray();
                // What the snapshot holds (structs by content, deleted ranges), for reading a profile of its apply.
                var detail = Collab.Crdt.YUpdate.Inspect(bytes);
                int Count(Collab.Crdt.History.InsertedContent kind) => detail.Inserted.Count(s => s.Content == kind);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot at {snap.Seq}: {detail.Inserted.Count:N0} structs ({Count(Collab.Crdt.History.InsertedContent.Text):N0} text, {Count(Collab.Crdt.History.InsertedContent.Deleted):N0} deleted, {Count(Collab.Crdt.History.InsertedContent.Gc):N0} gc), {detail.Deleted.Sum(static d => d.Value.Count):N0} deleted ranges"));
                var w = Stopwatch.StartNew();
                for (int i = 0; i < samples; i++) new YDoc().ApplyUpdate(bytes);
                Console.WriteLine($"snapshot {bytes.Length:N0} bytes applied {samples} times: {w.Elapsed.TotalMilliseconds / samples:F2} ms each");
                return 0;
            }

            watch.Restart();
            using (await index.OpenAsync(main.Document, default))
            {
            }
            Console.WriteLine($"history index built from the log (first request only): {watch.Elapsed.TotalMilliseconds:F0} ms; live heap after it {GC.GetTotalMemory(true) / 1e6:F0} MB");

            var random = new Random(1234);
            // --from-fraction F: content and stages at random seqs of the last (1 - F) of the history only (the largest versions).
            long minSeq = Math.Max(1, (long)(fromFraction * seq));
            // The stage splits are profiling aids (CPU summed over many requests): run only when named.
            bool Run(string phase) => only == "all" ? phase is not ("stages" or "diffstages") : only.Split(',').Contains(phase);
            var final = await content.GetTextAsync("paper", new PositionQuery("main"), "text", "aud", default);
            if (final.Text != expectedFinal) throw new InvalidOperationException("content at the head differs from the trace");

            if (Run("rebuild"))
            {
                var replayer = new DocumentReplayer(store);
                var replayTimes = await MeasureAsync(samples, warmup, async () =>
                    await replayer.BuildAsync(main, new EventSeq(random.NextInt64(1, seq + 1)), gc: true, default));
                Report("rebuild only (snapshot + events) at a random seq", replayTimes);
                var snapshotTimes = await MeasureAsync(samples, warmup, async () =>
                    await replayer.BuildAsync(main, new EventSeq(Math.Max(snapshotEvery, random.NextInt64(1, seq + 1) / snapshotEvery * snapshotEvery)), gc: true, default));
                Report("rebuild at a snapshot position (no events to apply)", snapshotTimes);
            }

            if (Run("stages"))
            {
                // Where a content request's time goes: CPU per stage, summed over the samples.
                var cpuStage = new double[6];
                long allocSnapshotRead = 0, allocSnapshotApply = 0, allocRender = 0, allocRequest = 0, snapshotBytes = 0;
                var names = new[] { "read snapshot", "apply snapshot", "read events", "apply events one by one", "merge events + apply once", "render all roots" };
                for (int i = 0; i < samples; i++)
                {
                    var at = new EventSeq(random.NextInt64(minSeq, seq + 1));
                    long a0 = GC.GetTotalAllocatedBytes(true);
                    long t0 = ProcessCpuNanoseconds();
                    var snapshot = await store.GetNearestSnapshotAsync(main, at, default);
                    long t1 = ProcessCpuNanoseconds();
                    long a1 = GC.GetTotalAllocatedBytes(true);
                    var doc = new YDoc();
                    if (snapshot is not null) doc.ApplyUpdate(snapshot.State.ToArray());
                    long t2 = ProcessCpuNanoseconds();
                    long a2 = GC.GetTotalAllocatedBytes(true);
                    allocSnapshotRead += a1 - a0;
                    allocSnapshotApply += a2 - a1;
                    snapshotBytes += snapshot?.State.Length ?? 0;
                    var events = new List<byte[]>();
                    var from = snapshot?.Seq ?? EventSeq.Zero;
                    if (from < at)
                    {
                        await foreach (var e in store.ReadAsync(main, from.Next, at, default)) events.Add(e.Payload.ToArray());
                    }
                    long t3 = ProcessCpuNanoseconds();
                    foreach (var e in events) doc.ApplyUpdate(e);
                    long t4 = ProcessCpuNanoseconds();
                    var doc2 = new YDoc();
                    if (snapshot is not null) doc2.ApplyUpdate(snapshot.State.ToArray());
                    long t5 = ProcessCpuNanoseconds();
                    if (events.Count > 0) doc2.ApplyUpdate(Collab.Crdt.YUpdate.Merge(events));
                    long t6 = ProcessCpuNanoseconds();
                    long a6 = GC.GetTotalAllocatedBytes(true);
                    Collab.Crdt.History.DocumentRender.RenderAll(doc);
                    long t7 = ProcessCpuNanoseconds();
                    allocRender += GC.GetTotalAllocatedBytes(true) - a6;
                    long a8 = GC.GetTotalAllocatedBytes(true);
                    await content.GetAsync("paper", new PositionQuery("main", at.Value), "aud", default);
                    allocRequest += GC.GetTotalAllocatedBytes(true) - a8;
                    if (doc2.GetText("text").ToString() != doc.GetText("text").ToString()) throw new InvalidOperationException("merged replay differs");
                    cpuStage[0] += t1 - t0;
                    cpuStage[1] += t2 - t1;
                    cpuStage[2] += t3 - t2;
                    cpuStage[3] += t4 - t3;
                    cpuStage[4] += t6 - t5;
                    cpuStage[5] += t7 - t6;
                }
                for (int i = 0; i < names.Length; i++) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  stage {names[i]}: mean cpu {cpuStage[i] / samples / 1e6:F2} ms"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  allocated per request (mean): snapshot read {allocSnapshotRead / samples / 1e6:F2} MB (snapshot {snapshotBytes / samples / 1e3:F0} KB), snapshot apply {allocSnapshotApply / samples / 1e6:F2} MB, render {allocRender / samples / 1e6:F2} MB; whole content request {allocRequest / samples / 1e6:F2} MB"));
            }

            if (Run("diffstages"))
            {
                // Where a diff's time goes: CPU per stage, summed over the samples.
                var replayer2 = new DocumentReplayer(store);
                double build = 0, runs = 0, total = 0;
                long allocBuilds = 0, allocRuns = 0, allocCompare = 0, runCount = 0, segmentCount = 0;
                for (int i = 0; i < samples; i++)
                {
                    long a = random.NextInt64(0, seq + 1), b = random.NextInt64(0, seq + 1);
                    (a, b) = (Math.Min(a, b), Math.Max(a, b));
                    long m0 = GC.GetTotalAllocatedBytes(true);
                    long t0 = ProcessCpuNanoseconds();
                    var baseDoc = (await replayer2.BuildAsync(main, new EventSeq(a), gc: true, default)).Doc;
                    var headDoc = (await replayer2.BuildAsync(main, new EventSeq(b), gc: true, default)).Doc;
                    long t1 = ProcessCpuNanoseconds();
                    long m1 = GC.GetTotalAllocatedBytes(true);
                    var itemRuns = Collab.Crdt.History.ItemRuns.Diff(baseDoc, headDoc, "text", Collab.Crdt.History.RootKind.Text);
                    long t2 = ProcessCpuNanoseconds();
                    long m2 = GC.GetTotalAllocatedBytes(true);
                    var result = await diffs.CompareAsync("paper", new PositionQuery("main", a), new PositionQuery("main", b), "aud", default);
                    long t3 = ProcessCpuNanoseconds();
                    long m3 = GC.GetTotalAllocatedBytes(true);
                    allocBuilds += m1 - m0;
                    allocRuns += m2 - m1;
                    allocCompare += m3 - m2;
                    runCount += itemRuns.Count;
                    segmentCount += result.Roots.Sum(static r => r.Segments.Count);
                    build += t1 - t0;
                    runs += t2 - t1;
                    total += t3 - t2;
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  diff stages, mean cpu: two builds {build / samples / 1e6:F2} ms, ItemRuns.Diff {runs / samples / 1e6:F2} ms, whole CompareAsync {total / samples / 1e6:F2} ms"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  diff, mean allocated: two builds {allocBuilds / samples / 1e6:F2} MB, ItemRuns.Diff {allocRuns / samples / 1e6:F2} MB ({runCount / samples:N0} runs), whole CompareAsync {allocCompare / samples / 1e6:F2} MB ({segmentCount / samples:N0} segments)"));
            }

            if (Run("content"))
            {
                var contentTimes = await MeasureAsync(samples, warmup, async () =>
                    await content.GetAsync("paper", new PositionQuery("main", random.NextInt64(minSeq, seq + 1)), "aud", default));
                Report("content at a random seq", contentTimes);
            }

            if (Run("diff"))
            {
                var diffTimes = await MeasureAsync(samples, warmup, async () =>
                {
                    long a = random.NextInt64(0, seq + 1), b = random.NextInt64(0, seq + 1);
                    await diffs.CompareAsync("paper", new PositionQuery("main", Math.Min(a, b)), new PositionQuery("main", Math.Max(a, b)), "aud", default);
                });
                Report("diff between two random seqs", diffTimes);
            }
            if (Run("nearby"))
            {
                var nearbyTimes = await MeasureAsync(samples, warmup, async () =>
                {
                    long b = random.NextInt64(1000, seq + 1), a = b - random.NextInt64(1, 1001);
                    await diffs.CompareAsync("paper", new PositionQuery("main", a), new PositionQuery("main", b), "aud", default);
                });
                Report("diff between two random seqs at most 1,000 apart", nearbyTimes);
            }

            if (Run("blame"))
            {
                var blameTimes = await MeasureAsync(Math.Max(5, samples / 20), warmup, async () => await blame.BlameAsync("paper", new PositionQuery("main"), "text", "aud", default));
                Report("blame of the final document", blameTimes);
            }
        }
        if (!keep) Directory.Delete(folder, recursive: true);
        return 0;
    }

    /// <summary>
    /// Wall-clock and process CPU time of each run. On a shared, overloaded machine the wall clock mostly measures the
    /// wait for a core; the CPU time (all threads of the process, GC included) is what the work itself costs.
    /// </summary>
    private static async Task<(List<double> Wall, List<double> Cpu)> MeasureAsync(int count, int warmup, Func<Task> action)
    {
        // Runs before measuring (--warmup, 1 by default): the first requests of a process run code the JIT has not
        // optimized yet, which shows in the tail of a short loop.
        for (int i = 0; i < warmup; i++)
        {
            await action();
        }

        var gcPause = GC.GetTotalPauseDuration();
        var gen2 = GC.CollectionCount(2);
        var gen0 = GC.CollectionCount(0);
        var wall = new List<double>(count);
        var cpu = new List<double>(count);
        var slowest = new List<(int Run, double Wall, double Cpu, int Gen0, int Gen1, int Gen2, double PausedMs, double PromotedMb)>(count);
        double promotedTotal = 0;
        long allocatedBefore = GC.GetTotalAllocatedBytes(false);
        for (int i = 0; i < count; i++)
        {
            var cpuBefore = ProcessCpuNanoseconds();
            int c0 = GC.CollectionCount(0), c1 = GC.CollectionCount(1), c2 = GC.CollectionCount(2);
            var paused = GC.GetTotalPauseDuration();
            var watch = Stopwatch.StartNew();
            await action();
            wall.Add(watch.Elapsed.TotalMilliseconds);
            cpu.Add((ProcessCpuNanoseconds() - cpuBefore) / 1e6);
            double promoted = GC.CollectionCount(0) != c0 ? GC.GetGCMemoryInfo(GCKind.Any).PromotedBytes / 1e6 : 0;
            promotedTotal += promoted;
            slowest.Add((i, wall[^1], cpu[^1], GC.CollectionCount(0) - c0, GC.CollectionCount(1) - c1, GC.CollectionCount(2) - c2, (GC.GetTotalPauseDuration() - paused).TotalMilliseconds, promoted));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  gc: {GC.CollectionCount(0) - gen0} collections ({GC.CollectionCount(2) - gen2} gen2), paused {(GC.GetTotalPauseDuration() - gcPause).TotalMilliseconds:F0} ms in all, {promotedTotal:F0} MB promoted; allocated {(GC.GetTotalAllocatedBytes(false) - allocatedBefore) / 1e6 / count:F2} MB per run; heap {GC.GetTotalMemory(false) / 1e6:F0} MB"));
        // What is still alive once the loop is over (a full collection after measuring): requests must leave nothing behind.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  live heap after the loop: {GC.GetTotalMemory(true) / 1e6:F0} MB"));
        // The tail: the slowest runs and the collections that fell in them (gen0/gen1/gen2 counts, pause).
        foreach (var s in slowest.OrderByDescending(static s => s.Wall).Take(4))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  slow run #{s.Run}: wall {s.Wall:F1} ms, cpu {s.Cpu:F1} ms, collections {s.Gen0}/{s.Gen1}/{s.Gen2}, paused {s.PausedMs:F1} ms, promoted {s.PromotedMb:F1} MB"));
        }
        return (wall, cpu);
    }

    /// <summary>
    /// On-CPU time of the whole process in ns (<c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c>): every thread, those that
    /// ended included (a sum of the threads' schedstat lost what thread-pool threads that ended had used, and could go
    /// backwards when work ran on other threads).
    /// </summary>
    private static long ProcessCpuNanoseconds()
    {
        if (NativeMethods.clock_gettime(NativeMethods.ClockProcessCpuTime, out var time) != 0) throw new InvalidOperationException("clock_gettime failed");
        return (time.Seconds * 1_000_000_000L) + time.Nanoseconds;
    }

    private static void Report(string what, (List<double> Wall, List<double> Cpu) times)
    {
        Console.WriteLine($"{what}: n={times.Wall.Count}");
        Console.WriteLine("  wall " + Percentiles(times.Wall));
        Console.WriteLine("  cpu  " + Percentiles(times.Cpu));
    }

    private static string Percentiles(List<double> times)
    {
        times.Sort();
        double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"p50={P(0.50):F1} ms p90={P(0.90):F1} ms p99={P(0.99):F1} ms max={times[^1]:F1} ms");
    }

    private static List<(int Pos, int Del, string Ins)[]> LoadPatches(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var json = JsonDocument.Parse(gz);
        var result = new List<(int, int, string)[]>();
        foreach (var txn in json.RootElement.GetProperty("txns").EnumerateArray())
        {
            result.Add(txn.GetProperty("patches").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32(), p[2].GetString()!)).ToArray());
        }
        return result;
    }
}

/// <summary>The libc call the bench's CPU meter needs (Linux, 64-bit).</summary>
internal static class NativeMethods
{
    public const int ClockProcessCpuTime = 2;

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
