using Collab.Crdt.Document;
using Collab.Crdt.Protocol;

namespace Collab.Crdt.Tests.Protocol;

public sealed class SyncProtocolTests
{
    private static YDoc DocWithText(uint client, string text)
    {
        var doc = new YDoc(new YDocOptions { ClientId = client });
        doc.GetText("t").Insert(0, text);
        return doc;
    }

    [Fact]
    public void sync_step_1_is_answered_with_the_step_2_y_protocols_writes()
    {
        var doc = DocWithText(42, "hi");
        var result = SyncProtocol.Handle(doc, Convert.FromHexString("000100"));
        Assert.Equal(SyncMessageType.SyncStep1, result.Type);
        Assert.Equal("010c01012a000401017402686900", Convert.ToHexString(result.Reply!).ToLowerInvariant());
    }

    [Fact]
    public void two_docs_converge_after_exchanging_step_1_and_step_2_both_ways()
    {
        var a = DocWithText(1, "left ");
        var b = DocWithText(2, "right");
        var replyToA = SyncProtocol.Handle(b, SyncProtocol.EncodeSyncStep1(a)).Reply!;
        var replyToB = SyncProtocol.Handle(a, SyncProtocol.EncodeSyncStep1(b)).Reply!;
        SyncProtocol.Handle(a, replyToA);
        SyncProtocol.Handle(b, replyToB);
        Assert.Equal(a.GetText("t").ToString(), b.GetText("t").ToString());
        Assert.Equal(a.EncodeStateVector(), b.EncodeStateVector());
        Assert.Equal(10, a.GetText("t").ToString().Length);
    }

    [Fact]
    public void updates_are_applied_with_the_given_origin()
    {
        var source = DocWithText(5, "abc");
        var target = new YDoc(new YDocOptions { ClientId = 6 });
        object? seenOrigin = null;
        target.UpdateV1 += (_, origin) => seenOrigin = origin;
        var connection = new object();
        var message = SyncMessage.EncodeUpdate(source.EncodeStateAsUpdate());
        var result = SyncProtocol.Handle(target, message, connection);
        Assert.False(result.Refused);
        Assert.Null(result.Reply);
        Assert.Same(connection, seenOrigin);
        Assert.Equal("abc", target.GetText("t").ToString());
    }

    [Theory]
    [InlineData(SyncMessageType.SyncStep2)]
    [InlineData(SyncMessageType.Update)]
    public void a_read_only_peer_cannot_change_the_doc_but_still_gets_answers(SyncMessageType type)
    {
        var source = DocWithText(5, "abc");
        var target = DocWithText(6, "mine");
        var before = target.EncodeStateAsUpdate();
        var result = SyncProtocol.Handle(target, new SyncMessage(type, source.EncodeStateAsUpdate()), readOnly: true);
        Assert.True(result.Refused);
        Assert.Equal(before, target.EncodeStateAsUpdate());

        var answer = SyncProtocol.Handle(target, SyncProtocol.EncodeSyncStep1(source), readOnly: true);
        Assert.NotNull(answer.Reply);
    }

    [Fact]
    public void a_malformed_update_throws_and_leaves_the_doc_unchanged()
    {
        var target = DocWithText(6, "mine");
        var before = target.EncodeStateAsUpdate();
        var bad = SyncMessage.EncodeUpdate(new byte[] { 1, 1, 9, 0, 4, 1, 1, (byte)'t', 5, (byte)'a' });
        Assert.Throws<YjsFormatException>(() => SyncProtocol.Handle(target, bad));
        Assert.Equal(before, target.EncodeStateAsUpdate());
    }

    [Fact]
    public void a_malformed_state_vector_in_step_1_throws_the_format_exception()
    {
        var doc = DocWithText(1, "x");
        Assert.Throws<YjsFormatException>(() => SyncProtocol.Handle(doc, SyncMessage.EncodeSyncStep1(new byte[] { 5, 1 })));
    }
}
