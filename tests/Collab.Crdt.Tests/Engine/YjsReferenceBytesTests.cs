using Collab.Crdt.Document;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Engine;

// Expected bytes were printed by yjs 13.6.33 for the same operations (scripts are mirrored in each test).
public sealed class YjsReferenceBytesTests
{
    private static YDoc Doc(uint id, bool gc = true) => new(new YDocOptions { ClientId = id, Gc = gc });

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    private static void NestedMapAndTextHistory(YDoc d)
    {
        var m = d.GetMap("m");
        var t = d.GetText("t");
        d.Transact(() =>
        {
            var inner = new YMap();
            m.Set("inner", inner);
            inner.Set("a", 1L);
            inner.Set("b", "x");
            t.Insert(0, "hello world");
        });
        d.Transact(() =>
        {
            m.Delete("inner");
            t.Delete(2, 5);
        });
    }

    [Fact]
    public void gc_turns_children_of_a_deleted_type_into_gc_structs_and_deleted_text_into_deleted_content()
    {
        var d = Doc(1);
        NestedMapAndTextHistory(d);
        Assert.Equal("010501002101016d05696e6e65720100020401017402686581010405840109046f726c6401010200030505", Hex(d.EncodeStateAsUpdate()));
    }

    [Fact]
    public void without_gc_deleted_content_is_kept()
    {
        var d = Doc(1, gc: false);
        NestedMapAndTextHistory(d);
        Assert.Equal("010601002701016d05696e6e657201280001000161017d012800010001620177017804010174026865840104056c6c6f2077840109046f726c6401010200030505", Hex(d.EncodeStateAsUpdate()));
    }

    [Fact]
    public void out_of_order_updates_wait_as_pending_and_are_encoded_like_yjs()
    {
        var a = Doc(5);
        var ups = new List<byte[]>();
        a.UpdateV1 += (u, _) => ups.Add(u);
        var t = a.GetText("t");
        t.Insert(0, "abc");
        t.Insert(3, "def");
        t.Delete(1, 2);
        a.GetMap("m").Set("k", "v");
        Assert.Equal(
            "01010500040101740361626300,010105038405020364656600,000105010102,010105062801016d016b0177017600",
            string.Join(",", ups.Select(Hex)));

        var b = Doc(9);
        b.ApplyUpdate(ups[3]);
        b.ApplyUpdate(ups[2]);
        b.ApplyUpdate(ups[1]);
        Assert.True(b.HasPending);
        Assert.Equal("01020503840502036465662801016d016b017701760105010102", Hex(b.EncodeStateAsUpdate()));
        Assert.Equal("00", Hex(b.EncodeStateVector()));
        Assert.Equal("000105010102", Hex(b.EncodeStateAsUpdate(a.EncodeStateVector())));

        b.ApplyUpdate(ups[0]);
        Assert.False(b.HasPending);
        Assert.Equal("0104050004010174016181050002840502036465662801016d016b017701760105010102", Hex(b.EncodeStateAsUpdate()));
        Assert.Equal("adef", b.GetText("t").ToString());
        Assert.Equal(a.EncodeStateAsUpdate(), b.EncodeStateAsUpdate());
    }

    [Fact]
    public void relative_positions_encode_and_resolve_like_yjs()
    {
        var a = Doc(3);
        var t = a.GetText("t");
        t.Insert(0, "hello");
        var rp = YRelativePosition.FromTypeIndex(t, 2);
        var rpEnd = YRelativePosition.FromTypeIndex(t, 5);
        var rpNeg = YRelativePosition.FromTypeIndex(t, 2, -1);
        Assert.Equal("00030200", Hex(rp.Encode()));
        Assert.Equal("01017400", Hex(rpEnd.Encode()));
        Assert.Equal("00030141", Hex(rpNeg.Encode()));
        t.Insert(0, "XX");
        Assert.Equal(4, rp.ToAbsolute(a)!.Index);
        Assert.Equal(7, rpEnd.ToAbsolute(a)!.Index);
        Assert.Equal(4, rpNeg.ToAbsolute(a)!.Index);
        // like yjs, an item position does not carry the type name on the wire
        Assert.Equal(rpNeg with { TypeName = null }, YRelativePosition.Decode(rpNeg.Encode()));
        Assert.Same(t, YRelativePosition.Decode(rpEnd.Encode()).ToAbsolute(a)!.Type);
    }

