using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// A small append-only file that makes a fork durable without a LiteDB commit. A LiteDB commit of one branch document
/// writes about 32 KiB of pages to the log (data page, two index pages, collection and header pages) and fills the log
/// towards a checkpoint every 30 forks; a record here is the ~150-byte branch document, and an fsync of it is all a
/// fork waits for. The writer copies the journaled forks into the branches collection later, with the next LiteDB
/// commit it makes anyway (or in a batch), and empties this file once that commit is durable; opening the store copies
/// whatever is still here. Each record: u32 BE length ‖ 8 bytes of SHA-256(body) ‖ body (a BSON branch document).
/// A torn last record (a crash during its write, never acknowledged) fails its checksum and is cut off.
/// </summary>
internal sealed class ForkJournal(Stream stream) : IDisposable
{
    private const int HeaderBytes = 4 + ChecksumBytes;
    private const int ChecksumBytes = 8;
    private const int MaxRecordBytes = 1024 * 1024;

    /// <summary>The file (the store fsyncs it).</summary>
    public Stream Stream => stream;

    /// <summary>Bytes in the file.</summary>
    public long Length => stream.Length;

    /// <summary>The whole records from the start; anything after the last whole one is cut off.</summary>
    public List<byte[]> ReadAll()
    {
        var records = new List<byte[]>();
        stream.Position = 0;
        long valid = 0;
        var header = new byte[HeaderBytes];
        while (Fill(header))
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(header);
            if (length <= 0 || length > MaxRecordBytes) break;
            var body = new byte[length];
            if (!Fill(body) || !Checksum(body).AsSpan().SequenceEqual(header.AsSpan(4))) break;
            records.Add(body);
            valid = stream.Position;
        }

        if (valid != stream.Length) stream.SetLength(valid);
        stream.Position = valid;
        return records;
    }

    /// <summary>Writes the records at the end in one write (the caller syncs).</summary>
    public void Append(IReadOnlyList<byte[]> records)
    {
        var buffer = new byte[records.Sum(r => HeaderBytes + r.Length)];
        var at = 0;
        foreach (var record in records)
        {
            if (record.Length > MaxRecordBytes) throw new InvalidOperationException($"A fork journal record of {record.Length} bytes is too large.");
            BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at), record.Length);
            Checksum(record).CopyTo(buffer, at + 4);
            record.CopyTo(buffer, at + HeaderBytes);
            at += HeaderBytes + record.Length;
        }

        stream.Position = stream.Length;
        stream.Write(buffer);
    }

    /// <summary>Empties the file (its records are durable elsewhere; replaying them again would change nothing).</summary>
    public void Clear()
    {
        stream.SetLength(0);
        stream.Position = 0;
    }

    /// <inheritdoc />
    public void Dispose() => stream.Dispose();

    private static byte[] Checksum(byte[] body) => SHA256.HashData(body)[..ChecksumBytes];

    private bool Fill(byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0) return false;
            read += n;
        }

        return true;
    }
}
