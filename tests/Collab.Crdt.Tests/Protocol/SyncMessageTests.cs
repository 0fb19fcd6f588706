using Collab.Crdt.Protocol;

namespace Collab.Crdt.Tests.Protocol;

/// <summary>Sync and provider framing bytes, checked against what y-protocols 1.0.7 writes.</summary>
public sealed class SyncMessageTests
{
    // y-protocols for a doc with client 42 holding text "hi": writeSyncStep1, writeSyncStep2(sv=[0]), writeUpdate.
    private const string Step1 = "0003012a02";
    private const string Step2 = "010c01012a000401017402686900";
    private const string UpdateMessage = "020c01012a000401017402686900";
    private const string StateVector = "012a02";
    private const string FullUpdate = "01012a000401017402686900";

    private static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Theory]
    [InlineData(Step1, SyncMessageType.SyncStep1, StateVector)]
    [InlineData(Step2, SyncMessageType.SyncStep2, FullUpdate)]
    [InlineData(UpdateMessage, SyncMessageType.Update, FullUpdate)]
    public void sync_messages_read_and_write_the_y_protocols_bytes(string hex, SyncMessageType type, string payload)
    {
        var message = SyncMessage.Read(Bytes(hex));
        Assert.Equal(type, message.Type);
        Assert.Equal(payload, Hex(message.Payload.ToArray()));
        Assert.Equal(hex, Hex(message.ToArray()));
    }

    [Fact]
    public void the_encode_helpers_write_each_type()
    {
        Assert.Equal(Step1, Hex(SyncMessage.EncodeSyncStep1(Bytes(StateVector))));
        Assert.Equal(Step2, Hex(SyncMessage.EncodeSyncStep2(Bytes(FullUpdate))));
        Assert.Equal(UpdateMessage, Hex(SyncMessage.EncodeUpdate(Bytes(FullUpdate))));
    }

    [Theory]
    [InlineData("03012a", "Unknown sync message type 3")]
    [InlineData("0005012a", "remaining")]
    [InlineData("", "end of input")]
    [InlineData("0003012a0200", "unexpected bytes")]
    public void malformed_sync_messages_throw_the_format_exception(string hex, string expected)
    {
        var e = Assert.Throws<YjsFormatException>(() => SyncMessage.Read(Bytes(hex)));
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void reading_with_consumed_allows_a_message_followed_by_more_bytes()
    {
        var message = SyncMessage.Read(Bytes(Step1 + "ff"), out int consumed);
        Assert.Equal(5, consumed);
        Assert.Equal(SyncMessageType.SyncStep1, message.Type);
    }

    [Fact]
    public void provider_sync_frame_matches_y_websocket()
    {
        var frame = ProviderMessage.EncodeSync(SyncMessage.Read(Bytes(Step1)));
        Assert.Equal("00" + Step1, Hex(frame));
        var read = ProviderMessage.Read(frame);
        Assert.Equal(ProviderMessageType.Sync, read.Type);
        Assert.Equal(SyncMessageType.SyncStep1, read.ReadSync().Type);
    }

    [Fact]
    public void provider_permission_denied_matches_y_protocols_auth()
    {
        var frame = ProviderMessage.EncodePermissionDenied("read only");
        Assert.Equal("02000972656164206f6e6c79", Hex(frame));
        Assert.Equal((ProviderMessage.PermissionDenied, "read only"), ProviderMessage.Read(frame).ReadAuth());
    }

    [Fact]
    public void provider_awareness_frame_wraps_the_update_in_a_length_prefix()
    {
        byte[] update = Bytes("012a02046e756c6c");
        var frame = ProviderMessage.EncodeAwareness(update);
        Assert.Equal("0108" + "012a02046e756c6c", Hex(frame));
        Assert.Equal(update, ProviderMessage.Read(frame).ReadAwareness().ToArray());
    }

    [Fact]
    public void provider_query_awareness_is_one_byte_and_unknown_types_are_rejected()
    {
        Assert.Equal([3], ProviderMessage.EncodeQueryAwareness());
        Assert.Equal(ProviderMessageType.QueryAwareness, ProviderMessage.Read(new byte[] { 3 }).Type);
        Assert.Throws<YjsFormatException>(() => ProviderMessage.Read(new byte[] { 4 }));
    }

    [Fact]
    public void reading_a_provider_body_as_the_wrong_type_is_a_programming_error()
    {
        var frame = ProviderMessage.Read(ProviderMessage.EncodeQueryAwareness());
        Assert.Throws<InvalidOperationException>(() => frame.ReadSync());
    }
}
