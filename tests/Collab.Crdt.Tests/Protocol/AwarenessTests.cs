using System.Text.Json;
using Collab.Crdt.Protocol;

namespace Collab.Crdt.Tests.Protocol;

public sealed class AwarenessTests
{
    // y-protocols 1.0.7: Awareness for client 42, setLocalState({user: {name: 'Ada', color: '#f00'}, cursor: null}),
    // encodeAwarenessUpdate(a, [42]); then removeAwarenessStates(a, [42]) and encode again.
    private const string StateJson = """{"user":{"name":"Ada","color":"#f00"},"cursor":null}""";
    private const string JsUpdate = "012a01347b2275736572223a7b226e616d65223a22416461222c22636f6c6f72223a2223663030227d2c22637572736f72223a6e756c6c7d";
    private const string JsRemoved = "012a02046e756c6c";

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static byte[] Entry(uint client, ulong clock, string json) =>
        AwarenessUpdate.Write([new AwarenessEntry(client, clock, json)]);

    [Fact]
    public void the_codec_reads_and_writes_y_protocols_bytes()
    {
        var entries = AwarenessUpdate.Read(Bytes(JsUpdate));
        Assert.Equal([new AwarenessEntry(42, 1, StateJson)], entries);
        Assert.False(entries[0].IsRemoval);
        Assert.Equal(JsUpdate, Hex(AwarenessUpdate.Write(entries)));
        Assert.True(AwarenessUpdate.Read(Bytes(JsRemoved))[0].IsRemoval);
    }

    [Fact]
    public void local_state_changes_encode_like_y_protocols()
    {
        var time = new ManualTimeProvider();
        using var awareness = new Awareness(42, time);
        Assert.Equal(JsonValueKind.Object, awareness.LocalState!.Value.ValueKind);
        awareness.SetLocalState(Json(StateJson));
        Assert.Equal(JsUpdate, Hex(awareness.EncodeUpdate([42])));
        awareness.RemoveAwarenessStates([42], "x");
        Assert.Equal(JsRemoved, Hex(awareness.EncodeUpdate([42])));
        Assert.Null(awareness.LocalState);
    }

