namespace Collab.EventStore.Tests;

/// <summary>
/// A disk that loses what was not synced: writes land in a volatile image, Flush makes the image durable, and
/// <see cref="DurableImage"/> is what a power cut would leave behind.
/// </summary>
internal sealed class CrashableStream(byte[]? durable = null) : Stream
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
        DurableImage = _volatile.ToArray();
        Syncs++;
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
