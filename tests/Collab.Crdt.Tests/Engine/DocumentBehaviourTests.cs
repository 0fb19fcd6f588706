using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Engine;

public sealed class DocumentBehaviourTests
{
    private static YDoc Doc(uint id, bool gc = true) => new(new YDocOptions { ClientId = id, Gc = gc });

    private static void Sync(YDoc a, YDoc b)
    {
        b.ApplyUpdate(a.EncodeStateAsUpdate(b.EncodeStateVector()));
        a.ApplyUpdate(b.EncodeStateAsUpdate(a.EncodeStateVector()));
    }

    private static string Json(object? v) => JsJson.Stringify(v)!;

    [Fact]
    public void concurrent_text_map_array_and_xml_edits_converge()
    {
        var a = Doc(1);
        var b = Doc(2);
        a.GetText("t").Insert(0, "hello");
        Sync(a, b);
        a.GetText("t").Insert(5, " world");
        b.GetText("t").Insert(0, "oh ");
        b.GetText("t").Delete(3, 1);
        a.GetMap("m").Set("k", "from a");
        b.GetMap("m").Set("k", "from b");
        a.GetArray("arr").Push(1L, 2L);
        b.GetArray("arr").Insert(0, "x", new byte[] { 7 });
        a.GetXmlFragment("x").Insert(0, new YXmlElement("p"));
        b.GetXmlFragment("x").Insert(0, new YXmlText("t"));
        Sync(a, b);
        Assert.Equal("oh ello world", a.GetText("t").ToString());
        Assert.Equal(Json(a.ToJson()), Json(b.ToJson()));
        Assert.Equal("from b", a.GetMap("m").Get("k"));
        Assert.Equal(4, b.GetArray("arr").Length);
        Assert.Equal(2, b.GetXmlFragment("x").Length);
    }

    [Fact]
    public void a_root_received_before_it_is_read_stays_untyped_until_read()
    {
        var a = Doc(1);
        a.GetText("t").Insert(0, "abc");
        a.GetMap("m").Set("x", 1L);
        var b = Doc(2);
        b.ApplyUpdate(a.EncodeStateAsUpdate());
        Assert.IsType<YUntypedRoot>(b.GetRoot("t"));
        Assert.Equal(a.EncodeStateAsUpdate(), b.EncodeStateAsUpdate());
        Assert.Equal("abc", b.GetText("t").ToString());
        Assert.Equal(1L, Assert.IsType<long>(b.GetMap("m").Get("x")));
        Assert.Throws<InvalidOperationException>(() => b.GetArray("t"));
    }

    [Fact]
    public void truncated_updates_throw_and_leave_the_document_unchanged()
    {
        var a = Doc(1);
        var t = a.GetText("t");
        t.Insert(0, "héllo 😀", new Dictionary<string, object?> { ["bold"] = true });
        a.GetMap("m").Set("k", new Dictionary<string, object?> { ["n"] = 1.5 });
        a.GetArray("arr").Push(new YText("nested"));
        t.Delete(1, 2);
        var update = a.EncodeStateAsUpdate();
        var target = Doc(2);
        target.GetText("t").Insert(0, "existing");
        var before = target.EncodeStateAsUpdate();
        for (int len = 0; len < update.Length - 1; len++)
        {
            try
            {
                target.ApplyUpdate(update[..len]);
            }
            catch (YjsFormatException e)
            {
                Assert.InRange(e.Offset, -1, len);
            }

            Assert.Equal(before, target.EncodeStateAsUpdate());
        }
    }

    [Fact]
    public void hostile_updates_are_rejected_with_an_offset()
    {
        var doc = Doc(1);
        // one client claiming 2^50 structs
        var w = new Lib0Writer();
        w.WriteVarUInt(1);
        w.WriteVarUInt(1UL << 50);
        Assert.Throws<YjsFormatException>(() => doc.ApplyUpdate(w.ToArray()));
        // an item whose origin points at a later clock of its own client
        var w2 = new Lib0Writer();
        w2.WriteVarUInt(1);
        w2.WriteVarUInt(1);
        w2.WriteVarUInt(5);
        w2.WriteVarUInt(0);
        w2.WriteByte(0x84);
        w2.WriteVarUInt(5);
        w2.WriteVarUInt(3);
        w2.WriteVarString("x");
        w2.WriteVarUInt(0);
        var ex = Assert.Throws<YjsFormatException>(() => doc.ApplyUpdate(w2.ToArray()));
        Assert.Equal(4, ex.Offset);
        // unknown content ref
        Assert.Throws<YjsFormatException>(() => doc.ApplyUpdate(new byte[] { 1, 1, 5, 0, 0x1F, 0 }));
        Assert.Equal(new byte[] { 0, 0 }, doc.EncodeStateAsUpdate());
    }

