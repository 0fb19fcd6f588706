using Collab.Client.Protocol;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt;
using Collab.LoadGenerator;

namespace Collab.Client.Tests;

public sealed class CodecTests
{
    [Fact]
    public void sync_messages_round_trip_with_their_type_and_payload()
    {
        byte[] payload = [1, 2, 3, 200, 0];
        foreach (var type in new[] { SyncMessageType.SyncStep1, SyncMessageType.SyncStep2, SyncMessageType.Update })
        {
            byte[] message = SyncMessage.Encode(type, payload);
            Assert.Equal((byte)type, message[0]);
            var (decodedType, decodedPayload) = SyncMessage.Decode(message);
            Assert.Equal(type, decodedType);
            Assert.Equal(payload, decodedPayload);
        }
    }

    [Fact]
    public void a_sync_message_with_an_unknown_type_or_a_truncated_payload_is_refused()
    {
        Assert.Throws<YjsFormatException>(() => SyncMessage.Decode([3, 0]));
        Assert.Throws<YjsFormatException>(() => SyncMessage.Decode([2, 5, 1, 2]));
    }

    [Fact]
    public void awareness_updates_round_trip_including_removals()
    {
        AwarenessEntry[] entries = [new(7, 3, """{"user":{"name":"ålice"}}"""), new(4_000_000_000, 9, null)];
        var decoded = AwarenessCodec.Decode(AwarenessCodec.Encode(entries));
        Assert.Equal(entries, decoded);
    }

    [Fact]
    public void typist_updates_identify_their_first_struct_or_deleted_range()
    {
        var typist = new TypistReplica(42);
        byte[] first = typist.Insert("ab");
        byte[] second = typist.Insert("c");
        byte[] deletion = typist.DeleteLast(2)!;
        Assert.True(TypistReplica.TryIdentify(first, out ulong c1, out ulong k1));
        Assert.Equal((42UL, 0UL), (c1, k1));
        Assert.True(TypistReplica.TryIdentify(second, out _, out ulong k2));
        Assert.Equal(2UL, k2);
        Assert.True(TypistReplica.TryIdentify(deletion, out _, out ulong k3));
        Assert.Equal(2UL | TypistReplica.DeleteMark, k3); // one run per call: only "c" (clock 2) goes
        Assert.Null(new TypistReplica(1).DeleteLast(1));
    }

    [Fact]
    public async Task stock_yjs_reads_the_typists_updates_as_the_text_it_typed()
    {
        var typist = new TypistReplica(123456789);
        var updates = new List<byte[]>
        {
            typist.Insert("Hello"),
            typist.Insert(", world"),
            typist.DeleteLast(3)!,
            typist.Insert("!"),
        };
        await using var node = NodePeers.Start();
        var reply = await node.SendAsync("applyUpdates", new { updates = updates.Select(Convert.ToBase64String).ToArray() });
        // DeleteLast removes at most the last run: ", world" loses "rld".
        Assert.Equal("Hello, wo!", reply["text"]!.GetValue<string>());
        Assert.Equal(13, reply["stateVector"]!["123456789"]!.GetValue<int>());
        Assert.False(reply["pendingStructs"]!.GetValue<bool>());
    }
}
