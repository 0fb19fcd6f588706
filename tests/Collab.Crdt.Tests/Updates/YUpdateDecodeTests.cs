using Collab.Crdt.Updates;
using static Collab.Crdt.Tests.Updates.YjsVectors;

namespace Collab.Crdt.Tests.Updates;

public sealed class YUpdateDecodeTests
{
    [Fact]
    public void decode_lists_every_content_kind_with_its_id_length_and_parent()
    {
        var decoded = YUpdate.Decode(Bytes(KindsFull));
        Assert.Equal(
            [UpdateStructKind.Binary, UpdateStructKind.Doc, UpdateStructKind.Any, UpdateStructKind.Type, UpdateStructKind.Type, UpdateStructKind.Embed],
            decoded.Structs.Select(static s => s.Kind));
        Assert.Equal([0u, 1, 2, 4, 5, 6], decoded.Structs.Select(static s => s.Id.Clock));
        Assert.Equal([1u, 1, 2, 1, 1, 1], decoded.Structs.Select(static s => s.Length));
        Assert.Equal("a", decoded.Structs[0].ParentKey);
        Assert.Equal(new UpdateId(11, 0), decoded.Structs[1].Origin);
        Assert.Null(decoded.Structs[1].ParentKey);
        Assert.Equal("t", decoded.Structs[5].ParentKey);
        Assert.Empty(decoded.Deleted);
    }

    [Fact]
    public void decode_gives_text_map_keys_skips_and_the_delete_set()
    {
        var text = YUpdate.Decode(Bytes(TextFull));
        Assert.Equal("abc😀d", text.Structs[0].Text);
        Assert.Equal(new UpdateId(7, 0), text.Structs[1].RightOrigin);

        var map = YUpdate.Decode(Bytes(MapFull));
        Assert.Equal(UpdateStructKind.Deleted, map.Structs[0].Kind);
        Assert.Equal("k", map.Structs[0].ParentSub);
        Assert.Equal([new ClockRange(0, 2)], map.Deleted[5]);

        var merged = YUpdate.Decode(Bytes(Merge13));
        Assert.Equal([UpdateStructKind.String, UpdateStructKind.Skip, UpdateStructKind.String], merged.Structs.Select(static s => s.Kind));
        Assert.Equal(4u, merged.Structs[1].Length);
    }

    [Fact]
    public void decode_rejects_malformed_input() =>
        Assert.Throws<YjsFormatException>(() => YUpdate.Decode(Bytes(TextFull)[..10]));
}
