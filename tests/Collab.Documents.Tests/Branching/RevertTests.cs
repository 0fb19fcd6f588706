using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.EventStore;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Tests.Branching;

public sealed class RevertTests : IAsyncLifetime
{
    private BranchingFixture _f = null!;
    private RevertService _reverts = null!;

    public async Task InitializeAsync()
    {
        _f = await BranchingFixture.CreateAsync();
        _reverts = new RevertService(_f.Store, _f.Catalog, _f.Sessions, new DecisionGate(), Options.Create(new MergeOptions()));
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static BranchRef Main => BranchingFixture.Ref("main");

    private async Task<long> HeadAsync() => (await _f.Store.GetHeadAsync(Main)).Seq.Value;

    /// <summary>main "The cat sat." + ">> " after the fork; feature appends " It purred." and deletes "cat "; merged into main.</summary>
    private async Task<string> MergedAsync()
    {
        var ours = new YDoc(new YDocOptions { ClientId = 1 });
        var first = TextEdits.Append(ours, "The cat sat.");
        await _f.SendAsync("main", "c1", first);
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "feature", "main", null, null, "alice", default);
        await _f.SendAsync("main", "c1", TextEdits.Capture(ours, () => ours.GetText("text").Insert(0, ">> ")));
        var theirs = new YDoc(new YDocOptions { ClientId = 2 });
        theirs.ApplyUpdate(first);
        await _f.SendAsync("feature", "c2", TextEdits.Append(theirs, " It purred."));
        await _f.SendAsync("feature", "c2", TextEdits.Capture(theirs, () => theirs.GetText("text").Delete(4, 4)));
        Assert.Equal("The sat. It purred.", await _f.LiveTextAsync("feature"));
        var merge = await _f.Merges.MergeAsync(BranchingFixture.Doc, new MergeRequest("feature", "main", false, null, null), "alice", default);
        Assert.Equal(">> The sat. It purred.", await _f.LiveTextAsync("main"));
        return merge.MergeId!;
    }

    [Fact]
    public async Task reverting_a_merge_restores_the_pre_merge_content_and_reverting_the_revert_restores_the_merge()
    {
        var mergeId = await MergedAsync();
        // Typing after the merge is kept by both reverts.
        var typist = new YDoc(new YDocOptions { ClientId = 3 });
        typist.ApplyUpdate(await LogStateAsync());
        await _f.SendAsync("main", "c1", TextEdits.Append(typist, "!"));

        var revert = await _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest(null, mergeId, null, null, "too early"), "alice", default);

