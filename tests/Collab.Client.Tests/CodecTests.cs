using Collab.Client.Tests.Infrastructure;
using Collab.LoadGenerator;

namespace Collab.Client.Tests;

public sealed class CodecTests
{
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
