using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.History;
using Collab.Crdt.Types;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.History;

/// <summary>
/// The faster paths of the history views give the answers of the plain ones: interval lookups (one binary search and
/// a scan of the intervals that can reach a clock, a remembered position for clocks looked up in order) against a scan
/// of every interval; diff segments built without a string per unit against the versions and blame they describe.
/// </summary>
public sealed class HistorySpeedPathTests : IAsyncLifetime
{
    private HistoryFixture _f = null!;

    public async Task InitializeAsync() => _f = await HistoryFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void clock_interval_lookups_equal_a_scan_of_every_interval(int seed, bool overlapping)
    {
        var random = new Random(seed);
        var intervals = new ClockIntervals();
        var all = new List<Interval>();
        var starts = new HashSet<uint>();
        for (var round = 0; round < 6; round++)
        {
            // added out of order (deletions of older text), some long (a deleted paragraph), then looked up
            for (var i = 0; i < 300; i++)
            {
                uint clock;
                do clock = (uint)random.Next(0, 5000); while (!starts.Add(clock));
                var length = (uint)(random.Next(10) == 0 ? random.Next(1, 400) : random.Next(1, 4));
                if (!overlapping)
                {
                    if (all.Exists(x => x.Clock < clock + length && clock < x.End)) continue;
                }
                intervals.Add(clock, length, all.Count, 0, true);
                all.Add(new Interval(clock, clock + length, all.Count, 0, true));
            }
            // random clocks, and runs of clocks in order as diffs and blame look them up
            var clocks = Enumerable.Range(0, 400).Select(_ => (uint)random.Next(0, 5500)).ToList();
            var from = (uint)random.Next(0, 4000);
            clocks.AddRange(Enumerable.Range(0, 1500).Select(i => from + (uint)i));
            foreach (var clock in clocks)
            {
                var holding = all.Where(x => x.Clock <= clock && clock < x.End).OrderBy(x => x.Clock).ToList();
                Assert.Equal(holding.Count > 0 ? holding[0] : null, intervals.Find(clock));
                intervals.Candidates(clock, out var first, out var limit);
                var found = Enumerable.Range(first, limit - first).Select(k => intervals[k]).Where(x => x.End > clock).ToList();
                Assert.Equal(holding, found);
            }
        }
    }

