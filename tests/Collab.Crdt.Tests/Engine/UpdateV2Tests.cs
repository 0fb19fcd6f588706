using Collab.Crdt.Document;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Engine;

public sealed class UpdateV2Tests
{
    // printed by yjs 13.6.33 (encodeStateAsUpdateV2 and encodeStateAsUpdate) for the history in RichDoc
    private const string ExpectedV2 = "000300030302440b0a02000402060300040246020e0619290007002800870104000600840081008400860085004600c645356d646f637375622d677569642d317850636c6173736d79686f6f6b747874626f6c64626c64626f6c646974616c69636974616c696301030a41000506020104010204460005010100010103030506024100010e007602086175746f4c6f616478046d657461760101787d01770163787e760103696d677705612e706e67787e0104010900";
    private const string ExpectedV1 = "010e04002901016d03646f630a7375622d677569642d317602086175746f4c6f616478046d657461760101787d01070101780301502800040105636c6173730177016387040105066d79686f6f6b87040306040004040274780601017404626f6c640474727565840407016281040801840409026c6486040b04626f6c64046e756c6c85040c0f7b22696d67223a22612e706e67227d460407066974616c69630474727565c60409040a066974616c6963046e756c6c0104010901";

    private static YDoc RichDoc()
    {
        var a = new YDoc(new YDocOptions { ClientId = 4 });
        a.GetMap("m").Set("doc", new YDoc(new YDocOptions { Guid = "sub-guid-1", AutoLoad = true, Meta = new Dictionary<string, object?> { ["x"] = 1L } }));
        var el = new YXmlElement("P");
        el.SetAttribute("class", "c");
        a.GetXmlFragment("x").Insert(0, el, new YXmlHook("myhook"), new YXmlText("tx"));
        var t = a.GetText("t");
        t.Insert(0, "bold", new Dictionary<string, object?> { ["bold"] = true });
        t.InsertEmbed(4, new Dictionary<string, object?> { ["img"] = "a.png" });
        t.Format(0, 2, new Dictionary<string, object?> { ["italic"] = true });
        t.Delete(1, 1);
        return a;
    }

    [Fact]
    public void v2_encoding_matches_yjs_and_decodes_to_the_same_document()
    {
        var a = RichDoc();
        Assert.Equal(ExpectedV1, Convert.ToHexStringLower(a.EncodeStateAsUpdate()));
        Assert.Equal(ExpectedV2, Convert.ToHexStringLower(a.EncodeStateAsUpdateV2()));
        var b = new YDoc(new YDocOptions { ClientId = 5 });
        b.ApplyUpdateV2(Convert.FromHexString(ExpectedV2));
        Assert.Equal(ExpectedV1, Convert.ToHexStringLower(b.EncodeStateAsUpdate()));
    }

    [Fact]
    public void v2_transaction_updates_apply_like_v1_ones()
    {
        var a = new YDoc(new YDocOptions { ClientId = 1 });
        var v1 = new List<byte[]>();
        var v2 = new List<byte[]>();
        a.UpdateV1 += (u, _) => v1.Add(u);
        a.UpdateV2 += (u, _) => v2.Add(u);
        var t = a.GetText("t");
        t.Insert(0, "hello");
        t.Delete(1, 3);
        a.GetArray("arr").Push(1L, "x");
        var viaV1 = new YDoc(new YDocOptions { ClientId = 2 });
        var viaV2 = new YDoc(new YDocOptions { ClientId = 3 });
        foreach (var u in v1)
        {
            viaV1.ApplyUpdate(u);
        }

        // delivered in reverse: the pending machinery works the same for v2 input
        for (int i = v2.Count - 1; i >= 0; i--)
        {
            viaV2.ApplyUpdateV2(v2[i]);
        }

        Assert.Equal(a.EncodeStateAsUpdate(), viaV1.EncodeStateAsUpdate());
        Assert.Equal(a.EncodeStateAsUpdate(), viaV2.EncodeStateAsUpdate());
        Assert.Equal(a.EncodeStateAsUpdateV2(), viaV2.EncodeStateAsUpdateV2());
    }

    [Fact]
    public void v2_updates_claiming_more_values_than_their_size_are_rejected()
    {
        // nine empty columns except a len column that repeats one value 2^40 times, and a rest claiming 2^40 structs
        var w = new Collab.Crdt.Encoding.Lib0Writer();
        w.WriteVarUInt(0);
        for (int i = 0; i < 9; i++)
        {
            w.WriteVarUInt(0);
        }

        w.WriteVarUInt(1);
        w.WriteVarUInt(1UL << 40);
        w.WriteVarUInt(1);
        w.WriteVarUInt(0);
        var doc = new YDoc();
        var ex = Assert.Throws<YjsFormatException>(() => doc.ApplyUpdateV2(w.ToArray()));
        Assert.True(ex.Offset >= 0);
        for (int len = 0; len < ExpectedV2.Length / 2; len++)
        {
            var bytes = Convert.FromHexString(ExpectedV2)[..len];
            try
            {
                doc.ApplyUpdateV2(bytes);
            }
            catch (YjsFormatException)
            {
            }
        }

        Assert.Equal(new byte[] { 0, 0 }, doc.EncodeStateAsUpdate());
    }

    [Fact]
    public void well_compressed_v2_updates_with_more_than_8_structs_per_byte_apply()
    {
        // Typed backwards, every character is its own item (its right origin is the previous one); deleted, the items
        // stay apart and every v2 column is one run, so the update holds far more structs than bytes.
        var a = new YDoc(new YDocOptions { ClientId = 7 });
        var text = a.GetText("t");
        const int count = 20_000;
        for (int i = 0; i < count; i++)
        {
            text.Insert(0, "x");
        }

        text.Delete(0, count);
        var v2 = a.EncodeStateAsUpdateV2();
        Assert.True(count > 8 * v2.Length, $"{v2.Length} bytes");

        var b = new YDoc();
        b.ApplyUpdateV2(v2);
        Assert.Equal(a.EncodeStateAsUpdate(), b.EncodeStateAsUpdate());
        Assert.Equal(v2, YUpdate.ConvertV1ToV2(YUpdate.ConvertV2ToV1(v2)));
    }

    [Fact]
    public void converting_a_v1_update_with_an_empty_deleted_range_to_v2_is_a_format_error()
    {
        // no structs; delete set: client 1, one range at clock 0 of length 0
        var v1 = new byte[] { 0, 1, 1, 1, 0, 0 };
        Assert.Throws<YjsFormatException>(() => YUpdate.ConvertV1ToV2(v1));
        Assert.Throws<YjsFormatException>(() => Collab.Crdt.Document.UpdateFormat.Convert(v1, fromV2: false));
    }
}