    [Theory]
    [InlineData("", "end of input")]
    [InlineData("012a01027b", "remaining")]
    [InlineData("012a01027b7d00", "unexpected bytes")]
    [InlineData("012a0103 7b2c7d", "JSON")]
    [InlineData("012a0102c328", "UTF-8")]
    public void malformed_awareness_updates_are_rejected(string hex, string expected)
    {
        var bytes = Bytes(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
        var e = Assert.Throws<YjsFormatException>(() => AwarenessUpdate.Validate(bytes));
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<YjsFormatException>(() => AwarenessUpdate.Read(bytes));
        using var awareness = new Awareness(1, new ManualTimeProvider());
        Assert.Throws<YjsFormatException>(() => awareness.ApplyUpdate(bytes, null));
        Assert.Single(awareness.States);
    }

    [Fact]
    public void a_remote_state_is_added_then_updated_only_by_a_newer_clock()
    {
        using var awareness = new Awareness(1, new ManualTimeProvider());
        var changes = new List<AwarenessChange>();
        awareness.Change += (_, c) => changes.Add(c);

        awareness.ApplyUpdate(Entry(7, 3, """{"a":1}"""), "peer");
        Assert.Equal([7u], changes[^1].Added);
        Assert.Equal("peer", changes[^1].Origin);

        awareness.ApplyUpdate(Entry(7, 3, """{"a":2}"""), "peer"); // same clock, not null: ignored
        awareness.ApplyUpdate(Entry(7, 2, """{"a":3}"""), "peer"); // older: ignored
        Assert.Equal(1, awareness.States[7].GetProperty("a").GetInt32());
        Assert.Single(changes);

        awareness.ApplyUpdate(Entry(7, 4, """{"a":4}"""), "peer");
        Assert.Equal([7u], changes[^1].Updated);
        Assert.Equal(new AwarenessMeta(4, new ManualTimeProvider().GetUtcNow().ToUnixTimeMilliseconds()), awareness.Meta[7]);
    }

    [Fact]
    public void a_renewal_with_the_same_state_raises_update_but_not_change()
    {
        using var awareness = new Awareness(1, new ManualTimeProvider());
        awareness.ApplyUpdate(Entry(7, 1, """{"a":1}"""), null);
        int changes = 0, updates = 0;
        awareness.Change += (_, _) => changes++;
        awareness.Update += (_, c) => updates += c.Updated.Count;
        awareness.ApplyUpdate(Entry(7, 2, """{ "a" : 1 }"""), null);
        Assert.Equal(0, changes);
        Assert.Equal(1, updates);
    }

    [Fact]
    public void a_null_state_with_the_same_clock_removes_a_known_client()
    {
        using var awareness = new Awareness(1, new ManualTimeProvider());
        awareness.ApplyUpdate(Entry(7, 5, """{"a":1}"""), null);
        AwarenessChange? change = null;
        awareness.Change += (_, c) => change = c;
        awareness.ApplyUpdate(Entry(7, 5, "null"), null);
        Assert.False(awareness.States.ContainsKey(7));
        Assert.Equal([7u], change!.Removed);
    }

    [Fact]
    public void a_remote_peer_cannot_remove_the_local_state_and_the_local_clock_moves_past_it()
    {
        using var awareness = new Awareness(1, new ManualTimeProvider());
        awareness.ApplyUpdate(Entry(1, 9, "null"), null);
        Assert.NotNull(awareness.LocalState);
        Assert.Equal(10UL, awareness.Meta[1].Clock);
    }

    [Fact]
    public void remote_states_time_out_after_30_seconds_and_the_local_state_is_renewed_every_15()
    {
        var time = new ManualTimeProvider();
        using var awareness = new Awareness(1, time);
        awareness.ApplyUpdate(Entry(7, 1, """{"a":1}"""), null);
        var removedBy = new List<object?>();
        awareness.Change += (_, c) =>
        {
            if (c.Removed.Count > 0)
            {
                removedBy.Add(c.Origin);
            }
        };

        time.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(0UL, awareness.Meta[1].Clock);
        time.Advance(TimeSpan.FromSeconds(4)); // the 3 s check at 15 s or later renews
        Assert.Equal(1UL, awareness.Meta[1].Clock);
        Assert.True(awareness.States.ContainsKey(7));

        time.Advance(TimeSpan.FromSeconds(13)); // 31 s after the remote state arrived
        Assert.False(awareness.States.ContainsKey(7));
        Assert.Equal([Awareness.TimeoutOrigin], removedBy);
        Assert.NotNull(awareness.LocalState);
    }

    [Fact]
    public void a_renewed_remote_state_does_not_time_out()
    {
        var time = new ManualTimeProvider();
        using var awareness = new Awareness(1, time);
        for (ulong clock = 1; clock <= 5; clock++)
        {
            awareness.ApplyUpdate(Entry(7, clock, """{"a":1}"""), null);
            time.Advance(TimeSpan.FromSeconds(15));
        }

        Assert.True(awareness.States.ContainsKey(7));
    }

    [Fact]
    public void dispose_stops_the_timer_and_removes_the_local_state()
    {
        var time = new ManualTimeProvider();
        var awareness = new Awareness(1, time);
        Assert.Equal(1, time.ActiveTimers);
        var removed = new List<uint>();
        awareness.Update += (_, c) => removed.AddRange(c.Removed);
        awareness.Dispose();
        Assert.Equal(0, time.ActiveTimers);
        Assert.Null(awareness.LocalState);
        Assert.Equal([1u], removed);
        Assert.Equal("0101" + "01046e756c6c", Hex(awareness.EncodeUpdate([1])));
    }

    [Fact]
    public void set_local_state_field_replaces_one_field_and_keeps_the_others()
    {
        using var awareness = new Awareness(3, new ManualTimeProvider());
        awareness.SetLocalState(Json("""{"user":"ann","cursor":1}"""));
        awareness.SetLocalStateField("cursor", Json("5"));
        var entry = AwarenessUpdate.Read(awareness.EncodeUpdate([3]))[0];
        Assert.Equal("""{"user":"ann","cursor":5}""", entry.StateJson);
        Assert.Equal(2UL, entry.Clock);
    }

    [Fact]
    public void a_relay_learns_client_ids_and_its_removal_message_removes_them_everywhere()
    {
        // What a server does: read which clients a connection speaks for, remember their clocks, and when the
        // connection closes broadcast null states with the next clock.
        using var peer = new Awareness(100, new ManualTimeProvider());
        using var sender = new Awareness(7, new ManualTimeProvider());
        sender.SetLocalState(Json("""{"name":"x"}"""));
        var fromConnection = sender.EncodeUpdate([7]);

        AwarenessUpdate.Validate(fromConnection);
        var owned = AwarenessUpdate.Read(fromConnection).ToDictionary(e => e.ClientId, e => e.Clock);
        Assert.Equal(new Dictionary<uint, ulong> { [7] = 1 }, owned);

        peer.ApplyUpdate(fromConnection, "relay");
        Assert.True(peer.States.ContainsKey(7));
        var removal = AwarenessUpdate.EncodeRemoval(owned);
        Assert.Equal([new AwarenessEntry(7, 2, "null")], AwarenessUpdate.Read(removal));
        peer.ApplyUpdate(removal, "relay");
        Assert.False(peer.States.ContainsKey(7));
    }

    [Fact]
    public void states_with_lone_surrogate_escapes_which_json_parse_accepts_are_kept_and_compared()
    {
        using var awareness = new Awareness(1, new ManualTimeProvider());
        int changes = 0;
        awareness.Change += (_, _) => changes++;
        awareness.ApplyUpdate(Entry(7, 1, "{\"a\":\"\\ud800\"}"), null);
        awareness.ApplyUpdate(Entry(7, 2, "{\"a\":\"\\ud800\"}"), null);
        awareness.ApplyUpdate(Entry(7, 3, "{\"a\":\"\\udc00\"}"), null);
        Assert.Equal(2, changes);
        Assert.Equal("{\"a\":\"\\udc00\"}", AwarenessUpdate.Read(awareness.EncodeUpdate([7]))[0].StateJson);

        awareness.SetLocalState(Json("\"\\ud800\""));
        Assert.Equal("\"\\ud800\"", AwarenessUpdate.Read(awareness.EncodeUpdate([1]))[0].StateJson);
    }

    [Fact]
    public void the_full_update_lists_every_known_state()
    {
        using var awareness = new Awareness(1, new ManualTimeProvider());
        awareness.ApplyUpdate(Entry(7, 1, """{"a":1}"""), null);
        var entries = AwarenessUpdate.Read(awareness.EncodeFullUpdate());
        Assert.Equal([1u, 7u], entries.Select(e => e.ClientId).Order());
    }
}
