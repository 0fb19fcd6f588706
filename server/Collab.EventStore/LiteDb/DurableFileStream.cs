namespace Collab.EventStore.LiteDb;

/// <summary>
/// A file stream whose <see cref="Flush()"/> reaches the disk. LiteDB 5.0.21 wraps the streams it is given, so its own
/// "flush to disk" after a checkpoint ends in a plain <c>Flush()</c>; without this the data file would not be fsynced
/// before LiteDB truncates the log, and a power cut then could lose checkpointed events.
/// </summary>
internal sealed class DurableFileStream(string path)
    : FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0)
{
    public override void Flush() => Flush(flushToDisk: true);
}