        Assert.False(revert.NothingToRevert);
        Assert.Equal(await HeadAsync(), revert.Seq);
        Assert.Equal(mergeId, revert.Merge);
        Assert.Null(revert.Reverts);
        Assert.Equal(">> The cat sat.!", await _f.LiveTextAsync("main"));
        Assert.Equal(">> The cat sat.!", await _f.LogTextAsync("main"));
        var stored = Assert.Single(await _f.Store.ReadPageAsync(Main, new EventSeq(revert.Seq!.Value), 1));
        Assert.Equal(EventKind.Revert, stored.Kind);
        Assert.Equal("alice", stored.Author);
        Assert.Equal(EventRecordKind.Domain, stored.RecordKind);
        Assert.Equal("revert", stored.Record!.Type);
        var seqOfMerge = long.Parse(mergeId.Split('@')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["actor"] = "alice", ["branch"] = "main", ["fromSeq"] = $"{seqOfMerge - 1}", ["toSeq"] = $"{seqOfMerge}", ["merge"] = mergeId, ["message"] = "too early",
            },
            stored.Record.Fields);

        // Reverting the revert restores the merge (and keeps the typing).
        var again = await _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, revert.Seq - 1, revert.Seq, null), "alice", default);
        Assert.Equal(revert.RevertId, again.Reverts);
        Assert.Equal(">> The sat. It purred.!", await _f.LiveTextAsync("main"));
        Assert.Equal(">> The sat. It purred.!", await _f.LogTextAsync("main"));
        Assert.True((await _f.Store.VerifyAsync(Main)).IsValid);

        var listed = await _reverts.ListAsync(BranchingFixture.Doc, null, "vic", default);
        Assert.Equal([revert.RevertId, again.RevertId], listed.Select(r => r.Id));
        Assert.Equal((mergeId, (string?)null, "too early"), (listed[0].Merge, listed[0].Reverts, listed[0].Message));
        Assert.Equal(revert.RevertId, listed[1].Reverts);
        Assert.Equal(stored.Hash.ToString(), listed[0].EventHash);
    }

    [Fact]
    public async Task a_range_is_undone_and_later_edits_are_kept_and_nothing_to_undo_writes_nothing()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(doc, "one "));
        await _f.SendAsync("main", "c1", TextEdits.Append(doc, "two "));
        await _f.SendAsync("main", "c1", TextEdits.Capture(doc, () => doc.GetText("text").Delete(0, 4)));
        await _f.SendAsync("main", "c1", TextEdits.Append(doc, "three"));
        Assert.Equal("two three", await _f.LiveTextAsync("main"));

        var revert = await _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, 1, 3, null), "alice", default);
        Assert.Equal("one three", await _f.LiveTextAsync("main"));
        Assert.Null(revert.Merge);
        Assert.Equal((1L, 3L), (revert.FromSeq, revert.ToSeq));

        // The same range again is refused (it would bring "one " back twice), naming the revert that undid it.
        var head = await HeadAsync();
        var twice = await Assert.ThrowsAsync<CollabException>(() => _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, 1, 3, null), "alice", default));
        Assert.Equal(CollabErrorCode.Conflict, twice.Code);
        Assert.Contains($"already reverted by {revert.RevertId}", twice.Message, StringComparison.Ordinal);

        // A range whose changes are gone already (an insert deleted later): nothing to undo, nothing written.
        await _f.SendAsync("main", "c1", TextEdits.Append(doc, "X"));
        await _f.SendAsync("main", "c1", TextEdits.Capture(doc, () => doc.GetText("text").Delete(doc.GetText("text").Length - 1, 1)));
        head = await HeadAsync();
        var nothing = await _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, head - 2, head - 1, null), "alice", default);
        Assert.True(nothing.NothingToRevert);
        Assert.Null(nothing.RevertId);
        Assert.Equal(head, await HeadAsync());
        Assert.Equal("one three", await _f.LogTextAsync("main"));

        // toSeq defaults to the head.
        await _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, 0, null, null), "alice", default);
        Assert.Equal("", await _f.LiveTextAsync("main"));
    }

    [Fact]
    public async Task a_branch_forked_after_a_merge_can_revert_it_on_itself_and_main_keeps_it()
    {
        var mergeId = await MergedAsync();
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "later", "main", null, null, "alice", default);

        var revert = await _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("later", mergeId, null, null, null), "alice", default);

        Assert.Equal("later", revert.Branch);
        Assert.Equal(mergeId, revert.Merge);
        Assert.Equal(">> The cat sat.", await _f.LiveTextAsync("later"));
        Assert.Equal(">> The sat. It purred.", await _f.LiveTextAsync("main"));
        Assert.Equal([revert.RevertId], (await _reverts.ListAsync(BranchingFixture.Doc, "later", "alice", default)).Select(r => r.Id));
        Assert.Empty(await _reverts.ListAsync(BranchingFixture.Doc, "main", "alice", default));
    }

    [Fact]
    public async Task refusals_change_nothing()
    {
        var mergeId = await MergedAsync();
        var head = await HeadAsync();

        var editor = await Assert.ThrowsAsync<CollabException>(() => _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest(null, mergeId, null, null, null), "erin", default));
        Assert.Equal(CollabErrorCode.Forbidden, editor.Code);
        var noMerge = await Assert.ThrowsAsync<CollabException>(() => _reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest(null, "main@1", null, null, null), "alice", default));
        Assert.Equal(CollabErrorCode.NotFound, noMerge.Code);
        foreach (var bad in new[]
        {
            new RevertRequest("main", null, null, null, null),
            new RevertRequest(null, null, 0, 1, null),
            new RevertRequest("main", null, 2, 2, null),
            new RevertRequest("main", null, 0, head + 1, null),
            new RevertRequest("main", mergeId, 0, 1, null),
            new RevertRequest("feature", mergeId, null, null, null),
        })
        {
            var error = await Assert.ThrowsAsync<CollabException>(() => _reverts.RevertAsync(BranchingFixture.Doc, bad, "alice", default));
            Assert.Equal(CollabErrorCode.Invalid, error.Code);
        }

        Assert.Equal(head, await HeadAsync());
        Assert.Equal(">> The sat. It purred.", await _f.LiveTextAsync("main"));
        Assert.Empty(await _reverts.ListAsync(BranchingFixture.Doc, "main", "alice", default));
    }

    private async Task<byte[]> LogStateAsync()
    {
        var doc = new YDoc();
        await foreach (var e in _f.Store.ReadAsync(Main, new EventSeq(1), EventSeq.MaxValue)) doc.ApplyUpdate(e.Payload.ToArray());
        return doc.EncodeStateAsUpdate();
    }
}
