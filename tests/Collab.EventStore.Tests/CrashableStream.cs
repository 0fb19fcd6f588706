namespace Collab.EventStore.Tests;

/// <summary>
/// A disk that loses what was not synced: writes land in a volatile image, Flush makes the image durable, and
/// <see cref="DurableImage"/> is what a power cut would leave behind.
/// </summary>
internal class CrashableStream(byte[]? durable = null) : Stream
{
    private readonly MemoryStream _volatile = CopyOf(durable ?? []);

    public byte[] DurableImage { get; private set; } = durable ?? [];

    public int Syncs { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _volatile.Length;

    public override long Position { get => _volatile.Position; set => _volatile.Position = value; }

    public override void Flush()
    {
        BeforeSync();
        DurableImage = _volatile.ToArray();
        Syncs++;
    }

    /// <summary>Runs at the start of every sync (subclasses hold it up).</summary>
    protected virtual void BeforeSync()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => _volatile.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => _volatile.Seek(offset, origin);

    public override void SetLength(long value) => _volatile.SetLength(value);

    public override void Write(byte[] buffer, int offset, int count) => _volatile.Write(buffer, offset, count);

    // The store disposes its streams; the images must outlive it for the "after the crash" half of a test.
    protected override void Dispose(bool disposing)
    {
    }

    private static MemoryStream CopyOf(byte[] bytes)
    {
        var stream = new MemoryStream();
        stream.Write(bytes);
        stream.Position = 0;
        return stream;
    }
}

/// <summary>A <see cref="CrashableStream"/> whose syncs wait while the gate is closed: freezes the moment between a commit and its fsync.</summary>
internal sealed class GatedStream : CrashableStream
{
    private readonly ManualResetEventSlim _open = new(true);
    private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a sync is held at the closed gate.</summary>
    public Task Waiting => _waiting.Task;

    public void Hold() => _open.Reset();

    public void Release() => _open.Set();

    protected override void BeforeSync()
    {
        if (_open.IsSet) return;
        _waiting.TrySetResult();
        _open.Wait(TimeSpan.FromSeconds(30));
    }
}
