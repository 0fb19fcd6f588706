using System.Diagnostics;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>A small tmpfs mounted by the test (the tests run as root), unmounted on dispose even when the test failed.</summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string folder) => Folder = folder;

    public string Folder { get; }

    public static Tmpfs Mount(int megabytes)
    {
        var folder = Path.Combine(Path.GetTempPath(), "collab-small-disk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", folder);
        if (code == 0) return new Tmpfs(folder);
        Directory.Delete(folder);
        throw new InvalidOperationException($"This test mounts a tmpfs and must run as root on Linux (mount said: {error.Trim()}).");
    }

    /// <summary>Writes a file of <paramref name="bytes"/>, or until the filesystem is full when null.</summary>
    public void Fill(string name, long? bytes = null)
    {
        using var file = new FileStream(Path.Combine(Folder, name), FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var size in new[] { 64 * 1024, 4096 })
        {
            var chunk = new byte[size];
            try
            {
                for (long written = 0; bytes is null || written < bytes; written += size) file.Write(chunk);
            }
            catch (IOException) when (bytes is null)
            {
                // full at this granularity; top up with smaller writes
            }

            if (bytes is not null) return;
        }
    }

    public void Free(string name) => File.Delete(Path.Combine(Folder, name));

    public void Dispose()
    {
        if (Run("umount", Folder).Code != 0) Run("umount", "-l", Folder);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (int Code, string Error) Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
