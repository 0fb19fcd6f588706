using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Collab.Crdt.Document;
using Collab.Crdt.History;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.History;

/// <summary>
/// Diffs kept compact (a struct per segment, content as a slice of the run's text, lookups walked along each run) give
/// exactly the answer of the plain path they replaced (a <see cref="DiffSegment"/> per segment, a lookup per segment):
/// the same JSON, byte for byte, under the server's options and others, and the same unified diff.
/// </summary>
public sealed class DiffCompactTests : IAsyncLifetime
{
    private HistoryFixture _f = null!;

    public async Task InitializeAsync() => _f = await HistoryFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    /// <summary>The server's (ASP.NET's web defaults), the CLI's (indented, relaxed escaping), the serializer's defaults, and nulls left out.</summary>
    private static readonly JsonSerializerOptions[] s_options =
    [
        new(JsonSerializerDefaults.Web),
        new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping },
        new(),
        new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull },
    ];

    [Fact]
    public async Task random_diffs_of_a_real_trace_give_the_json_and_the_unified_diff_of_the_plain_path()
    {
        // the first 4,000 transactions of automerge-paper, a new author every 150 events, a snapshot every 500
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 9 });
        var text = typist.GetText("text");
        var batch = new List<NewEvent>();
        var seq = 0;
        foreach (var patches in ContentTests.LoadTrace("automerge-paper").Take(4000))
        {
            var update = TextEdits.Capture(typist, () =>
            {
                foreach (var (pos, del, ins) in patches)
                {
                    if (del > 0) text.Delete(pos, del);
                    if (ins.Length > 0) text.Insert(pos, ins);
                }
            });
            batch.Add(new NewEvent(EventKind.Update, update, "author-" + (seq / 150)) { ClientIds = [9] });
            if (++seq % 500 == 0)
            {
                await _f.B.Store.AppendAsync(main, batch);
                batch.Clear();
                await _f.B.Store.PutSnapshotAsync(main, new EventSeq(seq), typist.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
            }
        }
        if (batch.Count > 0) await _f.B.Store.AppendAsync(main, batch);

        var random = new Random(11);
        var pairs = Enumerable.Range(0, 12).Select(_ => (random.Next(0, seq + 1), random.Next(0, seq + 1))).Select(p => (Math.Min(p.Item1, p.Item2), Math.Max(p.Item1, p.Item2))).ToList();
        pairs.AddRange([(0, seq), (seq - 1, seq), (seq, seq), (1200, 3900), (seq, 0)]);
        var segments = 0;
        foreach (var (a, b) in pairs)
        {
            segments += await AssertSameAsPlainPathAsync($"main@{a}", $"main@{b}");
        }
        Assert.True(segments > 10_000, $"only {segments} segments compared");
    }

    [Fact]
    public async Task diffs_across_a_fork_and_a_merge_give_the_plain_paths_answer()
    {
        await _f.WriteStoryAsync();
        foreach (var (from, to) in new[] { ("main@2", "main@4"), ("main@3", "feature"), ("feature", "main@3"), ("main@1", "main"), ("main@0", "feature"), ("main@4", "main") })
        {
            await AssertSameAsPlainPathAsync(from, to);
        }
    }

    [Fact]
    public async Task maps_arrays_xml_embeds_formats_and_nested_types_give_the_plain_paths_answer()
    {
        var alice = new YDoc(new YDocOptions { ClientId = 21 });
        var erin = new YDoc(new YDocOptions { ClientId = 22 });
        async Task Send(YDoc doc, string author, Action edit)
        {
            var update = TextEdits.Capture(doc, edit);
            await _f.B.SendAsync("main", author, update, author);
            (doc == alice ? erin : alice).ApplyUpdate(update);
        }
        await Send(alice, "alice", () =>
        {
            alice.GetText("text").Insert(0, "Hello \"world\"\n\tline two é 😀\n");
            alice.GetText("text").Format(0, 5, new Dictionary<string, object?> { ["bold"] = true });
            alice.GetMap("meta").Set("title", "Draft");
            alice.GetMap("meta").Set("owner", "alice");
            alice.GetArray("tags").Insert(0, "red", "green", 3.0, true);
            var p = new YXmlElement("p");
            alice.GetXmlFragment("prose").Insert(0, p);
            p.Insert(0, new YXmlText("hi"));
        });
        await Send(erin, "erin", () =>
        {
            erin.GetText("text").Insert(6, "big ");
            erin.GetText("text").InsertEmbed(3, new Dictionary<string, object?> { ["image"] = "a.png" });
            erin.GetText("text").Delete(0, 2);
            erin.GetMap("meta").Set("title", "Final");
            erin.GetMap("meta").Delete("owner");
            erin.GetMap("meta").Set("pages", 2.0);
            var nested = new YMap();
            erin.GetMap("meta").Set("nested", nested);
            nested.Set("k", "v");
            erin.GetArray("tags").Insert(1, "blue", "cyan");
            erin.GetArray("tags").Delete(0, 1);
            erin.GetXmlFragment("prose").Insert(1, new YXmlElement("h1"));
        });
        await Send(alice, "alice", () =>
        {
            alice.GetText("text").Delete(4, 6);
            alice.GetText("text").Insert(alice.GetText("text").Length, "end");
            alice.GetArray("tags").Delete(1, 2);
            alice.GetArray("tags").Insert(0, "first");
            ((YMap)alice.GetMap("meta").Get("nested")!).Set("k", "w");
            alice.GetXmlFragment("prose").Delete(0, 1);
        });
        await Send(erin, "erin", () =>
        {
            erin.GetText("text").Insert(1, "x");
            erin.GetArray("tags").Insert(2, "late");
        });
        for (var a = 0; a <= 4; a++)
        {
            for (var b = 0; b <= 4; b++)
            {
                await AssertSameAsPlainPathAsync($"main@{a}", $"main@{b}");
            }
        }
    }

    [Fact]
    public async Task the_compact_list_reads_like_a_list()
    {
        await _f.WriteStoryAsync();
        var diff = await _f.Diffs.CompareAsync(BranchingFixture.Doc, PositionQuery.Parse("main@2", "base"), PositionQuery.Parse("main", "head"), "aud", default);
        var segments = Assert.Single(diff.Roots).Segments;
        Assert.Equal(6, segments.Count);
        Assert.Equal(Enumerable.Range(0, segments.Count).Select(i => segments[i]), segments.ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => segments[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => segments[segments.Count]);
        // a segment read twice is equal (a new record each time, with the same content and the index's marks)
        Assert.Equal(segments[1], segments[1]);
        Assert.Same(segments[1].InsertedBy, segments[1].InsertedBy);
    }

    /// <summary>Compares the service's diff with the plain path's; returns how many segments it compared.</summary>
    private async Task<int> AssertSameAsPlainPathAsync(string from, string to)
    {
        var baseQuery = PositionQuery.Parse(from, "base");
        var headQuery = PositionQuery.Parse(to, "head");
        var compact = await _f.Diffs.CompareAsync(BranchingFixture.Doc, baseQuery, headQuery, "aud", default);
        var plain = await PlainPath.CompareAsync(_f.B.Store, _f.Index, BranchingFixture.Doc, baseQuery, headQuery);
        Assert.Equal(plain.Roots.Count, compact.Roots.Count);
        for (var r = 0; r < plain.Roots.Count; r++)
        {
            Assert.Equal(plain.Roots[r].Segments.Count, compact.Roots[r].Segments.Count);
            Assert.Equal(plain.Roots[r].Segments, compact.Roots[r].Segments); // record equality: op, content, key, marks
        }
        foreach (var options in s_options)
        {
            Assert.Equal(JsonSerializer.Serialize(plain, options), JsonSerializer.Serialize(compact, options));
        }
        Assert.Equal(UnifiedDiff.Format(plain), UnifiedDiff.Format(compact));
        Assert.Equal(UnifiedDiff.Format(plain), await _f.Diffs.UnifiedAsync(BranchingFixture.Doc, baseQuery, headQuery, "aud", default));
        return compact.Roots.Sum(r => r.Segments.Count);
    }

    /// <summary>The diff as it was computed before the compact form: the same versions and runs, one record and lookup per segment (DiffService as of main on 2026-12-07).</summary>
    private static class PlainPath
    {
        public static async Task<DiffResult> CompareAsync(IEventStore store, HistoryIndex index, string documentId, PositionQuery baseQuery, PositionQuery headQuery)
        {
            var replayer = new DocumentReplayer(store);
            using var lease = await index.OpenAsync(new DocumentId(documentId), default);
            var history = lease.History;
            var (baseRef, basePosition) = await HistoryPositions.ResolveAsync(history, replayer, documentId, baseQuery, default);
            var (headRef, headPosition) = await HistoryPositions.ResolveAsync(history, replayer, documentId, headQuery, default);
            var baseDoc = (await replayer.BuildAsync(baseRef, new EventSeq(basePosition.Seq), gc: true, default)).Doc;
            var headDoc = (await replayer.BuildAsync(headRef, new EventSeq(headPosition.Seq), gc: true, default)).Doc;
            var hints = HistoryPositions.Hints(history);
            var kinds = new SortedDictionary<string, RootKind>(StringComparer.Ordinal);
            foreach (var (name, kind) in DocumentRender.TypeRoots(baseDoc, hints)) kinds[name] = kind;
            foreach (var (name, kind) in DocumentRender.TypeRoots(headDoc, hints)) kinds[name] = kind;
            var roots = new List<RootDiff>();
            foreach (var (name, kind) in kinds)
            {
                if (baseDoc.GetRoot(name) is { } b && headDoc.GetRoot(name) is { } h && b.GetType() != h.GetType()) continue;
                roots.Add(Attribute(history, name, kind, ItemRuns.Diff(baseDoc, headDoc, name, kind), headPosition));
            }
            return new DiffResult(basePosition, headPosition, roots);
        }

        public static RootDiff Attribute(DocumentHistory history, string name, RootKind kind, IReadOnlyList<ItemRun> runs, PositionView head)
        {
            var headBranch = new BranchName(head.Branch);
            var segments = new SegmentList(kind);
            int inserted = 0, deleted = 0;
            foreach (var run in runs)
            {
                switch (run.Change)
                {
                    case RunChange.Unchanged:
                        segments.Add("equal", run.Length, run.Content, run.Key);
                        break;
                    case RunChange.Modified:
                        inserted += run.Length;
                        deleted += run.Length;
                        segments.Add("modify", run.Length, run.Content, run.Key, run.OldContent,
                            EventMark.Of(history.InsertedBy(run.Id)),
                            EventMark.Of(run.OldId is { } old ? history.DeletedBy(old, old.Clock + 1, headBranch, head.Seq).Event : null));
                        break;
                    default:
                        {
                            bool isInsert = run.Change == RunChange.Inserted;
                            if (isInsert) inserted += run.Length;
                            else deleted += run.Length;
                            // Text is appended to the segments straight from the run (no string per segment); other kinds by part.
                            bool plainText = kind == RootKind.Text && run.Content.Length == run.Length;
                            var parts = plainText ? default : Split(run.Content, run.Length, kind);
                            uint start = run.Id.Clock;
                            uint end = start + (uint)run.Length;
                            var originals = history.Originals.GetValueOrDefault(run.Id.Client);
                            var copies = history.Copies.GetValueOrDefault(run.Id.Client);
                            for (uint c = start; c < end;)
                            {
                                var id = new ItemId(run.Id.Client, c);
                                var (inserter, next) = history.Inserted(originals, copies, c, end);
                                EventInfo? deleter = null;
                                if (!isInsert)
                                {
                                    var (e, deleteEnd) = history.DeletedBy(id, end, headBranch, head.Seq);
                                    deleter = e;
                                    next = Math.Min(next, deleteEnd);
                                }
                                if (next <= c) next = c + 1;
                                if (plainText)
                                {
                                    segments.AddText(isInsert ? "insert" : "delete", run.Content, (int)(c - start), (int)(next - c), EventMark.Of(inserter), EventMark.Of(deleter));
                                }
                                else
                                {
                                    var content = parts.Slice((int)(c - start), (int)(next - c));
                                    segments.Add(isInsert ? "insert" : "delete", (int)(next - c), content, run.Key, null, EventMark.Of(inserter), EventMark.Of(deleter));
                                }
                                c = next;
                            }
                            break;
                        }
                }
            }
            return new RootDiff(name, HistoryPositions.KindName(kind), inserted, deleted, segments.Build());
        }

        /// <summary>
        /// Segments being built: a run joins the last segment when it says the same thing (same op and events). The last
        /// segment stays open (its parts in a builder) until one that does not join arrives, so joining allocates nothing.
        /// </summary>
        private sealed class SegmentList(RootKind kind)
        {
            private readonly List<DiffSegment> _items = [];
            private readonly StringBuilder _joined = new();

            // The open segment: its fields, and its content (in _joined once a second part joined, else _single).
            private bool _open;
            private string _op = "";
            private int _length;
            private string? _key;
            private string? _oldContent;
            private EventMark? _insertedBy;
            private EventMark? _deletedBy;
            private string? _single;
            private bool _isJoined;

            public void Add(string op, int length, string content, string? key, string? oldContent = null, EventMark? insertedBy = null, EventMark? deletedBy = null)
            {
                if (Joins(op, insertedBy, deletedBy))
                {
                    StartJoining();
                    AppendContent(content);
                    _length += length;
                    return;
                }
                Open(op, length, key, oldContent, insertedBy, deletedBy);
                _single = content;
            }

            /// <summary>Text units [<paramref name="offset"/>, + <paramref name="count"/>) of <paramref name="text"/>, as <see cref="Add"/> with that substring.</summary>
            public void AddText(string op, string text, int offset, int count, EventMark? insertedBy, EventMark? deletedBy)
            {
                if (Joins(op, insertedBy, deletedBy))
                {
                    StartJoining();
                    _joined.Append(text, offset, count);
                    _length += count;
                    return;
                }
                Open(op, count, null, null, insertedBy, deletedBy);
                _single = offset == 0 && count == text.Length ? text
                    : count == 1 && text[offset] < OneCharStrings.Length ? OneCharStrings[text[offset]]
                    : text.Substring(offset, count);
            }

            // Most segments of a diff across a typed history are one keystroke: one character, shared instead of allocated.
            private static readonly string[] OneCharStrings = [.. Enumerable.Range(0, 128).Select(static c => ((char)c).ToString())];

            public List<DiffSegment> Build()
            {
                Close();
                return _items;
            }

            private bool Joins(string op, EventMark? insertedBy, EventMark? deletedBy) =>
                _open && kind != RootKind.Map && op != "modify" && _op == op && _insertedBy == insertedBy && _deletedBy == deletedBy;

            private void Open(string op, int length, string? key, string? oldContent, EventMark? insertedBy, EventMark? deletedBy)
            {
                Close();
                _open = true;
                (_op, _length, _key, _oldContent, _insertedBy, _deletedBy) = (op, length, key, oldContent, insertedBy, deletedBy);
            }

            private void StartJoining()
            {
                if (_isJoined) return;
                _joined.Clear();
                AppendContent(_single!);
                _isJoined = true;
            }

            private void Close()
            {
                if (!_open) return;
                var content = _isJoined ? Finish() : _single!;
                _items.Add(new DiffSegment(_op, _length, content, _key, _oldContent, _insertedBy, _deletedBy));
                _open = false;
                _isJoined = false;
                _single = null;
            }

            /// <summary>Text and markup concatenate; arrays keep their elements without the brackets until the end.</summary>
            private void AppendContent(string content)
            {
                if (kind != RootKind.Array)
                {
                    _joined.Append(content);
                    return;
                }
                var inner = content.AsSpan(1, content.Length - 2);
                if (inner.Length == 0) return;
                if (_joined.Length > 0) _joined.Append(',');
                _joined.Append(inner);
            }

            private string Finish() => kind == RootKind.Array ? "[" + _joined + "]" : _joined.ToString();
        }

        private static RunParts Split(string content, int length, RootKind kind) => new(content, length, kind);

        /// <summary>Slices of a run's content by unit: characters of text, elements of an array; other kinds are one piece.</summary>
        private readonly struct RunParts
        {
            private readonly string _content;
            private readonly int _length;
            private readonly RootKind _kind;
            private readonly List<string>? _elements;

            public RunParts(string content, int length, RootKind kind)
            {
                _content = content;
                _length = length;
                _kind = kind;
                if (kind == RootKind.Array && length > 1)
                {
                    using var json = JsonDocument.Parse(content);
                    _elements = json.RootElement.EnumerateArray().Select(static e => e.GetRawText()).ToList();
                }
            }

            public string Slice(int offset, int count)
            {
                if (offset == 0 && count == _length) return _content;
                if (_kind == RootKind.Text && _content.Length == _length) return _content.Substring(offset, count);
                if (_elements is not null && offset + count <= _elements.Count) return "[" + string.Join(",", _elements.GetRange(offset, count)) + "]";
                return _content;
            }
        }
    }
}
