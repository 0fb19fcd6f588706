namespace Collab.EventStore.Tests;

/// <summary>A fresh directory under the temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "collab-store-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a failed test must not hide that test's own failure.
        }
    }
}

/// <summary>Edits files behind the store's back.</summary>
internal static class FileEdit
{
    /// <summary>Replaces every occurrence of <paramref name="find"/> by <paramref name="replacement"/> (same length); returns the count.</summary>
    public static int ReplaceAll(string path, byte[] find, byte[] replacement)
    {
        if (!System.IO.File.Exists(path)) return 0;
        var bytes = System.IO.File.ReadAllBytes(path);
        var count = 0;
        for (var i = bytes.AsSpan().IndexOf(find); i >= 0;)
        {
            replacement.CopyTo(bytes, i);
            count++;
            var next = bytes.AsSpan(i + find.Length).IndexOf(find);
            i = next < 0 ? -1 : i + find.Length + next;
        }

        if (count > 0) System.IO.File.WriteAllBytes(path, bytes);
        return count;
    }
}
