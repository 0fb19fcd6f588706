using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Crdt.Types;
using static Collab.Crdt.Tests.Merging.MergeTestKit;

namespace Collab.Crdt.Tests.Merging;

/// <summary>Conflict ids say what the conflict is: events elsewhere keep them, an edit of the region changes them.</summary>
public sealed class ConflictIdTests
{
    /// <summary>"The cat sat. The end." with "cat" replaced by "dog" on the target and "cow" on the source.</summary>
    private static (YDoc Target, YDoc Source) CatSat()
    {
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "The cat sat. The end.");
        b.GetMap("meta").Set("title", "Fable");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.Transact(() => { t.GetText("text").Delete(4, 3); t.GetText("text").Insert(4, "dog"); });
        s.Transact(() => { s.GetText("text").Delete(4, 3); s.GetText("text").Insert(4, "cow"); });
        return (t, s);
    }

    private static string OnlyId(YDoc t, YDoc s) => Assert.Single(MergeAnalyzer.Analyze(t, s, "main<-f").Conflicts).Id;

    [Fact]
    public void edits_elsewhere_on_either_side_keep_a_sequence_conflict_id()
    {
        var (t, s) = CatSat();
        var before = OnlyId(t, s);

        t.GetText("text").Insert(t.GetText("text").Length, " Really.");
        s.GetText("text").Delete(13, 4); // "The " of "The end."
        s.GetMap("meta").Set("author", "Aesop");
        t.GetMap("meta").Set("draft", true);

        Assert.Equal(before, OnlyId(t, s));
    }

    [Fact]
    public void an_edit_of_the_region_changes_the_id()
    {
        var (t, s) = CatSat();
        var before = OnlyId(t, s);

        t.GetText("text").Insert(7, "gy"); // "doggy"
        var afterOurs = OnlyId(t, s);
        Assert.NotEqual(before, afterOurs);

        s.GetText("text").Delete(4, 1); // "ow"
        Assert.NotEqual(afterOurs, OnlyId(t, s));
    }

    [Fact]
    public void the_same_conflict_in_another_scope_has_another_id()
    {
        var (t, s) = CatSat();
        Assert.NotEqual(OnlyId(t, s), Assert.Single(MergeAnalyzer.Analyze(t, s, "release<-f").Conflicts).Id);
    }

    [Fact]
    public void map_key_id_changes_only_when_the_key_is_set_again()
    {
        var b = NewDoc(1);
        b.GetMap("meta").Set("title", "Fable");
        b.GetMap("meta").Set("other", 1);
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        t.GetMap("meta").Set("title", "Ours");
        s.GetMap("meta").Set("title", "Theirs");
        var before = OnlyId(t, s);

        t.GetMap("meta").Set("other", 2);
        s.GetMap("meta").Set("new", 3);
        Assert.Equal(before, OnlyId(t, s));

        s.GetMap("meta").Set("title", "Theirs, again");
        Assert.NotEqual(before, OnlyId(t, s));
    }

    [Fact]
    public void a_conflict_in_a_nested_text_keeps_its_id_when_an_insertion_before_it_moves_its_index()
    {
        var b = NewDoc(1);
        var items = b.GetArray("items");
        var text = new YText();
        items.Insert(0, [text]);
        text.Insert(0, "The cat sat.");
        var t = Fork(b, 2);
        var s = Fork(b, 3);
        var tt = (YText)t.GetArray("items").Get(0)!;
        var st = (YText)s.GetArray("items").Get(0)!;
        t.Transact(() => { tt.Delete(4, 3); tt.Insert(4, "dog"); });
        s.Transact(() => { st.Delete(4, 3); st.Insert(4, "cow"); });
        var before = Assert.Single(MergeAnalyzer.Analyze(t, s, "main<-f").Conflicts);
        Assert.Equal(new[] { "#0" }, before.Path);

        s.GetArray("items").Insert(0, ["a new first item"]);
        var after = Assert.Single(MergeAnalyzer.Analyze(t, s, "main<-f").Conflicts);
        Assert.Equal(new[] { "#1" }, after.Path);
        Assert.Equal(before.Id, after.Id);
    }

    [Fact]
    public void ids_do_not_depend_on_how_items_are_split()
    {
        // The target types its replacement one character per transaction (three items) and, in a copy, at once (one
        // item): the runs are the same ids, so the conflict is the same.
        var b = NewDoc(1);
        b.GetText("text").Insert(0, "The cat sat.");
        var s = Fork(b, 3);
        s.Transact(() => { s.GetText("text").Delete(4, 3); s.GetText("text").Insert(4, "cow"); });
        var t1 = Fork(b, 2);
        t1.Transact(() => { t1.GetText("text").Delete(4, 3); t1.GetText("text").Insert(4, "dog"); });
        var t2 = Fork(b, 2);
        t2.Transact(() => t2.GetText("text").Delete(4, 3));
        foreach (var (ch, i) in new[] { ("d", 4), ("o", 5), ("g", 6) }) t2.GetText("text").Insert(i, ch);
        Assert.Equal(OnlyId(t1, s), OnlyId(t2, s));
    }
}
