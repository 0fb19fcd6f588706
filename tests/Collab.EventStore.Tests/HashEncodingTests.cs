using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Collab.EventStore.Tests;

/// <summary>Re-implements "Hash encoding v1" of docs/event-store.md from the text, as an auditor would, and checks the store agrees.</summary>
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
}