    [Fact]
    public async Task diffs_between_positions_of_a_real_trace_rebuild_both_versions_and_credit_each_unit_to_its_event()
    {
        // the first 3,000 transactions of automerge-paper, a new author every 250 events, a snapshot every 500
        var txns = ContentTests.LoadTrace("automerge-paper").Take(3000).ToList();
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 9 });
        var text = typist.GetText("text");
        var texts = new List<string> { "" };
        var batch = new List<NewEvent>();
        foreach (var patches in txns)
        {
            var update = TextEdits.Capture(typist, () =>
            {
                foreach (var (pos, del, ins) in patches)
                {
                    if (del > 0) text.Delete(pos, del);
                    if (ins.Length > 0) text.Insert(pos, ins);
                }
            });
            batch.Add(new NewEvent(EventKind.Update, update, "author-" + (texts.Count / 250)) { ClientIds = [9] });
            texts.Add(text.ToString());
            if ((texts.Count - 1) % 500 == 0)
            {
                await _f.B.Store.AppendAsync(main, batch);
                batch.Clear();
                await _f.B.Store.PutSnapshotAsync(main, new EventSeq(texts.Count - 1), typist.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
            }
        }
        if (batch.Count > 0) await _f.B.Store.AppendAsync(main, batch);
        var head = texts.Count - 1;

        var random = new Random(7);
        var pairs = Enumerable.Range(0, 8).Select(_ => (random.Next(0, head + 1), random.Next(0, head + 1))).Select(p => (Math.Min(p.Item1, p.Item2), Math.Max(p.Item1, p.Item2))).ToList();
        pairs.Add((0, head));
        pairs.Add((head - 1, head));
        foreach (var (a, b) in pairs)
        {
            var diff = await _f.Diffs.CompareAsync(BranchingFixture.Doc, new PositionQuery("main", a), new PositionQuery("main", b), "aud", default);
            var segments = diff.Roots.SingleOrDefault(r => r.Name == "text")?.Segments ?? [];
            Assert.Equal(texts[a], string.Concat(segments.Where(s => s.Op is "equal" or "delete").Select(s => s.Content)));
            Assert.Equal(texts[b], string.Concat(segments.Where(s => s.Op is "equal" or "insert").Select(s => s.Content)));
            Assert.All(segments, s => Assert.Equal(s.Length, s.Content.Length));
            // joined as far as they go: neighbours always differ in what they say
            for (var i = 1; i < segments.Count; i++)
            {
                Assert.False(segments[i].Op == segments[i - 1].Op && segments[i].InsertedBy == segments[i - 1].InsertedBy && segments[i].DeletedBy == segments[i - 1].DeletedBy, $"segments {i - 1} and {i} of {a}..{b} say the same");
            }

            // every inserted unit is credited to the event blame names for it at the head, inserted after the base
            var blame = await _f.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main", b), "text", "aud", default);
            var credited = blame.Roots.SingleOrDefault()?.Ranges.SelectMany(r => Enumerable.Repeat(r.InsertedBy!.Seq, r.Length)).ToList() ?? [];
            var at = 0;
            foreach (var s in segments.Where(s => s.Op is "equal" or "insert"))
            {
                if (s.Op == "insert")
                {
                    Assert.All(credited.GetRange(at, s.Length), seq => Assert.Equal(s.InsertedBy!.Seq, seq));
                    Assert.InRange(s.InsertedBy!.Seq, a + 1, b);
                }
                at += s.Length;
            }
            // every deleted unit was deleted after the base, by the head
            Assert.All(segments.Where(s => s.Op == "delete"), s => Assert.InRange(s.DeletedBy!.Seq, a + 1, b));
        }
    }

    [Fact]
    public void plain_text_renders_the_delta_that_to_delta_gives()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 4 });
        var text = doc.GetText("text");
        string Slow() => JsJson.Stringify(text.ToDelta().Select(op => op.ToJson()).ToList())!;
        Assert.Equal(Slow(), DocumentRender.Render(doc, "text", RootKind.Text).DeltaJson);
        text.Insert(0, "line \"one\"\n\ttab é 😀");
        text.Insert(3, "XY");
        text.Delete(1, 2);
        Assert.Equal(Slow(), DocumentRender.Render(doc, "text", RootKind.Text).DeltaJson);
        // a format that is deleted again leaves the text plain; one that stays does not (the delta has attributes)
        text.Format(0, 3, new Dictionary<string, object?> { ["bold"] = true });
        Assert.Equal(Slow(), DocumentRender.Render(doc, "text", RootKind.Text).DeltaJson);
        Assert.Contains("bold", DocumentRender.Render(doc, "text", RootKind.Text).DeltaJson, StringComparison.Ordinal);
        text.Delete(0, text.Length);
        Assert.Equal(Slow(), DocumentRender.Render(doc, "text", RootKind.Text).DeltaJson);
        Assert.Equal("[]", DocumentRender.Render(doc, "text", RootKind.Text).DeltaJson);
    }

    [Fact]
    public async Task the_text_of_one_root_is_what_the_whole_version_shows_for_it()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        await _f.B.SendAsync("main", "c5", TextEdits.Capture(doc, () =>
        {
            doc.GetText("text").Insert(0, "bold plain");
            doc.GetText("text").Format(0, 4, new Dictionary<string, object?> { ["bold"] = true });
            doc.GetMap("meta").Set("title", "Report");
            doc.GetArray("tags").Insert(0, ["a", "b"]);
            var p = new YXmlElement("p");
            doc.GetXmlFragment("prose").Insert(0, p);
            p.Insert(0, new YXmlText("hi"));
        }), "alice");
        var whole = await _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main"), "vic", default);
        foreach (var root in whole.Roots)
        {
            var one = await _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery("main"), root.Name, "vic", default);
            Assert.Equal(root.Text ?? root.Xml ?? root.Value!.Value.GetRawText(), one.Text);
        }
        Assert.Equal("bold plain", (await _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "vic", default)).Text);
        Assert.Equal(CollabErrorCode.NotFound, (await Assert.ThrowsAsync<CollabException>(() => _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery("main"), "nope", "vic", default))).Code);
    }
}
