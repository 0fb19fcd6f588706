using System.IO.Compression;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.History;

public sealed class ContentTests : IAsyncLifetime
{
    private HistoryFixture _f = null!;

    public async Task InitializeAsync() => _f = await HistoryFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task content_at_every_1000th_seq_of_a_real_trace_equals_the_trace_replayed_to_that_point()
    {
        // friendsforever_flat: 26,078 transactions, one event each; a snapshot every 1,000 events as sessions leave them
        var txns = LoadTrace("friendsforever_flat");
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 7 });
        var text = typist.GetText("text");
        var expected = new Dictionary<long, string>();
        var batch = new List<NewEvent>();
        long seq = 0;
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
            batch.Add(new NewEvent(EventKind.Update, update, "trace") { ClientIds = [7] });
            seq++;
            if (seq % 1000 == 0)
            {
                await _f.B.Store.AppendAsync(main, batch);
                batch.Clear();
                expected[seq] = text.ToString();
                await _f.B.Store.PutSnapshotAsync(main, new EventSeq(seq), typist.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
            }
        }
        await _f.B.Store.AppendAsync(main, batch);
        expected[seq] = text.ToString();
        // a position between snapshots too: snapshot + events
        var replica = new YDoc();
        await foreach (var e in _f.B.Store.ReadAsync(main, new EventSeq(1), new EventSeq(seq - 1))) replica.ApplyUpdate(e.Payload.ToArray());
        expected[seq - 1] = replica.GetText("text").ToString();

        foreach (var (at, want) in expected)
        {
            var content = await _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main", at), "vic", default);
            Assert.Equal(at, content.Position.Seq);
            var root = Assert.Single(content.Roots);
            Assert.Equal(("text", "text"), (root.Name, root.Kind));
            Assert.Equal(want, root.Text);
        }
        var between = await _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main", 25999), "vic", default);
        Assert.Equal((25000L, 999), (between.SnapshotSeq, between.Replayed));

        // the update form loads into a client as the same text
        var (position, bytes) = await _f.Content.GetUpdateAsync(BranchingFixture.Doc, new PositionQuery("main", 13000), "vic", default);
        var client = new YDoc();
        client.ApplyUpdate(bytes);
        Assert.Equal(13000, position.Seq);
        Assert.Equal(expected[13000], client.GetText("text").ToString());
    }

    [Fact]
    public async Task every_root_is_rendered_text_with_formats_map_array_and_xml()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var update = TextEdits.Capture(doc, () =>
        {
            doc.GetText("text").Insert(0, "bold plain");
            doc.GetText("text").Format(0, 4, new Dictionary<string, object?> { ["bold"] = true });
            doc.GetMap("meta").Set("title", "Report");
            doc.GetMap("meta").Set("pages", 3.0);
            doc.GetArray("tags").Insert(0, ["a", "b"]);
            var p = new Collab.Crdt.Types.YXmlElement("p");
            doc.GetXmlFragment("prose").Insert(0, p);
            p.Insert(0, new Collab.Crdt.Types.YXmlText("hi <you>"));
        });
        await _f.B.SendAsync("main", "c5", update, "alice");

        var content = await _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main"), "vic", default);
        var roots = content.Roots.ToDictionary(r => r.Name);
        Assert.Equal(["meta", "prose", "tags", "text"], roots.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("bold plain", roots["text"].Text);
        Assert.Equal("""[{"insert":"bold","attributes":{"bold":true}},{"insert":" plain"}]""", roots["text"].Delta!.Value.GetRawText());
        Assert.Equal("map", roots["meta"].Kind);
        Assert.Equal("""{"pages":3,"title":"Report"}""", JsonSerializer.Serialize(roots["meta"].Value!.Value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).ToDictionary(p => p.Name, p => p.Value)));
        Assert.Equal("""["a","b"]""", roots["tags"].Value!.Value.GetRawText());
        Assert.Equal("<p>hi <you></p>", roots["prose"].Xml); // as yjs's toString() prints it: text is not escaped
        Assert.Equal("xml", roots["prose"].Kind);
    }

    [Fact]
    public async Task a_position_can_be_a_time_or_a_version_name_and_bad_positions_are_refused()
    {
        await _f.WriteStoryAsync();
        var atTime = await _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery("main", At: HistoryFixture.Start.AddMinutes(1.5)), "text", "vic", default);
        Assert.Equal((2L, "The cat sat. It purred."), (atTime.Position.Seq, atTime.Text));

        await _f.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("First draft", "main", 1), "erin", default);
        var byName = await _f.Content.GetTextAsync(BranchingFixture.Doc, new PositionQuery(Version: "First draft"), "text", "vic", default);
        Assert.Equal((1L, "First draft", "The cat sat."), (byName.Position.Seq, byName.Position.Version, byName.Text));

        var empty = await _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main", 0), "vic", default);
        Assert.Empty(empty.Roots);

        Assert.Equal(CollabErrorCode.Invalid, (await Assert.ThrowsAsync<CollabException>(() => _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main", 6), "vic", default))).Code);
        Assert.Equal(CollabErrorCode.Invalid, (await Assert.ThrowsAsync<CollabException>(() => _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main", -1), "vic", default))).Code);
        Assert.Equal(CollabErrorCode.NotFound, (await Assert.ThrowsAsync<CollabException>(() => _f.Content.GetAsync("missing", new PositionQuery("main"), "vic", default))).Code);
        Assert.Equal(CollabErrorCode.NotFound, (await Assert.ThrowsAsync<CollabException>(() => _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery(Version: "nope"), "vic", default))).Code);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => _f.Content.GetAsync(BranchingFixture.Doc, new PositionQuery("main"), "mallory", default))).Code);
    }

    /// <summary>The patches of each transaction of a trace in shared/data/editing-traces (format in its README).</summary>
    internal static List<(int Pos, int Del, string Ins)[]> LoadTrace(string name)
    {
        string? path = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && path is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "editing-traces", name + ".json.gz");
            if (File.Exists(candidate)) path = candidate;
        }
        Assert.True(path is not null, $"{name}.json.gz not found above {AppContext.BaseDirectory}");
        using var gz = new GZipStream(File.OpenRead(path!), CompressionMode.Decompress);
        using var json = JsonDocument.Parse(gz);
        var result = new List<(int, int, string)[]>();
        foreach (var txn in json.RootElement.GetProperty("txns").EnumerateArray())
        {
            result.Add(txn.GetProperty("patches").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32(), p[2].GetString()!)).ToArray());
        }
        return result;
    }
}
