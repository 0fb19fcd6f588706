using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Collab.EventStore.Tests;

/// <summary>Re-implements "Hash encoding" (v1, v2 and the record encodings) of docs/event-store.md from the text, as an auditor would, and checks the store agrees.</summary>
public sealed class HashEncodingTests
{
    private static readonly DocumentId Doc = new("doc-1");

    private static void Str(List<byte> bytes, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        U32(bytes, (uint)utf8.Length);
        bytes.AddRange(utf8);
    }

    private static void U32(List<byte> bytes, uint value)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, value);
        bytes.AddRange(buffer);
    }

    private static void U64(List<byte> bytes, ulong value)
    {
        var buffer = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, value);
        bytes.AddRange(buffer);
    }

    [Fact]
    public void genesis_matches_the_documented_encoding_and_test_vector()
    {
        var bytes = new List<byte>();
        Str(bytes, "collab.genesis.v1");
        Str(bytes, "doc-1");
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));
        Assert.Equal(expected, EventChain.Genesis(Doc).ToString());
        Assert.Equal("d9fd73b6337db527d88545e8dc1a76ca6018e6a890be438c8f9cd8b90695aa1b", expected);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("client-7:42")]
    public async Task stored_hashes_match_the_documented_encoding(string? updateId)
    {
        await using var store = new InMemory.InMemoryEventStore();
        await store.CreateDocumentAsync(Doc, "alice");
        var fork = await store.ForkAsync(BranchRef.MainOf(Doc), EventSeq.Zero, new BranchName("team/x"), "alice");
        var e = await store.AppendAsync(fork.Ref, new NewEvent(new EventKind("update"), new byte[] { 1, 2, 3 }, "Zoë") { ClientIds = [7u, 4294967295u], ClientUpdateId = updateId });

        var bytes = new List<byte>();
        Str(bytes, "collab.event.v1");
        bytes.AddRange(EventChain.Genesis(Doc).ToArray());
        Str(bytes, "doc-1");
        Str(bytes, "team/x");
        U64(bytes, 1);
        Str(bytes, "update");
        U32(bytes, 1);
        Str(bytes, "Zoë");
        U64(bytes, (ulong)e.ServerTime.ToUnixTimeMilliseconds());
        if (updateId is null)
        {
            bytes.Add(0);
        }
        else
        {
            bytes.Add(1);
            Str(bytes, updateId);
        }

        U32(bytes, 2);
        U32(bytes, 7);
        U32(bytes, 4294967295);
        U32(bytes, 3);
        bytes.AddRange(new byte[] { 1, 2, 3 });
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())), e.Hash.ToString());
        Assert.Equal(EventHash.Parse(e.Hash.ToString()), e.Hash);
    }

    private static void Opt(List<byte> bytes, string? value)
    {
        if (value is null)
        {
            bytes.Add(0);
            return;
        }

        bytes.Add(1);
        Str(bytes, value);
    }

    private static void Map(List<byte> bytes, IReadOnlyDictionary<string, string> map)
    {
        U32(bytes, (uint)map.Count);
        foreach (var (name, value) in map.OrderBy(p => Encoding.UTF8.GetBytes(p.Key), Utf8Order.Instance))
        {
            Str(bytes, name);
            Str(bytes, value);
        }
    }

    private static void Digest(List<byte> bytes, BranchDigest digest)
    {
        Str(bytes, digest.Branch.Branch.Value);
        U64(bytes, (ulong)digest.Seq.Value);
        bytes.AddRange(digest.Hash.ToArray());
    }

    private sealed class Utf8Order : IComparer<byte[]>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(byte[]? x, byte[]? y)
        {
            for (var i = 0; i < Math.Min(x!.Length, y!.Length); i++)
            {
                if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
            }

            return x.Length.CompareTo(y.Length);
        }
    }

    /// <summary>The v2 hash as the text defines it: the v1 fields under "collab.event.v2", then the record.</summary>
    private static string V2(StoredEvent e, List<byte> record)
    {
        var bytes = new List<byte>();
        Str(bytes, "collab.event.v2");
        bytes.AddRange(e.PreviousHash.ToArray());
        Str(bytes, e.Branch.Document.Value);
        Str(bytes, e.Branch.Branch.Value);
        U64(bytes, (ulong)e.Seq.Value);
        Str(bytes, e.Kind.Value);
        U32(bytes, (uint)e.SchemaVersion);
        Str(bytes, e.Author);
        U64(bytes, (ulong)e.ServerTime.ToUnixTimeMilliseconds());
        Opt(bytes, e.ClientUpdateId);
        U32(bytes, (uint)e.ClientIds.Count);
        foreach (var id in e.ClientIds) U32(bytes, id);
        U32(bytes, (uint)e.Payload.Length);
        bytes.AddRange(e.Payload.ToArray());
        bytes.AddRange(record);
        return Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));
    }

    [Fact]
    public async Task events_with_records_hash_with_the_documented_v2_encoding()
    {
        await using var store = new InMemory.InMemoryEventStore();
        await store.CreateDocumentAsync(Doc, "alice");
        var main = BranchRef.MainOf(Doc);
        var first = await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 9 }, "alice"));
        var fork = await store.ForkAsync(main, new EventSeq(1), new BranchName("team/x"), "bob");
        var forked = await store.AppendAsync(fork.Ref, new NewEvent(EventKind.Update, new byte[] { 8 }, "bob"));
        var source = await store.GetHeadAsync(fork.Ref);
        var @base = await store.GetDigestAsync(main, new EventSeq(1));
        // Names in an order that is neither insertion nor UTF-16 order: "z", "é" (C3 A9), "a", "\uFF21" (EF BC A1), "\U0001F600" (F0 9F 98 80).
        var properties = new Dictionary<string, string> { ["z"] = "last", ["\U0001F600"] = "emoji", ["é"] = "e acute", ["a"] = "first", ["\uFF21"] = "fullwidth A" };
        var merge = await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 1, 2 }, "Zoë")
        {
            ClientIds = [5u],
            ClientUpdateId = "merge-1",
            Merge = new MergeRecordDraft(source, @base,
            [
                new MergeConflict("c1", "sequence-overlap", "text[0..3]", "The", "Thy", "Tho", "Thyo", "both kept") { Properties = properties },
                new MergeConflict("c2", "map-key", "meta/title", null, null, "B", null, "theirs won"),
            ]) { Properties = new Dictionary<string, string> { ["strategy"] = "crdt" } },
        });

        var record = new List<byte> { 1 };
        Digest(record, new BranchDigest(main, first.Seq, first.Hash));
        Digest(record, source);
        Digest(record, @base);
        U32(record, 2);
        Str(record, "c1");
        Str(record, "sequence-overlap");
        Str(record, "text[0..3]");
        Opt(record, "The");
        Opt(record, "Thy");
        Opt(record, "Tho");
        Opt(record, "Thyo");
        Str(record, "both kept");
        Map(record, properties);
        Str(record, "c2");
        Str(record, "map-key");
        Str(record, "meta/title");
        Opt(record, null);
        Opt(record, null);
        Opt(record, "B");
        Opt(record, null);
        Str(record, "theirs won");
        Map(record, new Dictionary<string, string>());
        Map(record, new Dictionary<string, string> { ["strategy"] = "crdt" });
        Assert.Equal(V2(merge, record), merge.Hash.ToString());
        Assert.Equal(source, new BranchDigest(fork.Ref, forked.Seq, forked.Hash));
        // The sorted order the text asks for, spelled out: a, z, é, Ａ, 😀.
        Assert.Equal(["a", "z", "é", "\uFF21", "\U0001F600"], properties.Keys.OrderBy(Encoding.UTF8.GetBytes, Utf8Order.Instance));

        var resolution = await store.AppendAsync(main, new NewEvent(EventKind.Resolution, new byte[] { 3 }, "dave")
        {
            Resolution = new ResolutionRecordDraft(merge.Ref,
            [
                new ConflictDecision("c1", "custom", "They") { Properties = new Dictionary<string, string> { ["replaced"] = "Thyo" } },
                new ConflictDecision("c2", "ours", null),
            ]),
        });
        record = [2];
        Str(record, "main");
        U64(record, 2);
        U32(record, 2);
        Str(record, "c1");
        Str(record, "custom");
        Opt(record, "They");
        Map(record, new Dictionary<string, string> { ["replaced"] = "Thyo" });
        Str(record, "c2");
        Str(record, "ours");
        Opt(record, null);
        Map(record, new Dictionary<string, string>());
        Assert.Equal(V2(resolution, record), resolution.Hash.ToString());

        var fields = new Dictionary<string, string> { ["state"] = "approved", ["proposal"] = "p-1", ["by"] = "erin" };
        var domain = await store.AppendAsync(fork.Ref, new NewEvent(new EventKind("proposal"), new byte[] { 4 }, "erin") { Record = new DomainRecord("proposal.approved", fields) });
        record = [3];
        Str(record, "proposal.approved");
        Map(record, fields);
        Assert.Equal(V2(domain, record), domain.Hash.ToString());
        Assert.Equal(forked.Hash, domain.PreviousHash);
    }
}
