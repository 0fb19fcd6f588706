using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Engine;

public sealed class TypesApiTests
{
    private static YDoc Doc(uint id = 1, bool gc = true) => new(new YDocOptions { ClientId = id, Gc = gc });

    private static string Json(object? v) => JsJson.Stringify(v)!;

    [Fact]
    public void array_stores_values_binary_and_nested_types_and_renders_json_like_yjs()
    {
        var doc = Doc();
        var arr = doc.GetArray("a");
        arr.Push(1L, "two", null, new byte[] { 3 });
        arr.Insert(1, new YMap(new Dictionary<string, object?> { ["k"] = 1.5 }), new YArray(new object?[] { true }));
        arr.Delete(0);
        Assert.Equal(5, arr.Length);
        Assert.Equal("two", arr.Get(2));
        Assert.Equal("[{\"k\":1.5},[true],\"two\",null,{\"0\":3}]", Json(arr.ToJson()));
        Assert.Throws<ArgumentOutOfRangeException>(() => arr.Insert(99, "x"));
    }

    [Fact]
    public void map_tells_null_from_absent_and_lists_live_keys_in_insertion_order()
    {
        var doc = Doc();
        var m = doc.GetMap("m");
        m.Set("b", null);
        m.Set("a", 2L);
        m.Set("10", "index-like");
        m.Delete("a");
        Assert.True(m.ContainsKey("b"));
        Assert.Null(m.Get("b"));
        Assert.False(m.ContainsKey("a"));
        Assert.Equal(new[] { "b", "10" }, m.Keys.ToArray());
        Assert.Equal(2, m.Count);
        // JavaScript puts array-index keys first
        Assert.Equal("{\"10\":\"index-like\",\"b\":null}", Json(m.ToJson()));
        Assert.Equal("{\"m\":{\"10\":\"index-like\",\"b\":null}}", doc.ToJsonString());
        m.Clear();
        Assert.Equal(0, m.Count);
        Assert.Equal("{}", m.ToJsonString());
    }

    [Fact]
    public void xml_renders_sorted_attributes_lower_case_names_and_formats_as_tags()
    {
        var doc = Doc();
        var frag = doc.GetXmlFragment("x");
        var p = new YXmlElement("P");
        p.SetAttribute("style", "s");
        p.SetAttribute("class", "c");
        var text = new YXmlText("hello");
        p.Insert(0, text);
        frag.Insert(0, p);
        text.Format(0, 2, new Dictionary<string, object?> { ["b"] = new Dictionary<string, object?> { ["z"] = "1", ["a"] = "2" } });
        Assert.Equal("<p class=\"c\" style=\"s\"><b a=\"2\" z=\"1\">he</b>llo</p>", frag.ToString());
        p.RemoveAttribute("style");
        Assert.False(p.HasAttribute("style"));
        Assert.Same(text, p.FirstChild);
        Assert.Equal("P", ((YXmlElement)frag.Get(0)).NodeName);
    }

    [Fact]
    public void text_delta_round_trips_between_documents()
    {
        var a = Doc(1);
        var t = a.GetText("t");
        t.Insert(0, "Hello world");
        t.Format(0, 5, new Dictionary<string, object?> { ["bold"] = true });
        t.InsertEmbed(5, new Dictionary<string, object?> { ["image"] = "x.png" });
        var b = Doc(2);
        b.GetText("t").ApplyDelta(t.ToDelta());
        Assert.Equal(Json(t.ToDelta().Select(o => o.ToJson()).ToList()), Json(b.GetText("t").ToDelta().Select(o => o.ToJson()).ToList()));
        Assert.Equal("Hello world", b.GetText("t").ToString());
        Assert.Equal(12, b.GetText("t").Length);
    }

    [Fact]
    public void surrogate_pairs_count_two_units_and_a_split_pair_becomes_replacement_characters()
    {
        var doc = Doc();
        var t = doc.GetText("t");
        t.Insert(0, "a😀b");
        Assert.Equal(4, t.Length);
        t.Insert(2, "X");
        Assert.Equal("a\uFFFDX\uFFFDb", t.ToString());
    }

