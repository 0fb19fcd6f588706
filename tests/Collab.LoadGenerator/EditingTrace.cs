using System.IO.Compression;
using System.Text.Json;

namespace Collab.LoadGenerator;

/// <summary>One keystroke taken from an editing trace: characters deleted, then text inserted.</summary>
internal readonly record struct Keystroke(int Delete, string Insert);

/// <summary>
/// The keystrokes of a sequential trace from ../shared/data/editing-traces (gzip JSON with txns[].patches[]).
/// Positions are dropped: a simulated editor types at the end of its own run of text (see <see cref="TypistReplica"/>).
/// </summary>
internal static class EditingTrace
{
    public static Keystroke[] Load(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var json = JsonDocument.Parse(gzip);
        var keys = new List<Keystroke>(300_000);
        foreach (var txn in json.RootElement.GetProperty("txns").EnumerateArray())
        {
            foreach (var patch in txn.GetProperty("patches").EnumerateArray())
            {
                int delete = patch[1].GetInt32();
                string insert = patch[2].GetString() ?? "";
                if (delete > 0 || insert.Length > 0)
                {
                    keys.Add(new Keystroke(delete, insert));
                }
            }
        }

        return keys.ToArray();
    }
}
