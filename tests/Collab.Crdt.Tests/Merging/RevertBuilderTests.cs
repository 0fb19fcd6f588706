using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Crdt.Types;
using static Collab.Crdt.Tests.Merging.MergeTestKit;

namespace Collab.Crdt.Tests.Merging;

public sealed class RevertBuilderTests
{
    private static YDoc Snapshot(YDoc doc) => Fork(doc, 999);

    [Fact]
    public void reverting_a_merge_restores_the_pre_merge_content_and_reverting_the_revert_restores_the_merge()
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "The cat sat.");
        b.GetMap("m").Set("k", "base");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetText("text").Insert(12, " Ours.");
        s.Transact(() => { s.GetText("text").Delete(4, 3); s.GetText("text").Insert(4, "cow"); });
        s.GetMap("m").Set("k", "theirs");
        s.GetMap("m").Set("new", 1L);
        t.GetMap("m");
        string preMerge = t.ToJsonString();
        var before = Snapshot(t);
        MergeInto(t, s);
        var after = Snapshot(t);
        string merged = t.ToJsonString();
        Assert.Equal("The cow sat. Ours.", t.GetText("text").ToString());

        // an edit after the merge survives the revert
        t.GetText("text").Insert(0, ">");
        var revert = RevertBuilder.Revert(t, before, after, 40);
        Assert.NotEmpty(revert);
        var beforeRevert = Snapshot(t);
        t.ApplyUpdate(revert);
        var afterRevert = Snapshot(t);
        Assert.Equal(">The cat sat. Ours.", t.GetText("text").ToString());
        Assert.Equal("{\"k\":\"base\"}", t.GetMap("m").ToJsonString());

        t.ApplyUpdate(RevertBuilder.Revert(t, beforeRevert, afterRevert, 41));
        Assert.Equal(">The cow sat. Ours.", t.GetText("text").ToString());
        Assert.Equal(Canon(merged), Canon(t.ToJsonString().Replace(">The", "The", StringComparison.Ordinal)));
        Assert.NotEqual(preMerge, merged);
    }

    [Fact]
    public void reverting_a_range_brings_back_deleted_paragraphs_and_array_items_at_their_place()
    {
        var d = NewDoc(1);
        var frag = d.GetXmlFragment("x");
        var p = new YXmlElement("p");
        frag.Insert(0, p, new YXmlElement("hr"));
        p.SetAttribute("align", "left");
        p.Insert(0, new YXmlText("hello"));
        d.GetArray("a").Push(1L, 2L, 3L);
        var before = Snapshot(d);
        string start = d.ToJsonString();
        frag.Delete(0);
        frag.Insert(1, new YXmlElement("h1"));
        d.GetArray("a").Delete(1);
        d.GetArray("a").Push(4L);
        var after = Snapshot(d);
        Assert.Equal("<hr></hr><h1></h1>", frag.ToString());
        d.ApplyUpdate(RevertBuilder.Revert(d, before, after, 50));
        Assert.Equal("<p align=\"left\">hello</p><hr></hr>", frag.ToString());
        Assert.Equal("[1,2,3]", d.GetArray("a").ToJsonString());
        Assert.Equal(start, d.ToJsonString());
        Assert.Empty(RevertBuilder.Revert(d, after, after, 51));
        Assert.Throws<ArgumentException>(() => RevertBuilder.Revert(d, before, after, 1));
    }

    private static string Canon(string json) => Compat.YjsJson.FromEngine(Collab.Crdt.Encoding.JsJson.Parse(json));
}
