using System.Text;
using Collab.Crdt.Document;
using Collab.Documents.History;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

public sealed class DocumentReplayerTests : IAsyncLifetime
{
    private BranchingFixture _f = null!;

    public async Task InitializeAsync() => _f = await BranchingFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private async Task WriteAsync(params byte[][] updates)
    {
        var main = BranchingFixture.Ref("main");
        foreach (var update in updates)
        {
            _f.Time.Now += TimeSpan.FromSeconds(10);
            await _f.Store.AppendAsync(main, new NewEvent(EventKind.Update, update, "alice"));
        }
    }

    [Fact]
    public async Task the_document_at_a_middle_seq_equals_the_events_up_to_it_with_or_without_a_snapshot()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        await WriteAsync(TextEdits.Append(doc, "one "), TextEdits.Append(doc, "two "), TextEdits.Append(doc, "three "), TextEdits.Append(doc, "four"));
        var main = BranchingFixture.Ref("main");
        var replayer = new DocumentReplayer(_f.Store);

        var plain = await replayer.BuildAsync(main, new EventSeq(3), gc: true, default);
        Assert.Equal("one two three ", plain.Doc.GetText("text").ToString());
        Assert.Equal(3, plain.Replayed);

        var atTwo = await replayer.BuildAsync(main, new EventSeq(2), gc: true, default);
        await _f.Store.PutSnapshotAsync(main, new EventSeq(2), atTwo.Doc.EncodeStateAsUpdate(), DocumentReplayer.SnapshotFormat);
        var fromSnapshot = await replayer.BuildAsync(main, new EventSeq(3), gc: true, default);
        Assert.Equal(2, fromSnapshot.SnapshotSeq.Value);
        Assert.Equal(1, fromSnapshot.Replayed);
        Assert.Equal("one two three ", fromSnapshot.Doc.GetText("text").ToString());

        // Without garbage collection the snapshot is not used: the replay starts at event 1.
        var full = await replayer.BuildAsync(main, null, gc: false, default);
        Assert.Equal(0, full.SnapshotSeq.Value);
        Assert.Equal(4, full.Replayed);
        Assert.Equal("one two three four", full.Doc.GetText("text").ToString());
    }

    [Fact]
    public async Task without_garbage_collection_deleted_content_is_still_there()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        await WriteAsync(TextEdits.Append(doc, "keep SECRET"), TextEdits.Capture(doc, () => doc.GetText("text").Delete(4, 7)));
        var replayer = new DocumentReplayer(_f.Store);
        var main = BranchingFixture.Ref("main");

        var collected = await replayer.BuildAsync(main, null, gc: true, default);
        var kept = await replayer.BuildAsync(main, null, gc: false, default);
        Assert.Equal("keep", collected.Doc.GetText("text").ToString());
        Assert.Equal("keep", kept.Doc.GetText("text").ToString());
        Assert.DoesNotContain("SECRET", Encoding.UTF8.GetString(collected.Doc.EncodeStateAsUpdate()), StringComparison.Ordinal);
        Assert.Contains("SECRET", Encoding.UTF8.GetString(kept.Doc.EncodeStateAsUpdate()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_fork_replays_its_ancestry_up_to_the_fork_point_then_its_own_events()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        await WriteAsync(TextEdits.Append(doc, "a"), TextEdits.Append(doc, "b"), TextEdits.Append(doc, "c"));
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "side", "main", 2, null, "alice", default);
        var side = new YDoc(new YDocOptions { ClientId = 2 });
        side.ApplyUpdate((await new DocumentReplayer(_f.Store).BuildAsync(BranchingFixture.Ref("side"), null, gc: true, default)).Doc.EncodeStateAsUpdate());
        await _f.Store.AppendAsync(BranchingFixture.Ref("side"), new NewEvent(EventKind.Update, TextEdits.Append(side, "X"), "alice"));

        var built = await new DocumentReplayer(_f.Store).BuildAsync(BranchingFixture.Ref("side"), null, gc: false, default);
        Assert.Equal("abX", built.Doc.GetText("text").ToString());
        Assert.Equal(3, built.Seq.Value);
    }

    [Fact]
    public async Task a_full_state_built_once_is_reused_by_later_builds_of_the_branch_and_of_forks_after_it()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        var main = BranchingFixture.Ref("main");
        var count = FullStateCacheMin + 10;
        for (var i = 0; i < count; i++) await WriteAsync(i % 3 == 2 ? TextEdits.Capture(doc, () => doc.GetText("text").Delete(0, 1)) : TextEdits.Append(doc, ((char)('a' + (i % 26))).ToString()));
        var replayer = new DocumentReplayer(_f.Store);

        var first = await replayer.BuildAsync(main, null, gc: false, default);
        Assert.Equal(0, first.SnapshotSeq.Value);
        Assert.Equal(count, first.Replayed);

        await WriteAsync(TextEdits.Append(doc, "!"));
        var later = await new DocumentReplayer(_f.Store).BuildAsync(main, null, gc: false, default); // another replayer, same store
        Assert.Equal(count, later.SnapshotSeq.Value);
        Assert.Equal(1, later.Replayed);
        Assert.Equal(doc.GetText("text").ToString(), later.Doc.GetText("text").ToString());
        var replay = new YDoc(new YDocOptions { Gc = false });
        await foreach (var e in _f.Store.ReadAsync(main, new EventSeq(1), EventSeq.MaxValue)) replay.ApplyUpdate(e.Payload.ToArray());
        Assert.Equal(replay.EncodeStateAsUpdate(), later.Doc.EncodeStateAsUpdate()); // deleted content included, as a full replay has it

        // A fork after the kept position starts from it; a position before it cannot, and replays from seq 1.
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "after", "main", count + 1, null, "alice", default);
        var fork = await replayer.BuildAsync(BranchingFixture.Ref("after"), null, gc: false, default);
        Assert.Equal(count, fork.SnapshotSeq.Value);
        Assert.Equal(1, fork.Replayed);
        var early = await replayer.BuildAsync(main, new EventSeq(5), gc: false, default);
        Assert.Equal(0, early.SnapshotSeq.Value);
        Assert.Equal(5, early.Replayed);
    }

    private const int FullStateCacheMin = 64; // FullStateCache.MinReplayedToKeep (internal)

    [Fact]
    public async Task a_time_maps_to_the_last_event_at_or_before_it()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        var start = _f.Time.Now;
        await WriteAsync(TextEdits.Append(doc, "a"), TextEdits.Append(doc, "b"), TextEdits.Append(doc, "c"), TextEdits.Append(doc, "d"), TextEdits.Append(doc, "e"));
        var replayer = new DocumentReplayer(_f.Store);
        var main = BranchingFixture.Ref("main");
        // Events are at start + 10 s, + 20 s … + 50 s.
        Assert.Equal(0, (await replayer.SeqAtTimeAsync(main, start, default)).Value);
        Assert.Equal(1, (await replayer.SeqAtTimeAsync(main, start.AddSeconds(10), default)).Value);
        Assert.Equal(3, (await replayer.SeqAtTimeAsync(main, start.AddSeconds(39), default)).Value);
        Assert.Equal(5, (await replayer.SeqAtTimeAsync(main, start.AddHours(1), default)).Value);
    }
}
