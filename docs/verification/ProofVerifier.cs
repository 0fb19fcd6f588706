// An auditor's verifier for Collab's Merkle proofs (docs/verification.md). Self-contained: .NET only, no Collab code.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CollabAudit;

public static class ProofVerifier
{
    static byte[] Hex(string hex) => Convert.FromHexString(hex);

    static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    // The leaf of an event is its chain hash: leaf hash = SHA-256(0x00 ‖ chain hash).
    public static byte[] LeafHash(string eventHash) => SHA256.HashData([0x00, .. Hex(eventHash)]);

    // RFC 9162 §2.1.3.2: the event with this chain hash is at seq (leaf seq − 1) of the tree of treeSize leaves.
    public static bool VerifyInclusion(string eventHash, long seq, long treeSize, IReadOnlyList<string> path, string rootHash)
    {
        long fn = seq - 1, sn = treeSize - 1;
        if (fn < 0 || fn > sn) return false;
        var r = LeafHash(eventHash);
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(Hex(p), r);
                while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else r = Node(r, Hex(p));
            fn >>= 1; sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(Hex(rootHash));
    }

    // RFC 9162 §2.1.4.2: the tree of `to` leaves (toRoot) extends the tree of `from` leaves (fromRoot).
    public static bool VerifyConsistency(long from, string fromRoot, long to, string toRoot, IReadOnlyList<string> path)
    {
        if (from < 1 || from > to) return false;
        if (from == to) return path.Count == 0 && fromRoot == toRoot;
        if (path.Count == 0) return false;
        var proof = path.Select(Hex).ToList();
        if ((from & (from - 1)) == 0) proof.Insert(0, Hex(fromRoot));
        long fn = from - 1, sn = to - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        byte[] fr = proof[0], sr = proof[0];
        foreach (var c in proof.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Node(c, fr); sr = Node(c, sr);
                while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else sr = Node(sr, c);
            fn >>= 1; sn >>= 1;
        }
        return sn == 0 && fr.AsSpan().SequenceEqual(Hex(fromRoot)) && sr.AsSpan().SequenceEqual(Hex(toRoot));
    }

    // The chain hash of an event without a record (encoding v1, docs/event-store.md), from the fields /events shows.
    public static string EventHashV1(string previousHash, string documentId, string branch, long seq, string kind, int schemaVersion,
        string author, DateTimeOffset serverTime, string? updateId, IReadOnlyList<uint> clientIds, byte[] payload)
    {
        var b = new List<byte>();
        void U32(uint v) { var x = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(x, v); b.AddRange(x); }
        void U64(ulong v) { var x = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(x, v); b.AddRange(x); }
        void Str(string s) { var x = Encoding.UTF8.GetBytes(s); U32((uint)x.Length); b.AddRange(x); }
        Str("collab.event.v1"); b.AddRange(Hex(previousHash)); Str(documentId); Str(branch); U64((ulong)seq); Str(kind);
        U32((uint)schemaVersion); Str(author); U64((ulong)serverTime.ToUnixTimeMilliseconds());
        if (updateId is null) b.Add(0); else { b.Add(1); Str(updateId); }
        U32((uint)clientIds.Count); foreach (var id in clientIds) U32(id);
        U32((uint)payload.Length); b.AddRange(payload);
        return Convert.ToHexStringLower(SHA256.HashData(b.ToArray()));
    }
}
