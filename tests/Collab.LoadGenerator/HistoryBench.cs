using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.Access;
using Collab.Documents.History;
using Collab.EventStore;
using Collab.EventStore.LiteDb;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>history-bench [--trace PATH] [--samples N] [--snapshot-every N] [--folder DIR]</c>: stores a sequential editing
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
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--trace": trace = args[i + 1]; break;
                case "--samples": samples = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--snapshot-every": snapshotEvery = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--folder": folder = args[i + 1]; break;
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
            await catalog.CreateAsync("paper", "automerge-paper", "bench", default);
            var main = new BranchRef(new DocumentId("paper"), new BranchName("main"));

            var watch = Stopwatch.StartNew();
            var typist = new YDoc(new YDocOptions { ClientId = 42 });
            var text = typist.GetText("text");
            var batch = new List<NewEvent>(1000);
            long seq = 0;
            foreach (var patches in txns)
            {
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
                batch.Add(new NewEvent(EventKind.Update, updates.Count == 1 ? updates[0] : Collab.Crdt.YUpdate.Merge(updates), "author-" + (seq / 20_000).ToString(CultureInfo.InvariantCulture)) { ClientIds = [42] });
                seq++;
                if (seq % snapshotEvery == 0 || batch.Count == 1000)
                {
                    await store.AppendAsync(main, batch);
                    batch.Clear();
                }
                if (seq % snapshotEvery == 0) await store.PutSnapshotAsync(main, new EventSeq(seq), typist.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
            }
            if (batch.Count > 0) await store.AppendAsync(main, batch);
            Console.WriteLine($"stored {seq:N0} events in {watch.Elapsed.TotalSeconds:F1} s; final text {text.Length:N0} chars");

            var index = new HistoryIndex(store);
            var content = new ContentService(store, catalog, index);
            var diffs = new DiffService(store, catalog, index);
            var blame = new BlameService(store, catalog, index);
            directory.Grant("paper", "aud", DocumentRole.Auditor);

            watch.Restart();
            using (await index.OpenAsync(main.Document, default))
            {
            }
            Console.WriteLine($"history index built from the log (first request only): {watch.Elapsed.TotalMilliseconds:F0} ms");

            var random = new Random(1234);
            var expectedFinal = text.ToString();
            var final = await content.GetTextAsync("paper", new PositionQuery("main"), "text", "aud", default);
            if (final.Text != expectedFinal) throw new InvalidOperationException("content at the head differs from the trace");

            var replayer = new DocumentReplayer(store);
            var replayTimes = await MeasureAsync(samples, async () =>
                await replayer.BuildAsync(main, new EventSeq(random.NextInt64(1, seq + 1)), gc: true, default));
            Report("rebuild only (snapshot + events) at a random seq", replayTimes);
            var snapshotTimes = await MeasureAsync(samples, async () =>
                await replayer.BuildAsync(main, new EventSeq(Math.Max(snapshotEvery, random.NextInt64(1, seq + 1) / snapshotEvery * snapshotEvery)), gc: true, default));
            Report("rebuild at a snapshot position (no events to apply)", snapshotTimes);

            var contentTimes = await MeasureAsync(samples, async () =>
                await content.GetAsync("paper", new PositionQuery("main", random.NextInt64(1, seq + 1)), "aud", default));
            Report("content at a random seq", contentTimes);

            var diffTimes = await MeasureAsync(samples, async () =>
            {
                long a = random.NextInt64(0, seq + 1), b = random.NextInt64(0, seq + 1);
                await diffs.CompareAsync("paper", new PositionQuery("main", Math.Min(a, b)), new PositionQuery("main", Math.Max(a, b)), "aud", default);
            });
            Report("diff between two random seqs", diffTimes);
            var nearbyTimes = await MeasureAsync(samples, async () =>
            {
                long b = random.NextInt64(1000, seq + 1), a = b - random.NextInt64(1, 1001);
                await diffs.CompareAsync("paper", new PositionQuery("main", a), new PositionQuery("main", b), "aud", default);
            });
            Report("diff between two random seqs at most 1,000 apart", nearbyTimes);

            var blameTimes = await MeasureAsync(Math.Max(5, samples / 20), async () => await blame.BlameAsync("paper", new PositionQuery("main"), "text", "aud", default));
            Report("blame of the final document", blameTimes);
        }
        Directory.Delete(folder, recursive: true);
        return 0;
    }

    /// <summary>
    /// Wall-clock and process CPU time of each run. On a shared, overloaded machine the wall clock mostly measures the
    /// wait for a core; the CPU time (all threads of the process, GC included) is what the work itself costs.
    /// </summary>
    private static async Task<(List<double> Wall, List<double> Cpu)> MeasureAsync(int count, Func<Task> action)
    {
        await action(); // warm-up
        var wall = new List<double>(count);
        var cpu = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            var cpuBefore = ProcessCpuNanoseconds();
            var watch = Stopwatch.StartNew();
            await action();
            wall.Add(watch.Elapsed.TotalMilliseconds);
            cpu.Add((ProcessCpuNanoseconds() - cpuBefore) / 1e6);
        }
        return (wall, cpu);
    }

    /// <summary>On-CPU time of every thread of the process in ns (Linux schedstat; nanosecond resolution, unlike /proc/self/stat's ticks).</summary>
    private static long ProcessCpuNanoseconds()
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var text = File.ReadAllText(Path.Combine(task, "schedstat"));
                total += long.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }
        return total;
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