    [Fact]
    public void snapshot_renders_old_text_from_a_doc_without_gc()
    {
        var doc = Doc(1, gc: false);
        var t = doc.GetText("t");
        t.Insert(0, "hello world");
        var snap = doc.CreateSnapshot();
        t.Delete(0, 6);
        t.Insert(5, "!");
        var before = doc.EncodeStateAsUpdate();
        Assert.Equal("hello world", t.ToString(snap));
        Assert.Equal("world!", t.ToString());
        Assert.Equal(before, doc.EncodeStateAsUpdate());
        var old = doc.CreateDocFromSnapshot(snap);
        Assert.Equal("hello world", old.GetText("t").ToString());
        var delta = t.ToDelta(doc.CreateSnapshot(), snap);
        Assert.Equal("[{\"insert\":\"hello \",\"attributes\":{\"ychange\":{\"type\":\"removed\"}}},{\"insert\":\"world\"},{\"insert\":\"!\",\"attributes\":{\"ychange\":{\"type\":\"added\"}}}]", Json(delta.Select(o => o.ToJson()).ToList()));
    }

    [Fact]
    public void observers_receive_text_deltas_map_keys_and_deep_paths()
    {
        var doc = Doc(1);
        var t = doc.GetText("t");
        var m = doc.GetMap("m");
        t.Insert(0, "abc");
        m.Set("a", 1L);
        var textDeltas = new List<string>();
        t.Observe((e, _) => textDeltas.Add(Json(e.Delta.Select(o => o.ToJson()).ToList())));
        var keys = new List<string>();
        m.Observe((e, _) => keys.AddRange(e.Keys.Select(k => $"{k.Key}:{k.Value.Action}")));
        var paths = new List<string>();
        m.ObserveDeep((events, _) => paths.AddRange(events.Select(e => Json(e.Path.ToList()))));
        doc.Transact(() =>
        {
            t.Delete(1, 1);
            t.Insert(2, "X", new Dictionary<string, object?> { ["bold"] = true });
            m.Set("a", 2L);
            m.Set("b", new YArray());
        });
        ((YArray)m.Get("b")!).Push("v");
        Assert.Equal(new[] { "[{\"retain\":1},{\"delete\":1},{\"retain\":1},{\"insert\":\"X\",\"attributes\":{\"bold\":true}}]" }, textDeltas);
        Assert.Equal(new[] { "a:update", "b:add" }, keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new[] { "[]", "[\"b\"]" }, paths);
    }

    [Fact]
    public void update_event_fires_once_per_changing_transaction_with_its_origin()
    {
        var doc = Doc(1);
        var seen = new List<(int, object?)>();
        doc.UpdateV1 += (u, origin) => seen.Add((u.Length, origin));
        doc.Transact(() => doc.GetText("t").Insert(0, "a"), "me");
        doc.Transact(() => { }, "nothing");
        var other = Doc(2);
        other.ApplyUpdate(doc.EncodeStateAsUpdate(), "remote");
        Assert.Single(seen);
        Assert.Equal("me", seen[0].Item2);
    }

    [Fact]
    public void deep_nesting_of_types_does_not_overflow_and_round_trips()
    {
        var doc = Doc(1);
        var current = doc.GetMap("root");
        for (int i = 0; i < 200; i++)
        {
            var next = new YMap();
            current.Set("c", next);
            current = next;
        }

        var copy = Doc(2);
        copy.ApplyUpdate(doc.EncodeStateAsUpdate());
        Assert.Equal(doc.EncodeStateAsUpdate(), copy.EncodeStateAsUpdate());
    }
}

public sealed class ObserverFailureTests
{
    [Fact]
    public void a_throwing_observer_surfaces_its_exception_and_later_transactions_still_clean_up()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        var t = doc.GetText("t");
        bool fail = true;
        t.Observe((_, _) =>
        {
            if (fail)
            {
                throw new InvalidOperationException("observer failed");
            }
        });
        var updates = 0;
        doc.UpdateV1 += (_, _) => updates++;
        Assert.Throws<InvalidOperationException>(() => t.Insert(0, "a"));
        fail = false;
        t.Insert(1, "b");
        Assert.Equal("ab", t.ToString());
        Assert.Equal(2, updates);
    }
}