    [Fact]
    public void subdocs_xml_hooks_formats_and_embeds_encode_like_yjs_and_survive_a_round_trip()
    {
        var a = Doc(4);
        var m = a.GetMap("m");
        var sub = new YDoc(new YDocOptions { Guid = "sub-guid-1", AutoLoad = true, Meta = new Dictionary<string, object?> { ["x"] = 1L } });
        m.Set("doc", sub);
        var x = a.GetXmlFragment("x");
        var el = new YXmlElement("P");
        el.SetAttribute("class", "c");
        x.Insert(0, el, new YXmlHook("myhook"), new YXmlText("tx"));
        var t = a.GetText("t");
        t.Insert(0, "bold", new Dictionary<string, object?> { ["bold"] = true });
        t.InsertEmbed(4, new Dictionary<string, object?> { ["img"] = "a.png" });
        t.Format(0, 2, new Dictionary<string, object?> { ["italic"] = true });
        const string expected = "010d04002901016d03646f630a7375622d677569642d317602086175746f4c6f616478046d657461760101787d01070101780301502800040105636c6173730177016387040105066d79686f6f6b87040306040004040274780601017404626f6c64047472756584040702626f840409026c6486040b04626f6c64046e756c6c85040c0f7b22696d67223a22612e706e67227d460407066974616c69630474727565c60409040a066974616c6963046e756c6c00";
        Assert.Equal(expected, Hex(a.EncodeStateAsUpdate()));
        Assert.Equal("<p class=\"c\"></p>[object Object]tx", x.ToJson());
        Assert.Equal(
            "[{\"insert\":\"bo\",\"attributes\":{\"italic\":true,\"bold\":true}},{\"insert\":\"ld\",\"attributes\":{\"bold\":true}},{\"insert\":{\"img\":\"a.png\"}}]",
            Collab.Crdt.Encoding.JsJson.Stringify(t.ToDelta().Select(o => o.ToJson()).ToList()));

        var b = Doc(8);
        b.ApplyUpdate(Convert.FromHexString(expected));
        Assert.Equal(expected, Hex(b.EncodeStateAsUpdate()));
        var subB = Assert.IsType<YDoc>(b.GetMap("m").Get("doc"));
        Assert.Equal("sub-guid-1", subB.Guid);
        Assert.True(subB.AutoLoad);
        Assert.Contains(subB, b.Subdocs);
        var hook = Assert.IsType<YXmlHook>(b.GetXmlFragment("x").Get(1));
        Assert.Equal("myhook", hook.HookName);
    }

    [Fact]
    public void snapshots_encode_like_yjs()
    {
        var a = Doc(6, gc: false);
        var t = a.GetText("t");
        t.Insert(0, "abcdef");
        t.Delete(1, 2);
        var s = a.CreateSnapshot();
        Assert.Equal("0106010102010606", Hex(s.Encode()));
        Assert.True(s.EqualTo(YSnapshot.Decode(s.Encode())));
    }
}

public sealed class ContentJsonTests
{
    [Fact]
    public void legacy_json_content_is_reprinted_like_javascript()
    {
        // an array item with content ref 2 holding: undefined, {"b":1,"2":[1.50,true],"a":"x"}, 1e21, null, "\u00e9\ud800"
        const string input = "01010300020101610509756e646566696e65641f7b2262223a312c2232223a5b312e35302c747275655d2c2261223a2278227d0431653231046e756c6c0e225c75303065395c75643830302200";
        var doc = new YDoc(new YDocOptions { ClientId = 9 });
        doc.ApplyUpdate(Convert.FromHexString(input));

        // printed by yjs 13.6.33 after applying the same bytes
        Assert.Equal(
            "01010300020101610509756e646566696e65641e7b2232223a5b312e352c747275655d2c2262223a312c2261223a2278227d0531652b3231046e756c6c0a22c3a95c75643830302200",
            Convert.ToHexStringLower(doc.EncodeStateAsUpdate()));
        Assert.Equal("[null,{\"2\":[1.5,true],\"b\":1,\"a\":\"x\"},1e+21,null,\"é\\ud800\"]", doc.GetArray("a").ToJsonString());
        Assert.Equal(
            "0000010300000102423b61756e646566696e65647b2232223a5b312e352c747275655d2c2262223a312c2261223a2278227d31652b32316e756c6c22c3a95c75643830302201091e050409010100010501010000",
            Convert.ToHexStringLower(doc.EncodeStateAsUpdateV2()));
    }
}
