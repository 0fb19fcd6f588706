using Collab.Crdt.Document;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Engine;

public sealed class DecoderFuzzTests
{
    private static byte[] RichUpdate(uint client) => RichDoc(client).EncodeStateAsUpdate();

    private static YDoc RichDoc(uint client)
    {
        var doc = new YDoc(new YDocOptions { ClientId = client });
        var t = doc.GetText("t");
        t.Insert(0, "héllo wörld 😀", new Dictionary<string, object?> { ["bold"] = true });
        t.InsertEmbed(3, new Dictionary<string, object?> { ["img"] = "x" });
        t.Format(1, 4, new Dictionary<string, object?> { ["italic"] = true });
        t.Delete(2, 3);
        var m = doc.GetMap("m");
        m.Set("a", new List<object?> { 1L, 2.5, "s", null, true });
        m.Set("sub", new YDoc(new YDocOptions { Guid = "g" }));
        var arr = new YArray();
        m.Set("arr", arr);
        arr.Push(new byte[] { 1, 2 }, "x", new YMap());
        arr.Delete(1);
        var x = doc.GetXmlFragment("x");
        x.Insert(0, new YXmlElement("p"), new YXmlText("q"), new YXmlHook("h"));
        return doc;
    }

    [Fact]
    public void mutated_updates_either_apply_or_throw_the_format_exception_leaving_the_doc_unchanged() =>
        Fuzz(RichUpdate(7), v2: false);

    [Fact]
    public void mutated_v2_updates_either_apply_or_throw_the_format_exception_leaving_the_doc_unchanged() =>
        Fuzz(RichDoc(7).EncodeStateAsUpdateV2(), v2: true);

    private static void Fuzz(byte[] valid, bool v2)
    {
        var rng = new Random(12345);
        for (int iter = 0; iter < int.Parse(Environment.GetEnvironmentVariable("DECFUZZ_ITERS") ?? "3000"); iter++)
        {
            var bytes = (byte[])valid.Clone();
            int mutations = 1 + rng.Next(4);
            for (int k = 0; k < mutations; k++)
            {
                switch (rng.Next(3))
                {
                    case 0:
                        bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                        break;
                    case 1:
                        bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                        break;
                    default:
                        bytes = bytes[..rng.Next(bytes.Length)];
                        break;
                }

                if (bytes.Length == 0)
                {
                    break;
                }
            }

            var doc = new YDoc(new YDocOptions { ClientId = 1 });
            doc.GetText("t").Insert(0, "base");
            var before = doc.EncodeStateAsUpdate();
            try
            {
                if (v2)
                {
                    doc.ApplyUpdateV2(bytes);
                }
                else
                {
                    doc.ApplyUpdate(bytes);
                }
            }
            catch (YjsFormatException)
            {
                Assert.Equal(before, doc.EncodeStateAsUpdate());
                continue;
            }

            // accepted (a mutation can still be a well-formed update): the document must stay usable
            var encoded = doc.EncodeStateAsUpdate();
            var copy = new YDoc(new YDocOptions { ClientId = 2 });
            copy.ApplyUpdate(encoded);
            Assert.Equal(copy.EncodeStateVector(), doc.EncodeStateVector());
            _ = doc.ToJson();
        }
    }
}

public sealed class DeepNestingTests
{
    [Fact]
    public void a_hundred_thousand_nested_maps_can_be_applied_deleted_collected_and_encoded()
    {
        const int depth = 100_000;
        var w = new Collab.Crdt.Encoding.Lib0Writer();
        w.WriteVarUInt(1);
        w.WriteVarUInt(depth);
        w.WriteVarUInt(1);
        w.WriteVarUInt(0);
        for (int i = 0; i < depth; i++)
        {
            w.WriteByte(0x27); // ContentType with parentSub, no origins
            if (i == 0)
            {
                w.WriteVarUInt(1);
                w.WriteVarString("m");
            }
            else
            {
                w.WriteVarUInt(0);
                w.WriteVarUInt(1);
                w.WriteVarUInt((ulong)(i - 1));
            }

            w.WriteVarString("k");
            w.WriteVarUInt(1); // YMap
        }

        w.WriteVarUInt(0);
        var doc = new YDoc(new YDocOptions { ClientId = 9 });
        doc.ApplyUpdate(w.ToArray());
        Assert.Equal(w.ToArray(), doc.EncodeStateAsUpdate());
        Assert.Throws<InvalidOperationException>(() => doc.GetMap("m").ToJson());
        doc.GetMap("m").Delete("k");
        Assert.Equal("{}", Collab.Crdt.Encoding.JsJson.Stringify(doc.GetMap("m").ToJson()));
        var copy = new YDoc(new YDocOptions { ClientId = 10 });
        copy.ApplyUpdate(doc.EncodeStateAsUpdate());
        Assert.Equal(doc.EncodeStateAsUpdate(), copy.EncodeStateAsUpdate());
    }
}
