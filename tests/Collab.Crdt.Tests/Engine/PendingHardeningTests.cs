using Collab.Crdt.Document;

namespace Collab.Crdt.Tests.Engine;

/// <summary>Hostile pending (missing-dependency) structs and delete sets that yjs cannot keep (issue 13, findings 1 and 5).</summary>
public sealed class PendingHardeningTests
{
    /// <summary>
    /// Finding 1's bytes: client 0xFFFFFFFF:0 "x" after the unknown 0xFFFFFFFE:0, and a copy of the already integrated
    /// 1001:0 "y" whose parent is the unknown 0xFFFFFFFE:0.
    /// </summary>
    private static readonly byte[] ForgedUpdate = Convert.FromHexString("0201ffffffff0f0084feffffff0f00017801e907000400feffffff0f00017900");

    private static YDoc Doc(uint id) => new(new YDocOptions { ClientId = id, Gc = true });

    private static YDoc Honest()
    {
        var doc = Doc(1001);
        doc.GetText("t").Insert(0, "hello world");
        return doc;
    }

    private static string TextOf(byte[] state)
    {
        var fresh = Doc(7);
        fresh.ApplyUpdate(state);
        return fresh.GetText("t").ToString();
    }

    [Fact]
    public void a_forged_copy_of_an_integrated_struct_is_not_kept_pending_and_a_joiner_sees_the_honest_text()
    {
        var server = Doc(1);
        server.ApplyUpdate(Honest().EncodeStateAsUpdate());

        server.ApplyUpdate(ForgedUpdate);

        Assert.Equal("hello world", server.GetText("t").ToString());
        Assert.Equal("hello world", TextOf(server.EncodeStateAsUpdate()));
        Assert.Equal("hello world", TextOf(server.EncodeStateAsUpdate(null, includePending: false)));
        // Only the struct of the unknown client waits; the copy of 1001:0 was dropped.
        Assert.True(server.HasPending);
        Assert.Equal(server.EncodeStateVector(), Honest().EncodeStateVector());
    }

    [Fact]
    public void a_forged_struct_that_waits_is_dropped_once_the_real_one_is_integrated()
    {
        var honest = Honest();
        var server = Doc(1);
        server.ApplyUpdate(honest.EncodeStateAsUpdate());
        var before = honest.EncodeStateVector();

        // 1001:11 "Z" (the next clock of the honest client) under the unknown parent 0xFFFFFFFE:0: it waits.
        byte[] forged = Convert.FromHexString("0101e9070b0400feffffff0f00015a00");
        server.ApplyUpdate(forged);
        Assert.True(server.HasPending);

        // The honest client types at that clock.
        honest.GetText("t").Insert(11, "!");
        server.ApplyUpdate(honest.EncodeStateAsUpdate(before));

        Assert.False(server.HasPending);
        Assert.Equal("hello world!", TextOf(server.EncodeStateAsUpdate()));
    }

    [Fact]
    public void only_integrated_content_is_encoded_without_pending()
    {
        var server = Doc(1);
        server.ApplyUpdate(Honest().EncodeStateAsUpdate());
        server.ApplyUpdate(ForgedUpdate);

        var integrated = server.EncodeStateAsUpdate(null, includePending: false);
        var fresh = Doc(7);
        fresh.ApplyUpdate(integrated);
        Assert.False(fresh.HasPending);
        Assert.Equal(server.EncodeStateVector(), fresh.EncodeStateVector());

        server.ClearPending();
        Assert.False(server.HasPending);
        Assert.Equal(integrated, server.EncodeStateAsUpdate());
    }

    [Fact]
    public void a_struct_waiting_for_a_far_clock_is_not_retried_on_every_update_of_that_client()
    {
        var honest = Honest();
        var server = Doc(1);
        server.ApplyUpdate(honest.EncodeStateAsUpdate());
        // 777:0 "p" after (1001, 1000): waits for a clock the honest client reaches only much later.
        byte[] waiting = Convert.FromHexString("0101890600" + "84e907e807" + "0170" + "00");
        server.ApplyUpdate(waiting);
        var pending = server.Store.PendingStructs;
        Assert.NotNull(pending);

        for (int i = 0; i < 5; i++)
        {
            var before = honest.EncodeStateVector();
            honest.GetText("t").Insert(0, "k");
            server.ApplyUpdate(honest.EncodeStateAsUpdate(before));
        }

        // yjs would decode and re-encode every pending struct at each of these updates (a retry replaces the object).
        Assert.Same(pending, server.Store.PendingStructs);
        Assert.Equal(16, server.GetText("t").Length);
    }

    [Theory]
    [InlineData("000105010000", "length 0")] // finding 5: client 5, one range at clock 0 of length 0
    [InlineData("0001050203010101", "ascending")] // client 5: [3,4) then [1,2)
    [InlineData("0001050201030201", "ascending")] // client 5: [1,4) then [2,3): overlap
    [InlineData("00020501030105010101", "ascending")] // client 5 twice: [3,4) then [1,2)
    public void delete_sets_yjs_cannot_keep_are_malformed_and_change_nothing(string hex, string message)
    {
        var server = Doc(1);
        server.ApplyUpdate(Honest().EncodeStateAsUpdate());
        var state = server.EncodeStateAsUpdate();
        var update = Convert.FromHexString(hex);

        var e = Assert.Throws<YjsFormatException>(() => server.ApplyUpdate(update));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
        Assert.Throws<YjsFormatException>(() => server.WouldLeavePending(update));
        Assert.False(server.HasPending);
        Assert.Equal(state, server.EncodeStateAsUpdate());
    }

    [Fact]
    public void adjacent_and_sorted_delete_ranges_stay_valid()
    {
        var server = Doc(1);
        server.ApplyUpdate(Honest().EncodeStateAsUpdate());
        // client 1001: [0,2) then [2,3) then [5,6)
        var update = Convert.FromHexString("0001e90703000202010501");
        YUpdate.Validate(update);
        server.ApplyUpdate(update);
        Assert.Equal("loworld", server.GetText("t").ToString());
    }

    [Fact]
    public void would_leave_pending_matches_what_applying_leaves_pending_on_shuffled_updates()
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var updates = new List<byte[]>();
            var peers = new[] { Doc(11), Doc(12), Doc(13) };
            foreach (var peer in peers)
            {
                peer.UpdateV1 += (u, _) => updates.Add(u);
            }

            for (int step = 0; step < 30; step++)
            {
                var peer = peers[random.Next(peers.Length)];
                var text = peer.GetText("t");
                if (text.Length > 0 && random.Next(4) == 0)
                {
                    text.Delete(random.Next(text.Length), 1);
                }
                else
                {
                    text.Insert(random.Next(text.Length + 1), ((char)('a' + random.Next(26))).ToString());
                }

                if (random.Next(3) == 0)
                {
                    var other = peers[random.Next(peers.Length)];
                    other.ApplyUpdate(peer.EncodeStateAsUpdate(other.EncodeStateVector()), "sync");
                }
            }

            var shuffled = updates.OrderBy(_ => random.Next()).ToList();
            var server = Doc(1);
            foreach (var update in shuffled)
            {
                bool predicted = server.WouldLeavePending(update);
                server.ClearPending();
                server.ApplyUpdate(update);
                Assert.True(predicted == server.HasPending, $"seed {seed}: predicted {predicted}, pending {server.HasPending}");
            }
        }
    }
}
