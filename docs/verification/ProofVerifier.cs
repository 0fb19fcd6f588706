// An auditor's verifier for Collab's Merkle proofs (docs/verification.md). Self-contained: .NET only, no Collab code.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

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
        string author, DateTimeOffset serverTime, string? updateId, IReadOnlyList<uint> clientIds, byte[] payload) =>
        EventHash(previousHash, documentId, branch, seq, kind, schemaVersion, author, serverTime.ToUnixTimeMilliseconds(), updateId, clientIds, payload, []);

    // The chain hash of any event: encoding v1 when record is empty, else v2 (tag collab.event.v2, the same fields, then
    // the record's encoding, RecordEncoding below).
    public static string EventHash(string previousHash, string documentId, string branch, long seq, string kind, int schemaVersion,
        string author, long timeMs, string? updateId, IReadOnlyList<uint> clientIds, byte[] payload, byte[] record)
    {
        var b = new List<byte>();
        Str(b, record.Length == 0 ? "collab.event.v1" : "collab.event.v2"); b.AddRange(Hex(previousHash)); Str(b, documentId); Str(b, branch);
        U64(b, (ulong)seq); Str(b, kind); U32(b, (uint)schemaVersion); Str(b, author); U64(b, (ulong)timeMs);
        Opt(b, updateId);
        U32(b, (uint)clientIds.Count); foreach (var id in clientIds) U32(b, id);
        U32(b, (uint)payload.Length); b.AddRange(payload); b.AddRange(record);
        return Convert.ToHexStringLower(SHA256.HashData(b.ToArray()));
    }

    // What the first event of main (and of a fork at 0) links to.
    public static string Genesis(string documentId)
    {
        var b = new List<byte>();
        Str(b, "collab.genesis.v1"); Str(b, documentId);
        return Convert.ToHexStringLower(SHA256.HashData(b.ToArray()));
    }

    // The encoding of an export line's "record" (docs/event-store.md, "Record encodings"); empty when there is none.
    // A merge's target head is the event's previous position: (its branch, seq − 1, previousHash).
    public static byte[] RecordEncoding(JsonElement e)
    {
        var b = new List<byte>();
        if (!e.TryGetProperty("record", out var r) || r.ValueKind != JsonValueKind.Object) return [];
        if (r.TryGetProperty("domain", out var d)) { b.Add(3); Str(b, S(d, "type")!); Map(b, d, "fields"); }
        else if (r.TryGetProperty("merge", out var m))
        {
            b.Add(1);
            Str(b, S(e, "branch")!); U64(b, (ulong)(e.GetProperty("seq").GetInt64() - 1)); b.AddRange(Hex(S(e, "previousHash")!));
            foreach (var side in new[] { "source", "base" }) { var x = m.GetProperty(side); Str(b, S(x, "branch")!); U64(b, (ulong)x.GetProperty("seq").GetInt64()); b.AddRange(Hex(S(x, "hash")!)); }
            var conflicts = m.GetProperty("conflicts");
            U32(b, (uint)conflicts.GetArrayLength());
            foreach (var c in conflicts.EnumerateArray())
            {
                Str(b, S(c, "id")!); Str(b, S(c, "kind")!); Str(b, S(c, "location")!);
                Opt(b, S(c, "base")); Opt(b, S(c, "ours")); Opt(b, S(c, "theirs")); Opt(b, S(c, "merged"));
                Str(b, S(c, "automaticOutcome")!); Map(b, c, "properties");
            }
            Map(b, m, "properties");
        }
        else if (r.TryGetProperty("resolution", out var res))
        {
            b.Add(2); Str(b, S(res, "mergeBranch")!); U64(b, (ulong)res.GetProperty("mergeSeq").GetInt64());
            var decisions = res.GetProperty("decisions");
            U32(b, (uint)decisions.GetArrayLength());
            foreach (var x in decisions.EnumerateArray()) { Str(b, S(x, "conflictId")!); Str(b, S(x, "choice")!); Opt(b, S(x, "customText")); Map(b, x, "properties"); }
        }
        return [.. b];
    }

    // Checks a whole export file (collab.export.v1) as an import does: every hash recomputed from the event's fields and
    // record, every link (genesis, fork hash, the event before), seqs without gaps, each branch's head. Returns null
    // when it holds, else the first broken event and why.
    public static string? VerifyExport(IEnumerable<string> lines)
    {
        JsonElement header = default;
        var own = new Dictionary<string, List<string>>();
        var branches = new Dictionary<string, JsonElement>();
        string HashAt(string branch, long seq)
        {
            var info = branches[branch];
            var fork = info.GetProperty("forkSeq").GetInt64();
            if (seq == 0) return Genesis(S(header, "documentId")!);
            return seq <= fork ? HashAt(S(info, "parent")!, seq) : own[branch][(int)(seq - fork - 1)];
        }
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            var e = JsonDocument.Parse(line).RootElement;
            if (header.ValueKind == JsonValueKind.Undefined)
            {
                header = e;
                foreach (var br in e.GetProperty("branches").EnumerateArray()) { branches[S(br, "name")!] = br; own[S(br, "name")!] = []; }
                continue;
            }
            var branch = S(e, "branch")!;
            var seq = e.GetProperty("seq").GetInt64();
            if (!branches.TryGetValue(branch, out var b)) return $"{branch}@{seq}: a branch the header does not list";
            var expectedSeq = b.GetProperty("forkSeq").GetInt64() + own[branch].Count + 1;
            if (seq != expectedSeq) return $"{branch}@{seq}: expected {branch}@{expectedSeq} (an event was deleted, added or moved)";
            var previous = own[branch].Count > 0 ? own[branch][^1] : S(b, "parent") is null ? Genesis(S(header, "documentId")!) : S(b, "forkHash")!;
            if (S(e, "previousHash") != previous) return $"{branch}@{seq}: its previous hash is not the hash before it";
            var hash = EventHash(previous, S(header, "documentId")!, branch, seq, S(e, "kind")!, e.GetProperty("schemaVersion").GetInt32(), S(e, "author")!,
                e.GetProperty("time").GetInt64(), S(e, "updateId"), [.. e.GetProperty("clientIds").EnumerateArray().Select(c => c.GetUInt32())],
                e.GetProperty("payload").GetBytesFromBase64(), RecordEncoding(e));
            if (S(e, "hash") != hash) return $"{branch}@{seq}: its fields and record hash to {hash}, the file says {S(e, "hash")}";
            own[branch].Add(hash);
        }
        foreach (var (name, b) in branches)
        {
            var head = b.GetProperty("headSeq").GetInt64();
            if (b.GetProperty("forkSeq").GetInt64() + own[name].Count != head || HashAt(name, head) != S(b, "headHash")) return $"{name}@{head}: the branch does not end as the header says";
            if (S(b, "parent") is { } parent && HashAt(parent, b.GetProperty("forkSeq").GetInt64()) != S(b, "forkHash")) return $"{name}: its fork hash is not the parent's hash there";
        }
        return null;
    }

    static string? S(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    static void U32(List<byte> b, uint v) { var x = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(x, v); b.AddRange(x); }
    static void U64(List<byte> b, ulong v) { var x = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(x, v); b.AddRange(x); }
    static void Str(List<byte> b, string s) { var x = Encoding.UTF8.GetBytes(s); U32(b, (uint)x.Length); b.AddRange(x); }
    static void Opt(List<byte> b, string? s) { if (s is null) b.Add(0); else { b.Add(1); Str(b, s); } }

    // map(m): the pair count, then str(name) ‖ str(value) sorted by the UTF-8 bytes of the names (not by UTF-16 order).
    static void Map(List<byte> b, JsonElement owner, string name)
    {
        var pairs = owner.TryGetProperty(name, out var m) && m.ValueKind == JsonValueKind.Object
            ? m.EnumerateObject().Select(p => (Name: Encoding.UTF8.GetBytes(p.Name), Value: p.Value.GetString()!)).ToList() : [];
        pairs.Sort((x, y) => x.Name.AsSpan().SequenceCompareTo(y.Name));
        U32(b, (uint)pairs.Count);
        foreach (var (key, value) in pairs) { U32(b, (uint)key.Length); b.AddRange(key); Str(b, value); }
    }
}
