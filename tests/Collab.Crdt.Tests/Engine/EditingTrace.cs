using System.IO.Compression;
using System.Text.Json;

namespace Collab.Crdt.Tests.Engine;

/// <summary>A sequential editing trace from shared/data/editing-traces (patches are [pos, delCount, insertText]).</summary>
internal sealed class EditingTrace
{
    public required string EndContent { get; init; }

    public required List<List<(int Pos, int Del, string Ins)>> Txns { get; init; }

    public static string DataDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", "editing-traces");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }

                dir = dir.Parent;
            }

            return "/work/shared/data/editing-traces";
        }
    }

    public static EditingTrace Load(string name)
    {
        using var fs = File.OpenRead(Path.Combine(DataDir, name + ".json.gz"));
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var json = JsonDocument.Parse(gz);
        var root = json.RootElement;
        var txns = new List<List<(int, int, string)>>();
        foreach (var txn in root.GetProperty("txns").EnumerateArray())
        {
            var patches = new List<(int, int, string)>();
            foreach (var p in txn.GetProperty("patches").EnumerateArray())
            {
                patches.Add((p[0].GetInt32(), p[1].GetInt32(), p[2].GetString()!));
            }

            txns.Add(patches);
        }

        return new EditingTrace { EndContent = root.GetProperty("endContent").GetString()!, Txns = txns };
    }
}
