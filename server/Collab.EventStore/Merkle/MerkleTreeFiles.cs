using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Collab.EventStore.Merkle;

/// <summary>
/// What <see cref="BranchMerkleTrees"/> keeps of a branch's tree across restarts: the roots of its complete blocks (the
/// perfect subtrees of <see cref="BlockSize"/> leaves, in order; every higher level is computed from them) and the chain
/// hash of the last event they cover (the anchor that ties them to one history).
/// </summary>
/// <param name="BlockSize">Leaves per block.</param>
/// <param name="BlockRoots">The roots of blocks 0, 1, 2 … (leaves [i·B, (i+1)·B)).</param>
/// <param name="ChainHashAtEnd">The chain hash of the event at seq <c>BlockRoots.Count × BlockSize</c>.</param>
public sealed record PersistedMerkleBlocks(int BlockSize, IReadOnlyList<EventHash> BlockRoots, EventHash ChainHashAtEnd);

/// <summary>
/// The persisted trees of <see cref="BranchMerkleTrees"/>: one small file per branch in a folder beside the store
/// (docs/verification.md, "Persisted trees"). They are a cache: written after the events they cover are durable,
/// never in the store's transactions (so the store's single writer and its flushes are untouched), checked on load and
/// ignored (then rewritten) when anything does not hold.
/// </summary>
/// <remarks>
/// File format (<c>{SHA-256 of document ‖ 0 ‖ branch, 20 bytes hex}.mkt</c>): <c>"CMT1"</c>, u32 block size,
/// str(document), str(branch), u32 block count, count × 32-byte block roots, the 32-byte chain hash at the end of the
/// last block, then SHA-256 of every byte before (integers big-endian, str = u32 UTF-8 length ‖ bytes). Written to a
/// temporary file and renamed over the old one, so a reader sees a whole file or the previous one; a file torn by a
/// power cut fails its checksum.
/// </remarks>
public sealed class MerkleTreeFiles
{
    private static readonly byte[] Magic = "CMT1"u8.ToArray();

    /// <summary>Persists the trees in <paramref name="folder"/> (created when missing).</summary>
    public MerkleTreeFiles(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
    }

    /// <summary>The folder holding one file per branch.</summary>
    public string Folder { get; }

    /// <summary>The file of a branch's tree.</summary>
    public string PathOf(BranchRef branch)
    {
        var name = Encoding.UTF8.GetBytes(branch.Document.Value + "\0" + branch.Branch.Value);
        return Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(name).AsSpan(0, 20)) + ".mkt");
    }

    /// <summary>
    /// Whether <paramref name="branch"/> has a file, and its blocks, which are null when there is no file or it is not a
    /// whole, intact file of this branch with this block size (wrong checksum, truncated, another branch's).
    /// </summary>
    public async Task<(bool Found, PersistedMerkleBlocks? Blocks)> LoadAsync(BranchRef branch, int blockSize, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(PathOf(branch), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return (false, null);
        }
        return (true, Decode(bytes, branch, blockSize));
    }

    /// <summary>Writes the blocks of <paramref name="branch"/> (replacing the file whole).</summary>
    public async Task SaveAsync(BranchRef branch, PersistedMerkleBlocks blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        Directory.CreateDirectory(Folder);
        var path = PathOf(branch);
        var temporary = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temporary, Encode(branch, blocks), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Deletes the file of <paramref name="branch"/> (nothing when there is none).</summary>
    public void Delete(BranchRef branch)
    {
        try
        {
            File.Delete(PathOf(branch));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A cache: a file left behind fails its anchor check on the next load.
        }
    }

    internal static byte[] Encode(BranchRef branch, PersistedMerkleBlocks blocks)
    {
        var document = Encoding.UTF8.GetBytes(branch.Document.Value);
        var name = Encoding.UTF8.GetBytes(branch.Branch.Value);
        var length = Magic.Length + 4 + 4 + document.Length + 4 + name.Length + 4 + (blocks.BlockRoots.Count + 1) * EventHash.Length;
        var bytes = new byte[length + EventHash.Length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var at = Magic.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)blocks.BlockSize);
        at += 4;
        at = WriteString(span, at, document);
        at = WriteString(span, at, name);
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)blocks.BlockRoots.Count);
        at += 4;
        foreach (var root in blocks.BlockRoots)
        {
            root.CopyTo(span[at..]);
            at += EventHash.Length;
        }
        blocks.ChainHashAtEnd.CopyTo(span[at..]);
        at += EventHash.Length;
        SHA256.HashData(span[..at], span[at..]);
        return bytes;
    }

    internal static PersistedMerkleBlocks? Decode(byte[] bytes, BranchRef branch, int blockSize)
    {
        var span = bytes.AsSpan();
        if (span.Length < Magic.Length + 16 + 2 * EventHash.Length || !span[..Magic.Length].SequenceEqual(Magic)) return null;
        var body = span[..^EventHash.Length];
        Span<byte> checksum = stackalloc byte[EventHash.Length];
        SHA256.HashData(body, checksum);
        if (!checksum.SequenceEqual(span[^EventHash.Length..])) return null;

        var at = Magic.Length;
        if (BinaryPrimitives.ReadUInt32BigEndian(body[at..]) != blockSize) return null;
        at += 4;
        if (!ReadString(body, ref at, out var document) || document != branch.Document.Value) return null;
        if (!ReadString(body, ref at, out var name) || name != branch.Branch.Value) return null;
        if (body.Length - at < 4) return null;
        var count = BinaryPrimitives.ReadUInt32BigEndian(body[at..]);
        at += 4;
        if ((long)(body.Length - at) != ((long)count + 1) * EventHash.Length) return null;
        var roots = new EventHash[count];
        for (var i = 0; i < roots.Length; i++, at += EventHash.Length) roots[i] = EventHash.FromBytes(body.Slice(at, EventHash.Length));
        return new PersistedMerkleBlocks(blockSize, roots, EventHash.FromBytes(body.Slice(at, EventHash.Length)));
    }

    private static int WriteString(Span<byte> span, int at, byte[] utf8)
    {
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)utf8.Length);
        utf8.CopyTo(span[(at + 4)..]);
        return at + 4 + utf8.Length;
    }

    private static bool ReadString(ReadOnlySpan<byte> body, ref int at, out string value)
    {
        value = "";
        if (body.Length - at < 4) return false;
        var length = BinaryPrimitives.ReadUInt32BigEndian(body[at..]);
        if (length > body.Length - at - 4) return false;
        value = Encoding.UTF8.GetString(body.Slice(at + 4, (int)length));
        at += 4 + (int)length;
        return true;
    }
}
