using System.IO.Compression;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Collab.Crdt.Tests.Updates;

/// <summary>Opens the gzipped data files that sit beside these tests.</summary>
internal static class UpdatesTestData
{
    /// <summary>
    /// Opens <paramref name="fileName"/> from this folder: found through the repository root the build records, else
    /// through the path this file was compiled from.
    /// </summary>
    public static StreamReader OpenGzip(string fileName, [CallerFilePath] string here = "")
    {
        string relative = Path.Combine("tests", "Collab.Crdt.Tests", "Updates", fileName);
        string? root = typeof(UpdatesTestData).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(static a => a.Key == "CollabRepoRoot")?.Value;
        string path = root is not null && File.Exists(Path.Combine(root, relative))
            ? Path.Combine(root, relative)
            : Path.Combine(Path.GetDirectoryName(here)!, fileName);
        return new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
    }
}
