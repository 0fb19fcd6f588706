using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.History;

/// <summary>
/// The leaner paths of the history views (fewer objects kept per indexed event, no copy of a snapshot per build,
/// versions of a diff built side by side) give the answers of the plain ones.
/// </summary>
public sealed class HistoryLeanPathTests : IAsyncLifetime
{
    private HistoryFixture _f = null!;

    public async Task InitializeAsync() => _f = await HistoryFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void event_roots_are_kept_ascending_and_once_as_a_sorted_set_kept_them(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var info = NewEvent();
            var expected = new SortedSet<int>();
            var count = random.Next(0, 6);
            for (var i = 0; i < count; i++)
            {
                var root = random.Next(0, random.Next(2) == 0 ? 4 : 100); // some beyond the shared one-root lists
                info.AddRoot(root);
                expected.Add(root);
            }
            Assert.Equal(expected.ToList(), info.Roots.ToList());
        }
    }

    [Fact]
    public void a_shared_one_root_list_is_never_changed_by_another_event()
    {
        var first = NewEvent();
        var second = NewEvent();
        first.AddRoot(2);
        second.AddRoot(2);
        second.AddRoot(0);
        Assert.Equal([2], first.Roots);
        Assert.Equal([0, 2], second.Roots);
    }

    [Fact]
    public async Task indexed_events_show_the_stored_hash_and_client_ids()
    {
        await _f.WriteStoryAsync();
        var main = BranchingFixture.Ref("main");
        var stored = new List<StoredEvent>();
        await foreach (var e in _f.B.Store.ReadAsync(main, new EventSeq(1), (await _f.B.Store.GetBranchAsync(main))!.Head)) stored.Add(e);
        using var lease = await _f.Index.OpenAsync(main.Document, default);
        foreach (var e in stored)
        {
            var info = lease.History.At(main.Branch, e.Seq.Value)!;
            Assert.Equal(e.Hash.ToString(), info.Hash);
            Assert.Equal(e.ClientIds, info.ClientIds);
        }
    }

    [Fact]
    public async Task a_build_from_the_stored_bytes_equals_a_replay_through_the_callback()
    {
        // 1,200 transactions of automerge-paper with a snapshot every 500: builds at, between and before snapshots
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 9 });
        var text = typist.GetText("text");
        var batch = new List<NewEvent>();
        var seq = 0;
        foreach (var patches in ContentTests.LoadTrace("automerge-paper").Take(1200))
        {
            var update = TextEdits.Capture(typist, () =>
            {
                foreach (var (pos, del, ins) in patches)
                {
                    if (del > 0) text.Delete(pos, del);
                    if (ins.Length > 0) text.Insert(pos, ins);
                }
            });
            batch.Add(new NewEvent(EventKind.Update, update, "typist") { ClientIds = [9] });
            if (++seq % 500 == 0)
            {
                await _f.B.Store.AppendAsync(main, batch);
                batch.Clear();
                await _f.B.Store.PutSnapshotAsync(main, new EventSeq(seq), typist.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
            }
        }
        await _f.B.Store.AppendAsync(main, batch);

        var replayer = new DocumentReplayer(_f.B.Store);
        foreach (var at in new long[] { 0, 1, 499, 500, 501, 777, 1000, 1199, 1200 })
        {
            var built = await replayer.BuildAsync(main, new EventSeq(at), gc: true, default);
            var plain = new YDoc();
            var stats = await replayer.ReplayAsync(main, new EventSeq(at), useSnapshots: true, u => plain.ApplyUpdate(u), onEvent: null, default);
            Assert.Equal(stats.SnapshotSeq, built.SnapshotSeq);
            Assert.Equal(stats.Replayed, built.Replayed);
            Assert.Equal(plain.EncodeStateAsUpdate(), built.Doc.EncodeStateAsUpdate());
            Assert.Equal(plain.GetText("text").ToString(), built.Doc.GetText("text").ToString());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void a_plain_text_delta_written_as_utf8_is_the_element_the_rendered_delta_parses_to(int seed)
    {
        var random = new Random(seed);
        // quotes, backslashes, every control character, multi-byte characters, pairs and lone surrogates
        var alphabet = new List<string> { "a", "Z", " ", "\"", "\\", "/", "\u007f", "é", "ß", "中", "\u2028", "\ufffd", "😀", "\ud83d", "\ude00" };
        alphabet.AddRange(Enumerable.Range(0, 32).Select(c => ((char)c).ToString()));
        var texts = new List<string> { "", "plain", "\ud83d\ude00", "\ude00\ud83d" };
        for (var i = 0; i < 300; i++)
        {
            texts.Add(string.Concat(Enumerable.Range(0, random.Next(1, 60)).Select(_ => alphabet[random.Next(alphabet.Count)])));
        }
        foreach (var text in texts)
        {
            var rendered = text.Length == 0 ? "[]" : "[{\"insert\":" + Collab.Crdt.Encoding.JsJson.Stringify(text) + "}]";
            string Old() => JsonDocument.Parse(rendered).RootElement.Clone().GetRawText();
            string New() => PlainTextDelta.Element(text).GetRawText();
            Assert.Equal(Outcome(Old), Outcome(New));
        }
    }

    [Fact]
    public async Task content_renders_every_root_as_render_all_does()
    {
        await _f.WriteStoryAsync();
        var doc = new YDoc(new YDocOptions { ClientId = 77 });
        doc.GetText("plain").Insert(0, "line one\n\"quoted\" \u0001 é 😀");
        doc.GetText("formatted").Insert(0, "bold", new Dictionary<string, object?> { ["bold"] = true });
        doc.GetMap("map").Set("k", "v");
        await _f.B.Store.AppendAsync(BranchingFixture.Ref("main"), [new NewEvent(EventKind.Update, doc.EncodeStateAsUpdate(), "alice") { ClientIds = [doc.ClientId] }]);
        var content = await _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main"), "aud", default);
        var built = await new DocumentReplayer(_f.B.Store).BuildAsync(BranchingFixture.Ref("main"), null, gc: true, default);
        using var lease = await _f.Index.OpenAsync(BranchingFixture.Ref("main").Document, default);
        var expected = Collab.Crdt.History.DocumentRender.RenderAll(built.Doc, HistoryPositions.Hints(lease.History));
        Assert.Equal(expected.Select(r => r.Name), content.Roots.Select(r => r.Name));
        Assert.Contains(content.Roots, r => r.Name == "plain");
        foreach (var (want, got) in expected.Zip(content.Roots))
        {
            Assert.Equal(want.Text, got.Text);
            Assert.Equal(want.DeltaJson is null ? null : JsonDocument.Parse(want.DeltaJson).RootElement.GetRawText(), got.Delta?.GetRawText());
            Assert.Equal(want.Json is null ? null : JsonDocument.Parse(want.Json).RootElement.GetRawText(), got.Value?.GetRawText());
            Assert.Equal(want.Xml, got.Xml);
        }
    }

    [Fact]
    public async Task a_released_document_lets_go_of_its_items_and_the_views_answer_as_before()
    {
        await _f.WriteStoryAsync();
        var main = BranchingFixture.Ref("main");
        var built = await new DocumentReplayer(_f.B.Store).BuildAsync(main, null, gc: true, default);
        var text = built.Doc.GetText("text");
        var before = text.ToString();
        Assert.NotEmpty(before);
        built.Doc.ReleaseStructs();
        Assert.Equal("", text.ToString());

        // the services release what they built after reading it: asking twice gives the same answers
        var first = await _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery("main"), "text", "aud", default);
        var second = await _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery("main"), "text", "aud", default);
        Assert.Equal(before, first.Text);
        Assert.Equal(first.Text, second.Text);
    }

    private static string Outcome(Func<string> render)
    {
        try
        {
            return render();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return "throws " + ex.GetType().Name;
        }
    }

    private static EventInfo NewEvent() => new()
    {
        Index = 0,
        Branch = new BranchName("main"),
        Seq = 1,
        Kind = "update",
        Author = "a",
        Time = HistoryFixture.Start,
        ClientIds = [],
        HashValue = default,
    };
}