    [Fact]
    public void map_and_array_content_can_be_read_at_a_snapshot()
    {
        var doc = Doc(gc: false);
        var m = doc.GetMap("m");
        var arr = doc.GetArray("a");
        m.Set("k", "old");
        arr.Push(1L, 2L);
        var snap = doc.CreateSnapshot();
        m.Set("k", "new");
        arr.Delete(0);
        Assert.Equal("{\"k\":\"old\"}", Json(m.ToJson(snap)));
        Assert.Equal("[1,2]", Json(arr.ToArray(snap)));
        Assert.Equal("[2]", Json(arr.ToJson()));
    }

    [Fact]
    public void subdocuments_are_reported_and_loaded()
    {
        var doc = Doc();
        var added = new List<string>();
        var loaded = new List<string>();
        doc.SubdocsChanged += e =>
        {
            added.AddRange(e.Added.Select(d => d.Guid));
            loaded.AddRange(e.Loaded.Select(d => d.Guid));
        };
        var sub = new YDoc(new YDocOptions { Guid = "s1", ShouldLoad = false });
        doc.GetMap("m").Set("s", sub);
        Assert.Equal(new[] { "s1" }, added);
        Assert.Empty(loaded);
        sub.Load();
        Assert.Equal(new[] { "s1" }, loaded);
        Assert.Same(doc, sub.ParentDoc);
        Assert.Equal(doc.ClientId, sub.ClientId);
    }

    [Fact]
    public void nested_prelim_text_is_written_in_the_inserting_transaction()
    {
        var doc = Doc();
        var updates = 0;
        doc.UpdateV1 += (_, _) => updates++;
        doc.GetMap("m").Set("t", new YText("abc"));
        Assert.Equal(1, updates);
        Assert.Equal("abc", ((YText)doc.GetMap("m").Get("t")!).ToString());
        Assert.Equal("{\"t\":\"abc\"}", Json(doc.GetMap("m").ToJson()));
    }
}

public sealed class SnapshotDeltaTests
{
    [Fact]
    public void ychange_attributes_split_and_join_runs_like_yjs()
    {
        var d = new YDoc(new YDocOptions { ClientId = 1, Gc = false });
        var t = d.GetText("t");
        t.Insert(0, "abc");
        t.Insert(0, "X");
        t.Insert(4, "Q");
        var s1 = d.CreateSnapshot();
        t.Delete(0, 5);
        t.Insert(0, "MN");
        t.Insert(0, "O");
        var s2 = d.CreateSnapshot();
        string Render(List<YDeltaOp> ops) => JsJson.Stringify(ops.Select(o => o.ToJson()).ToList())!;

        // printed by yjs 13.6.33 for the same history
        Assert.Equal(
            "[{\"insert\":\"X\",\"attributes\":{\"ychange\":{\"type\":\"removed\"}}},{\"insert\":\"abc\",\"attributes\":{\"ychange\":{\"type\":\"removed\"}}},{\"insert\":\"Q\",\"attributes\":{\"ychange\":{\"type\":\"removed\"}}},{\"insert\":\"O\",\"attributes\":{\"ychange\":{\"type\":\"added\"}}},{\"insert\":\"MN\",\"attributes\":{\"ychange\":{\"type\":\"added\"}}}]",
            Render(t.ToDelta(s2, s1)));
        Assert.Equal(
            "[{\"insert\":\"XabcQ\",\"attributes\":{\"ychange\":{\"type\":\"removed\",\"user\":1}}},{\"insert\":\"OMN\",\"attributes\":{\"ychange\":{\"type\":\"added\",\"user\":1}}}]",
            Render(t.ToDelta(s2, s1, (type, id) => new Dictionary<string, object?> { ["type"] = type, ["user"] = (long)id.Client })));
    }
}
