using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Benchmarks;

/// <summary>Shared pieces of the harnesses.</summary>
internal static class Bench
{
    /// <summary>15 bytes: the median keystroke update in the editing traces.</summary>
    public static readonly byte[] Payload = [1, 1, 171, 205, 239, 5, 0, 4, 1, 1, 116, 1, 120, 0, 0];

    public static readonly DocumentId Doc = new("bench");

    public static string TempPath()
    {
        var dir = Path.Combine(Path.GetTempPath(), "collab-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "store.db");
    }

    public static void Delete(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    public static long SizeOnDisk(LiteDbEventStoreOptions options) =>
        new FileInfo(options.Path).Length + (File.Exists(options.LogPath) ? new FileInfo(options.LogPath).Length : 0);

    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public static async Task<List<BranchRef>> CreateBranchesAsync(IEventStore store, int count)
    {
        await store.CreateDocumentAsync(Doc, "bench");
        var branches = new List<BranchRef> { BranchRef.MainOf(Doc) };
        for (var i = 1; i < count; i++) branches.Add((await store.ForkAsync(branches[0], EventSeq.Zero, new BranchName($"b{i}"), "bench")).Ref);
        return branches;
    }
}
