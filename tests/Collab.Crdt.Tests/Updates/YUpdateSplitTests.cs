using Collab.Crdt.Document;

namespace Collab.Crdt.Tests.Updates;

public sealed class YUpdateSplitTests
{
    private static YDoc Doc(uint id) => new(new YDocOptions { ClientId = id, Gc = true });

    private static byte[] Rebuild(IEnumerable<byte[]> parts)
    {
        var doc = Doc(99);
        foreach (var part in parts)
        {
            doc.ApplyUpdate(part);
        }

        Assert.False(doc.HasPending);
        return doc.EncodeStateAsUpdate();
    }

    private static YDoc BigDocument(int seed)
    {
        var random = new Random(seed);
        var a = Doc(1);
        var b = Doc(2);
        var text = a.GetText("t");
        var chunk = new System.Text.StringBuilder();
        for (int i = 0; i < 40_000; i++)
        {
            chunk.Append(random.Next(10) == 0 ? "😀" : random.Next(10) == 0 ? "é" : ((char)('a' + random.Next(26))).ToString());
        }

        text.Insert(0, chunk.ToString());
        text.Delete(100, 5000);
        for (int i = 0; i < 3000; i++)
        {
            text.Delete(random.Next(text.Length - 1), 1); // many scattered delete ranges
        }

        var values = new object?[20_000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i % 3 == 0 ? $"value {i}" : (object)(long)i;
        }

        b.GetArray("a").Insert(0, values);
        b.GetMap("m").Set("blob", new byte[150_000]); // one unit that cannot be cut, larger than a part
        b.GetText("t").Insert(0, new string('z', 70_000));
        a.ApplyUpdate(b.EncodeStateAsUpdate());
        return a;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void parts_fit_and_rebuild_the_same_document_in_order_reversed_and_merged(int seed)
    {
        var doc = BigDocument(seed);
        var whole = doc.EncodeStateAsUpdate();
        const int max = 64 * 1024;

        var parts = YUpdate.Split(whole, max);

        Assert.True(parts.Count > whole.Length / max, $"{parts.Count} parts of {whole.Length} bytes");
        Assert.Single(parts, static p => p.Length > max); // the 150 KB binary alone
        foreach (var part in parts)
        {
            YUpdate.Validate(part);
        }

        Assert.Equal(whole, Rebuild(parts));
        Assert.Equal(whole, Rebuild(parts.Reverse()));
        Assert.Equal(whole, Rebuild([YUpdate.Merge([.. parts])]));
    }

    [Fact]
    public void an_update_that_fits_is_returned_as_it_is()
    {
        var doc = Doc(1);
        doc.GetText("t").Insert(0, "hello");
        var whole = doc.EncodeStateAsUpdate();
        Assert.Same(whole, Assert.Single(YUpdate.Split(whole, 4096)));
    }
}
