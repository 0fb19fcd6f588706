using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Crdt.Types;
using static Collab.Crdt.Tests.Merging.MergeTestKit;

namespace Collab.Crdt.Tests.Merging;

public sealed class ConflictScenarioTests
{
    private static (YDoc Target, YDoc Source) CatSat(uint oursId = 2, uint theirsId = 3)
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "The cat sat.");
        var t = Fork(b, oursId);
        var s = Fork(b, theirsId);
        t.Transact(() => { t.GetText("text").Delete(4, 3); t.GetText("text").Insert(4, "dog"); });
        s.Transact(() => { s.GetText("text").Delete(4, 3); s.GetText("text").Insert(4, "cow"); });
        return (t, s);
    }

    [Fact]
    public void worked_example_gives_one_sequence_overlap_with_the_spec_excerpts()
    {
        var (t, s) = CatSat();
        var a = MergeAnalyzer.Analyze(t, s, "merge-1");
        var c = Assert.Single(a.Conflicts);
        Assert.Equal("sequence-overlap", c.Kind);
        Assert.Equal("text", c.Root);
        Assert.Empty(c.Path);
        Assert.Null(c.Key);
        Assert.Equal("cat", c.Base);
        Assert.Equal("dog", c.Ours);
        Assert.Equal("cow", c.Theirs);
        Assert.Equal("dogcow", c.Merged);
        Assert.Equal("both kept: dogcow", c.AutomaticOutcome);
        Assert.Equal("{\"text\":\"The dogcow sat.\"}", a.MergedJson);
        Assert.Equal(32, c.Id.Length);
        Assert.Equal(c.Id, MergeAnalyzer.Analyze(t, s, "merge-1").Conflicts[0].Id);
        Assert.NotEqual(c.Id, MergeAnalyzer.Analyze(t, s, "merge-2").Conflicts[0].Id);

        var m = With(t, a.Update, 2);
        Assert.Equal("The dogcow sat.", m.GetText("text").ToString());
        Assert.Equal(4, Index(m, c.Start));
        Assert.Equal(10, Index(m, c.End));
        Assert.Equal(YDoc.EncodeStateVector(new Dictionary<uint, uint> { [1] = 12 }), a.BaseStateVector);
    }

    [Fact]
    public void worked_example_orders_same_gap_inserts_by_client_id()
    {
        var (t, s) = CatSat(oursId: 7, theirsId: 3);
        var c = Assert.Single(MergeAnalyzer.Analyze(t, s, "m").Conflicts);
        Assert.Equal("cowdog", c.Merged);
        Assert.Equal("dog", c.Ours);
        Assert.Equal("both kept: cowdog", c.AutomaticOutcome);
    }

    [Theory]
    [InlineData("theirs", null, "The cow sat.")]
    [InlineData("ours", null, "The dog sat.")]
    [InlineData("custom", "bird", "The bird sat.")]
    [InlineData("custom", "", "The  sat.")]
    public void each_decision_on_the_worked_example_produces_its_content(string choice, string? custom, string expected)
    {
        var (t, s) = CatSat();
        var a = MergeInto(t, s);
        var update = ConflictResolver.Resolve(t, a.Conflicts[0], choice, custom, 99);
        Assert.NotEmpty(update);
        Assert.Equal("The dogcow sat.", t.GetText("text").ToString()); // current is not modified
        t.ApplyUpdate(update);
        Assert.Equal(expected, t.GetText("text").ToString());

        // the decision converges on the other branch too
        s.ApplyUpdate(t.EncodeStateAsUpdate(s.EncodeStateVector()));
        Assert.Equal(expected, s.GetText("text").ToString());
    }

    [Fact]
    public void merged_decision_and_an_already_equal_region_write_nothing()
    {
        var (t, s) = CatSat();
        var a = MergeInto(t, s);
        Assert.Empty(ConflictResolver.Resolve(t, a.Conflicts[0], "merged", null, 99));
        Assert.Empty(ConflictResolver.Resolve(t, a.Conflicts[0], "custom", "dogcow", 99));
        Assert.Throws<ArgumentException>(() => ConflictResolver.Resolve(t, a.Conflicts[0], "mine", null, 99));
        Assert.Throws<ArgumentException>(() => ConflictResolver.Resolve(t, a.Conflicts[0], "ours", null, 2));
    }

    [Fact]
    public void late_decision_after_further_edits_applies_inside_the_region_bounds()
    {
        var (t, s) = CatSat();
        var a = MergeInto(t, s);
        var text = t.GetText("text");
        text.Insert(0, "Look: ");                 // before the region
        text.Insert(text.Length, " Then it ran.");  // after it
        text.Insert(6 + 4 + 3, "-");              // inside it: "dog-cow"
        Assert.Equal("Look: The dog-cow sat. Then it ran.", text.ToString());
        Assert.Equal("dog-cow", ConflictResolver.CurrentContent(t, a.Conflicts[0]));
        t.ApplyUpdate(ConflictResolver.Resolve(t, a.Conflicts[0], "theirs", null, 99));
        Assert.Equal("Look: The cow sat. Then it ran.", text.ToString());
    }

    [Fact]
    public void a_decision_stays_inside_the_region_when_its_right_bound_was_deleted_later()
    {
        var (t, s) = CatSat();
        var a = MergeInto(t, s);
        t.GetText("text").Delete(10, 1); // the space after "dogcow": the region's right bound is now a tombstone
        t.ApplyUpdate(ConflictResolver.Resolve(t, a.Conflicts[0], "theirs", null, 99));
        Assert.Equal("The cowsat.", t.GetText("text").ToString());
        Assert.Equal("cow", ConflictResolver.CurrentContent(t, a.Conflicts[0]));
        int start = Index(t, a.Conflicts[0].Start);
        int end = Index(t, a.Conflicts[0].End);
        Assert.Equal("cow", t.GetText("text").ToString()[start..end]);
    }

    [Fact]
    public void changes_that_share_no_ground_are_not_conflicts()
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "alpha beta gamma");
        b.GetMap("m").Set("a", 1L);
        var frag = b.GetXmlFragment("xml");
        var p1 = new YXmlElement("p");
        p1.Insert(0, new YXmlText("one"));
        var p2 = new YXmlElement("p");
        p2.Insert(0, new YXmlText("two"));
        frag.Insert(0, p1, p2);
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetText("text").Insert(0, "A ");
        t.GetText("text").Delete(8, 4);         // "beta" -> removes "beta"
        s.GetText("text").Insert(16, "!");      // at the end
        t.GetMap("m").Set("b", 2L);
        s.GetMap("m").Set("c", 3L);
        ((YXmlText)((YXmlElement)t.GetXmlFragment("xml").Get(0)).Get(0)).Insert(3, " more");
        ((YXmlText)((YXmlElement)s.GetXmlFragment("xml").Get(1)).Get(0)).Insert(0, "just ");
        foreach (var strictness in new[] { MergeStrictness.Default, MergeStrictness.Lenient })
        {
            Assert.Empty(MergeAnalyzer.Analyze(t, s, "m", strictness).Conflicts);
        }

        var a = MergeAnalyzer.Analyze(t, s, "m");
        Assert.Contains("\"text\":\"A alpha  gamma!\"", a.MergedJson);
    }

    [Fact]
    public void identical_changes_on_both_sides_are_not_conflicts()
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "hello world");
        b.GetMap("m").Set("k", 1L);
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetText("text").Delete(0, 6);
        s.GetText("text").Delete(0, 6);
        t.GetMap("m").Set("k", 5L);
        s.GetMap("m").Set("k", 5L);
        Assert.Empty(MergeAnalyzer.Analyze(t, s, "m").Conflicts);
    }

    [Fact]
    public void map_key_set_to_different_values_and_set_versus_delete()
    {
        var b = NewDoc(1);
        var bm = b.GetMap("m");
        bm.Set("title", "Draft");
        bm.Set("gone", "x");
        bm.Set("same", 1L);
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetMap("m").Set("title", "Ours");
        s.GetMap("m").Set("title", "Theirs");
        t.GetMap("m").Delete("gone");
        s.GetMap("m").Set("gone", "kept");
        t.GetMap("m").Set("same", 2L);
        s.GetMap("m").Set("same", 2L);
        var a = MergeAnalyzer.Analyze(t, s, "m");
        Assert.Equal(2, a.Conflicts.Count);
        var gone = a.Conflicts[0];
        Assert.Equal(("map-key", "m", "gone"), (gone.Kind, gone.Root, gone.Key));
        Assert.Empty(gone.Path);
        Assert.Equal(("\"x\"", null, "\"kept\"", "\"kept\""), (gone.Base, gone.Ours, gone.Theirs, gone.Merged));
        Assert.Equal("theirs wins: \"kept\"", gone.AutomaticOutcome);
        var title = a.Conflicts[1];
        Assert.Equal("title", title.Key);
        Assert.Equal(("\"Draft\"", "\"Ours\"", "\"Theirs\"", "\"Theirs\""), (title.Base, title.Ours, title.Theirs, title.Merged));
        Assert.Equal("theirs wins: \"Theirs\"", title.AutomaticOutcome);

        var m = With(t, a.Update, 2);
        Assert.Equal("\"Theirs\"", ConflictResolver.CurrentContent(m, title));
        m.ApplyUpdate(ConflictResolver.Resolve(m, title, "ours", null, 50));
        m.ApplyUpdate(ConflictResolver.Resolve(m, gone, "ours", null, 51));
        Assert.Equal("Ours", m.GetMap("m").Get("title"));
        Assert.False(m.GetMap("m").ContainsKey("gone"));
        m.ApplyUpdate(ConflictResolver.Resolve(m, title, "custom", "{\"v\":[1,2]}", 52));
        Assert.Equal("{\"v\":[1,2]}", Collab.Crdt.Encoding.JsJson.Stringify(m.GetMap("m").Get("title")));
    }

    [Fact]
    public void map_key_in_a_nested_map_and_an_xml_attribute()
    {
        var b = NewDoc(1);
        var inner = new YMap();
        b.GetMap("root").Set("settings", inner);
        inner.Set("theme", "light");
        var el = new YXmlElement("p");
        b.GetXmlFragment("xml").Insert(0, el);
        el.SetAttribute("align", "left");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        ((YMap)t.GetMap("root").Get("settings")!).Set("theme", "dark");
        ((YMap)s.GetMap("root").Get("settings")!).Set("theme", "blue");
        ((YXmlElement)t.GetXmlFragment("xml").Get(0)).SetAttribute("align", "center");
        ((YXmlElement)s.GetXmlFragment("xml").Get(0)).RemoveAttribute("align");
        var a = MergeAnalyzer.Analyze(t, s, "m");
        Assert.Equal(2, a.Conflicts.Count);
        var theme = a.Conflicts[0];
        Assert.Equal(("map-key", "root", "theme"), (theme.Kind, theme.Root, theme.Key));
        Assert.Equal(new[] { "settings" }, theme.Path);
        Assert.Equal(("\"light\"", "\"dark\"", "\"blue\""), (theme.Base, theme.Ours, theme.Theirs));
        Assert.Equal("theirs wins: \"blue\"", theme.AutomaticOutcome);
        var align = a.Conflicts[1];
        Assert.Equal(("xml", "align"), (align.Root, align.Key));
        Assert.Equal(new[] { "#0" }, align.Path);
        Assert.Equal(("\"left\"", "\"center\"", null, "\"center\""), (align.Base, align.Ours, align.Theirs, align.Merged));
        Assert.Equal("ours wins: \"center\"", align.AutomaticOutcome);

        var m = With(t, a.Update, 2);
        m.ApplyUpdate(ConflictResolver.Resolve(m, align, "theirs", null, 60));
        Assert.False(((YXmlElement)m.GetXmlFragment("xml").Get(0)).HasAttribute("align"));
        m.ApplyUpdate(ConflictResolver.Resolve(m, theme, "ours", null, 61));
        Assert.Equal("dark", ((YMap)m.GetMap("root").Get("settings")!).Get("theme"));
    }

    [Fact]
    public void array_inserts_at_the_same_place_conflict_with_json_excerpts()
    {
        var b = NewDoc(1);
        b.GetArray("list").Push(1L, 2L, 3L);
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetArray("list").Insert(1, "a");
        s.GetArray("list").Delete(0, 2);
        s.GetArray("list").Insert(0, "b");
        var a = MergeAnalyzer.Analyze(t, s, "m");
        var c = Assert.Single(a.Conflicts);
        Assert.Equal("sequence-overlap", c.Kind);
        Assert.Equal(("[1,2]", "[1,\"a\",2]", "[\"b\"]"), (c.Base, c.Ours, c.Theirs));
        Assert.Equal("[\"b\",\"a\"]", c.Merged);
        var m = With(t, a.Update, 2);
        Assert.Equal("[\"b\",\"a\",3]", m.GetArray("list").ToJsonString());
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "ours", null, 70));
        Assert.Equal("[1,\"a\",2,3]", m.GetArray("list").ToJsonString());
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "custom", "[{\"x\":true}]", 71));
        Assert.Equal("[{\"x\":true},3]", m.GetArray("list").ToJsonString());
    }

    [Fact]
    public void xml_child_list_inserts_at_the_same_place_conflict_with_markup_excerpts()
    {
        var b = NewDoc(1);
        var p = new YXmlElement("p");
        b.GetXmlFragment("doc").Insert(0, p);
        p.Insert(0, new YXmlText("intro"));
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        var h = new YXmlElement("h1");
        t.GetXmlFragment("doc").Insert(1, h);
        h.Insert(0, new YXmlText("Ours"));
        var q = new YXmlElement("blockquote");
        s.GetXmlFragment("doc").Insert(1, q);
        q.SetAttribute("cite", "a<b");
        var a = MergeAnalyzer.Analyze(t, s, "m");
        var c = Assert.Single(a.Conflicts);
        Assert.Equal(("sequence-overlap", "doc"), (c.Kind, c.Root));
        Assert.Equal("", c.Base);
        Assert.Equal("<h1>Ours</h1>", c.Ours);
        Assert.Equal("<blockquote cite=\"a&lt;b\"></blockquote>", c.Theirs);
        Assert.Equal("<h1>Ours</h1><blockquote cite=\"a&lt;b\"></blockquote>", c.Merged);
        var m = With(t, a.Update, 2);
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "theirs", null, 80));
        Assert.Equal("<p>intro</p><blockquote cite=\"a<b\"></blockquote>", m.GetXmlFragment("doc").ToString());
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "custom", "<h2 id=\"x\">T &amp; C</h2>", 81));
        Assert.Equal("<p>intro</p><h2 id=\"x\">T &amp; C</h2>".Replace("&amp;", "&"), m.GetXmlFragment("doc").ToString());
    }

    [Fact]
    public void deleting_a_paragraph_that_the_other_side_edited_is_a_delete_edit()
    {
        var b = NewDoc(1);
        var p = new YXmlElement("p");
        b.GetXmlFragment("doc").Insert(0, p);
        p.Insert(0, new YXmlText("hello"));
        b.GetXmlFragment("doc").Insert(1, new YXmlElement("hr"));
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetXmlFragment("doc").Delete(0);
        ((YXmlText)((YXmlElement)s.GetXmlFragment("doc").Get(0)).Get(0)).Insert(5, " world");
        var a = MergeAnalyzer.Analyze(t, s, "m");
        var c = Assert.Single(a.Conflicts);
        Assert.Equal(("delete-edit", "doc", null), (c.Kind, c.Root, c.Key));
        Assert.Empty(c.Path);
        Assert.Equal(("\"<p>hello</p>\"", null, "\"<p>hello world</p>\"", null), (c.Base, c.Ours, c.Theirs, c.Merged));
        Assert.StartsWith("ours deleted it: deleted with its contents", c.AutomaticOutcome);
        var m = With(t, a.Update, 2);
        Assert.Equal("<hr></hr>", m.GetXmlFragment("doc").ToString());
        Assert.Equal(0, Index(m, c.Start));
        Assert.Empty(ConflictResolver.Resolve(m, c, "ours", null, 90));
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "theirs", null, 90));
        Assert.Equal("<p>hello world</p><hr></hr>", m.GetXmlFragment("doc").ToString());
    }

    [Fact]
    public void deleting_a_nested_map_that_the_other_side_edited_is_a_delete_edit()
    {
        var b = NewDoc(1);
        var inner = new YMap();
        b.GetMap("m").Set("inner", inner);
        inner.Set("x", 1L);
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        ((YMap)t.GetMap("m").Get("inner")!).Set("y", 2L);
        s.GetMap("m").Delete("inner");
        var a = MergeAnalyzer.Analyze(t, s, "m");
        var c = Assert.Single(a.Conflicts);
        Assert.Equal(("delete-edit", "m", "inner"), (c.Kind, c.Root, c.Key));
        Assert.Equal(("{\"x\":1}", "{\"x\":1,\"y\":2}", null), (c.Base, c.Ours, c.Theirs));
        Assert.StartsWith("theirs deleted it", c.AutomaticOutcome);
    }

    [Fact]
    public void both_sides_formatting_the_same_text_differently_is_a_format_overlap()
    {
        var b = NewDoc(1);
        b.GetText("t").Insert(0, "hello world");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetText("t").Format(0, 5, new Dictionary<string, object?> { ["color"] = "red" });
        s.GetText("t").Format(3, 5, new Dictionary<string, object?> { ["color"] = "blue" });
        t.GetText("t").Format(6, 5, new Dictionary<string, object?> { ["bold"] = true });
        s.GetText("t").Format(6, 5, new Dictionary<string, object?> { ["bold"] = true });
        var a = MergeAnalyzer.Analyze(t, s, "m");
        var c = Assert.Single(a.Conflicts);
        Assert.Equal(("format-overlap", "t", "color"), (c.Kind, c.Root, c.Key));
        Assert.Equal(("null", "\"red\"", "\"blue\""), (c.Base, c.Ours, c.Theirs));
        var m = With(t, a.Update, 2);
        Assert.Equal(3, Index(m, c.Start));
        Assert.Equal(5, Index(m, c.End));
        var mergedColor = m.GetText("t").ToDelta().First(op => op.Insert is string ins && ins.Contains('l', StringComparison.Ordinal) && op.Attributes != null && op.Attributes.ContainsKey("color"));
        Assert.NotNull(mergedColor);
        Assert.Equal(c.Merged, "\"" + (string)m.GetText("t").ToDelta().First(op => ((string)op.Insert!).StartsWith("lo", StringComparison.Ordinal)).Attributes!["color"]! + "\"");
        Assert.Equal(c.Merged, ConflictResolver.CurrentContent(m, c));
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "ours", null, 95));
        var lo = m.GetText("t").ToDelta().First(op => ((string)op.Insert!).Contains("lo", StringComparison.Ordinal));
        Assert.Equal("red", lo.Attributes!["color"]);
    }

    [Fact]
    public void strict_makes_any_two_changes_in_one_text_a_conflict_over_the_whole_text()
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "The cat sat.");
        b.GetText("other").Insert(0, "x");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetText("text").Insert(0, "Now ");
        s.GetText("text").Insert(12, " Down.");
        s.GetText("other").Insert(1, "y");
        Assert.Empty(MergeAnalyzer.Analyze(t, s, "m").Conflicts);
        var a = MergeAnalyzer.Analyze(t, s, "m", MergeStrictness.Strict);
        var c = Assert.Single(a.Conflicts);
        Assert.Equal(("sequence-overlap", "text"), (c.Kind, c.Root));
        Assert.Equal(("The cat sat.", "Now The cat sat.", "The cat sat. Down.", "Now The cat sat. Down."), (c.Base, c.Ours, c.Theirs, c.Merged));
        var m = With(t, a.Update, 2);
        Assert.Equal((0, 22), (Index(m, c.Start), Index(m, c.End)));
        m.ApplyUpdate(ConflictResolver.Resolve(m, c, "theirs", null, 96));
        Assert.Equal("The cat sat. Down.", m.GetText("text").ToString());
    }

    [Fact]
    public void strict_counts_attribute_changes_of_an_xml_element()
    {
        var b = NewDoc(1);
        var p = new YXmlElement("p");
        b.GetXmlElement("el").Insert(0, new YXmlText("x"));
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetXmlElement("el").SetAttribute("a", "1");
        s.GetXmlElement("el").Insert(1, p);
        Assert.Empty(MergeAnalyzer.Analyze(t, s, "m").Conflicts);
        var c = Assert.Single(MergeAnalyzer.Analyze(t, s, "m", MergeStrictness.Strict).Conflicts);
        Assert.Equal(("sequence-overlap", "el", "x", "x<p></p>"), (c.Kind, c.Root, c.Ours, c.Theirs));
    }

    [Fact]
    public void lenient_keeps_only_map_key_and_delete_edit()
    {
        var (t, s) = CatSat();
        t.GetMap("m").Set("k", 1L);
        s.GetMap("m").Set("k", 2L);
        t.GetText("text").Format(0, 3, new Dictionary<string, object?> { ["b"] = true });
        s.GetText("text").Format(0, 3, new Dictionary<string, object?> { ["b"] = false });
        Assert.Equal(new[] { "map-key", "sequence-overlap", "format-overlap" }, MergeAnalyzer.Analyze(t, s, "m").Conflicts.Select(c => c.Kind));
        var c = Assert.Single(MergeAnalyzer.Analyze(t, s, "m", MergeStrictness.Lenient).Conflicts);
        Assert.Equal("map-key", c.Kind);
    }

    [Fact]
    public void repeated_merges_find_only_new_conflicts()
    {
        var (t, s) = CatSat();
        Assert.Single(MergeInto(t, s, "first").Conflicts);
        Assert.Empty(MergeAnalyzer.Analyze(t, s, "again").Conflicts);

        // both keep editing: one new conflict at the end, the old one is not reported again
        t.GetText("text").Insert(t.GetText("text").Length, " Ours.");
        s.GetText("text").Insert(s.GetText("text").Length, " Theirs.");
        var second = MergeInto(t, s, "second");
        var c = Assert.Single(second.Conflicts);
        Assert.Equal(("", " Ours.", " Theirs."), (c.Base, c.Ours, c.Theirs));

        // T -> S then S -> T: nothing left to decide
        var back = MergeInto(s, t, "back");
        Assert.Empty(back.Conflicts);
        Assert.Empty(MergeAnalyzer.Analyze(t, s, "forth").Conflicts);
        Assert.Equal(t.GetText("text").ToString(), s.GetText("text").ToString());
    }

    [Fact]
    public void merging_a_grandchild_into_its_grandparent_finds_the_grandchilds_conflicts()
    {
        var g = NewDoc(1);
        g.GetText("text").Insert(0, "The cat sat.");
        var p = Fork(g, 2);
        p.GetText("text").Insert(12, " Parent.");
        var c = Fork(p, 3);
        c.Transact(() => { c.GetText("text").Delete(4, 3); c.GetText("text").Insert(4, "cow"); });
        g.Transact(() => { g.GetText("text").Delete(4, 3); g.GetText("text").Insert(4, "dog"); });
        var a = MergeInto(g, c, "up");
        var conflict = Assert.Single(a.Conflicts);
        Assert.Equal(("cat", "dog", "cow"), (conflict.Base, conflict.Ours, conflict.Theirs));
        Assert.Equal("The dogcow sat. Parent.", g.GetText("text").ToString());
        Assert.Empty(MergeAnalyzer.Analyze(g, p, "parent").Conflicts); // the parent's work came along already
    }

    [Fact]
    public void criss_cross_merges_report_nothing_twice()
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "one two three");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetText("text").Insert(3, "A");
        s.GetText("text").Insert(3, "B");
        var tBefore = Fork(t, 12);
        var sBefore = Fork(s, 13);
        Assert.Single(MergeInto(t, sBefore, "x1").Conflicts);
        Assert.Single(MergeInto(s, tBefore, "x2").Conflicts);
        Assert.Empty(MergeAnalyzer.Analyze(t, s, "x3").Conflicts);

        t.GetText("text").Insert(0, ">");
        s.GetText("text").Insert(s.GetText("text").Length, "<");
        var a = MergeAnalyzer.Analyze(t, s, "x4");
        Assert.Empty(a.Conflicts);
        Assert.Equal("{\"text\":\">oneAB two three<\"}", a.MergedJson);
    }
}
