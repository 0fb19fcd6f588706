using System.Diagnostics;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests;

/// <summary>
/// A small filesystem for disk-full tests: a tmpfs mounted by the test (the tests run as root), or, where mounting is not
/// permitted, streams that refuse to grow past a budget with the error a full disk gives (ENOSPC). Unmounts on dispose.
/// </summary>
internal abstract class SmallDisk : IDisposable
{
    /// <summary>ENOSPC on Linux: what a write on a full filesystem fails with.</summary>
    public const int NoSpace = 28;

    public abstract string Folder { get; }

    /// <summary>Whether this is a real filesystem (else emulated streams).</summary>
    public abstract bool IsReal { get; }

    /// <summary>A tmpfs of <paramref name="megabytes"/>, or the emulation (also when COLLAB_TESTS_EMULATE_SMALL_DISK=1).</summary>
    public static SmallDisk Create(int megabytes) =>
        (Environment.GetEnvironmentVariable("COLLAB_TESTS_EMULATE_SMALL_DISK") == "1" ? null : TmpfsDisk.TryMount(megabytes))
        ?? (SmallDisk)new EmulatedDisk(megabytes * 1024L * 1024);

    /// <summary>A store on this disk that reopens itself after a failed write.</summary>
    public abstract ReopeningLiteDbEventStore OpenStore(LiteDbEventStoreOptions options);

    /// <summary>Writes a file of <paramref name="bytes"/> (or until the disk is full when null); returns the bytes written.</summary>
    public abstract long Fill(string name, long? bytes = null);

    /// <summary>Deletes a file written by <see cref="Fill"/>.</summary>
    public abstract void Free(string name);

    public abstract void Dispose();

    public static bool IsNoSpace(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is IOException io && ((io.HResult & 0xFFFF) == NoSpace || io.Message.Contains("No space", StringComparison.OrdinalIgnoreCase))) return true;
        }

        return false;
    }

    private sealed class TmpfsDisk(string folder) : SmallDisk
    {
        public override string Folder => folder;

        public override bool IsReal => true;

        public static TmpfsDisk? TryMount(int megabytes)
        {
            if (!OperatingSystem.IsLinux()) return null;
            var folder = Path.Combine(Path.GetTempPath(), "collab-small-disk-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            if (Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", folder) == 0) return new TmpfsDisk(folder);
            Directory.Delete(folder);
            return null;
        }

        public override ReopeningLiteDbEventStore OpenStore(LiteDbEventStoreOptions options) => new(options);

        public override long Fill(string name, long? bytes)
        {
            var chunk = new byte[64 * 1024];
            long written = 0;
            using var file = new FileStream(Path.Combine(folder, name), FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
            try
            {
                while (bytes is null || written < bytes)
                {
                    var n = (int)Math.Min(chunk.Length, (bytes ?? long.MaxValue) - written);
                    file.Write(chunk, 0, n);
                    written += n;
                }
            }
            catch (IOException ex) when (bytes is null && IsNoSpace(ex))
            {
                // Full. Top up in small steps: a 64 KiB write refused leaves up to 64 KiB of room.
                var small = new byte[4096];
                try
                {
                    while (true)
                    {
                        file.Write(small);
                        written += small.Length;
                    }
                }
                catch (IOException again) when (IsNoSpace(again))
                {
                }
            }

            return written;
        }

        public override void Free(string name) => File.Delete(Path.Combine(folder, name));

        public override void Dispose()
        {
            // Lazy unmount as the last resort: a file a failed test left open must not leave the mount behind.
            if (Run("umount", folder) != 0) Run("umount", "-l", folder);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static int Run(string command, params string[] args)
        {
            var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            try
            {
                using var process = Process.Start(start)!;
                process.WaitForExit();
                return process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return -1;
            }
        }
    }

    /// <summary>Files as streams in memory that share a byte budget; growing past it fails as ENOSPC does.</summary>
    private sealed class EmulatedDisk(long capacity) : SmallDisk
    {
        private readonly Dictionary<string, long> _fillers = [];
        private readonly List<BudgetStream> _streams = [];
        private readonly Dictionary<string, (BudgetStream Data, BudgetStream Log)> _files = [];
        private long _capacity = capacity;

        public override string Folder => Path.GetTempPath();

        public override bool IsReal => false;

        private long Used
        {
            get
            {
                lock (_streams) return _streams.Sum(s => s.Length) + _fillers.Values.Sum();
            }
        }

        public override ReopeningLiteDbEventStore OpenStore(LiteDbEventStoreOptions options)
        {
            BudgetStream data, log;
            lock (_streams)
            {
                if (!_files.TryGetValue(options.Path, out var files))
                {
                    _files[options.Path] = files = (new BudgetStream(this), new BudgetStream(this));
                    _streams.AddRange([files.Data, files.Log]);
                }

                (data, log) = files;
            }

            return new ReopeningLiteDbEventStore(() =>
            {
                data.Position = 0;
                log.Position = 0;
                return new LiteDbEventStore(options, data, log);
            });
        }

        public override long Fill(string name, long? bytes)
        {
            var size = bytes ?? Math.Max(0, _capacity - Used);
            lock (_streams) _fillers[name] = _fillers.GetValueOrDefault(name) + size;
            return size;
        }

        public override void Free(string name)
        {
            lock (_streams) _fillers.Remove(name);
        }

        public override void Dispose()
        {
        }

        private void Grow(long by)
        {
            if (by > 0 && Used + by > _capacity) throw new IOException("No space left on device", NoSpace);
        }

        private sealed class BudgetStream(EmulatedDisk disk) : Stream
        {
            private readonly MemoryStream _bytes = new();

            public override bool CanRead => true;

            public override bool CanSeek => true;

            public override bool CanWrite => true;

            public override long Length
            {
                get
                {
                    lock (_bytes) return _bytes.Length;
                }
            }

            public override long Position { get; set; }

            public override void Flush()
            {
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                lock (_bytes)
                {
                    _bytes.Position = Position;
                    var n = _bytes.Read(buffer, offset, count);
                    Position += n;
                    return n;
                }
            }

            public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => Position + offset,
                _ => Length + offset,
            };

            public override void SetLength(long value)
            {
                lock (_bytes)
                {
                    disk.Grow(value - _bytes.Length);
                    _bytes.SetLength(value);
                }
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                lock (_bytes)
                {
                    disk.Grow(Position + count - _bytes.Length);
                    _bytes.Position = Position;
                    _bytes.Write(buffer, offset, count);
                    Position += count;
                }
            }

            // The store disposes its streams; the bytes must outlive it so that it can be opened again.
            protected override void Dispose(bool disposing)
            {
            }
        }
    }
}
