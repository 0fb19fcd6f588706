using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.EventStore;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Tests.Branching;

public sealed class ResolutionTests : IAsyncLifetime
{
    private BranchingFixture _f = null!;
    private ResolutionService _resolutions = null!;
    private YDoc _ours = null!;

    public async Task InitializeAsync()
    {
        _f = await BranchingFixture.CreateAsync();
        _resolutions = new ResolutionService(_f.Store, _f.Catalog, _f.Sessions, _f.Merges, new DecisionGate(), Options.Create(new MergeOptions()));
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static BranchRef Main => BranchingFixture.Ref("main");

    /// <summary>
    /// The spec's worked example: base "The cat sat.", ours (main, client 1) "dog", theirs (feature, client 2) "cow",
    /// merged into main as "The dogcow sat." (same-gap inserts ordered by client id). Returns the merge id and conflict.
    /// </summary>
    private async Task<(string MergeId, ConflictView Conflict)> DogCowAsync()
    {
        _ours = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(_ours, "The cat sat."));
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "feature", "main", null, null, "alice", default);
        await _f.SendAsync("main", "c1", TextEdits.Capture(_ours, () => Replace(_ours, 4, 3, "dog")));
        var theirs = new YDoc(new YDocOptions { ClientId = 2 });
        theirs.ApplyUpdate(await LogStateAsync("feature"));
        await _f.SendAsync("feature", "c2", TextEdits.Capture(theirs, () => Replace(theirs, 4, 3, "cow")));

        var merge = await _f.Merges.MergeAsync(BranchingFixture.Doc, new MergeRequest("feature", "main", false, "dogs and cows", null), "alice", default);
        Assert.Equal("The dogcow sat.", await _f.LiveTextAsync("main"));
        var conflict = Assert.Single(merge.Conflicts);
        Assert.Equal(("sequence-overlap", "cat", "dog", "cow", "dogcow"), (conflict.Kind, conflict.Base, conflict.Ours, conflict.Theirs, conflict.Merged));
        return (merge.MergeId!, conflict);
    }

    private static void Replace(YDoc doc, int index, int length, string text)
    {
        doc.GetText("text").Delete(index, length);
        doc.GetText("text").Insert(index, text);
    }

    private async Task<byte[]> LogStateAsync(string branch)
    {
        var doc = new YDoc();
        await foreach (var e in _f.Store.ReadAsync(BranchingFixture.Ref(branch), new EventSeq(1), EventSeq.MaxValue)) doc.ApplyUpdate(e.Payload.ToArray());
        return doc.EncodeStateAsUpdate();
    }

    private static ResolveRequest Decide(string conflictId, string choice, string? content = null, string? message = null) =>
        new([new DecisionRequest(conflictId, choice, content)], message);

    [Theory]
    [InlineData("theirs", null, "The cow sat.", true)]
    [InlineData("ours", null, "The dog sat.", true)]
    [InlineData("custom", "bird", "The bird sat.", true)]
    [InlineData("merged", null, "The dogcow sat.", false)]
    public async Task each_choice_writes_one_resolution_event_with_the_expected_content(string choice, string? content, string expected, bool changes)
    {
        var (mergeId, conflict) = await DogCowAsync();
        var headBefore = (await _f.Store.GetHeadAsync(Main)).Seq.Value;

        var result = await _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, choice, content, "settled"), "alice", default);

        Assert.Equal(headBefore + 1, result.Seq);
        Assert.Equal($"main@{headBefore + 1}", result.ResolutionId);
        Assert.Equal(mergeId, result.MergeId);
        Assert.Equal(changes, result.ContentChanged);
        Assert.Equal(expected, await _f.LiveTextAsync("main"));
        Assert.Equal(expected, await _f.LogTextAsync("main"));

        // One event, kind resolution, authored by the decider, carrying the record (even when it changes nothing).
        var stored = Assert.Single(await _f.Store.ReadPageAsync(Main, new EventSeq(headBefore + 1), 10));
        Assert.Equal(EventKind.Resolution, stored.Kind);
        Assert.Equal("alice", stored.Author);
        Assert.Equal(EventRecordKind.Resolution, stored.RecordKind);
        var record = Assert.Single(await _f.Store.ListResolutionsAsync(new EventRef(Main, new EventSeq(result.Seq - 1))));
        var decision = Assert.Single(record.Decisions);
        Assert.Equal((conflict.Id, choice), (decision.ConflictId, decision.Choice));
        Assert.Equal(choice == "custom" ? content : null, decision.CustomText);
        Assert.Equal("alice", decision.Properties["actor"]);
        Assert.Equal("dogcow", decision.Properties["replaced"]);
        Assert.Equal("false", decision.Properties["regionChanged"]);
        Assert.Equal("settled", decision.Properties["message"]);
        Assert.True((await _f.Store.VerifyAsync(Main)).IsValid);

        // The merge record shows the decision; the conflict is no longer open.
        var view = await _f.Merges.GetAsync(BranchingFixture.Doc, mergeId, "vic", default);
        var shown = Assert.Single(view.Decisions);
        Assert.Equal((conflict.Id, choice, "alice", result.ResolutionId), (shown.ConflictId, shown.Choice, shown.Author, shown.ResolutionId));
        Assert.Empty(await _resolutions.ListConflictsAsync(BranchingFixture.Doc, "open", "vic", default));
        var decided = Assert.Single(await _resolutions.ListConflictsAsync(BranchingFixture.Doc, "decided", "vic", default));
        Assert.Equal((mergeId, "decided", conflict.Id), (decided.MergeId, decided.State, decided.Conflict.Id));
    }

    [Fact]
    public async Task a_decision_after_further_edits_still_applies_and_records_what_it_replaced()
    {
        var (mergeId, conflict) = await DogCowAsync();
        Assert.Equal(ResolutionService.Open, Assert.Single(await _resolutions.ListMergeConflictsAsync(BranchingFixture.Doc, mergeId, "vic", default)).State);

        // After the merge, someone types inside the region ("dog!cow") and before it (">> ").
        _ours.ApplyUpdate(await LogStateAsync("main"));
        await _f.SendAsync("main", "c1", TextEdits.Capture(_ours, () => _ours.GetText("text").Insert(7, "!")));
        await _f.SendAsync("main", "c1", TextEdits.Capture(_ours, () => _ours.GetText("text").Insert(0, ">> ")));
        Assert.Equal(">> The dog!cow sat.", await _f.LiveTextAsync("main"));

        var result = await _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "theirs"), "alice", default);

        Assert.Equal(">> The cow sat.", await _f.LiveTextAsync("main"));
        Assert.Equal(">> The cow sat.", await _f.LogTextAsync("main"));
        var decision = Assert.Single(result.Decisions);
        Assert.Equal("dog!cow", decision.Properties["replaced"]);
        Assert.Equal("true", decision.Properties["regionChanged"]);
        Assert.Equal(result.ResolutionId, decision.ResolutionId);
    }

    [Fact]
    public async Task two_owners_deciding_the_same_conflict_at_once_one_wins_and_the_other_is_told_who_did()
    {
        var (mergeId, conflict) = await DogCowAsync();
        _f.Directory.Grant(BranchingFixture.Doc, "olga", Collab.Documents.Access.DocumentRole.Owner);
        var headBefore = (await _f.Store.GetHeadAsync(Main)).Seq.Value;

        var attempts = new[]
        {
            Task.Run(() => _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "theirs"), "alice", default)),
            Task.Run(() => _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "ours"), "olga", default)),
        };
        await Task.WhenAll(attempts.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        var won = Assert.Single(attempts, t => t.IsCompletedSuccessfully);
        var lost = Assert.Single(attempts, t => t.IsFaulted);
        var error = await Assert.ThrowsAsync<CollabException>(() => lost);
        Assert.Equal(CollabErrorCode.Conflict, error.Code);
        Assert.Contains("already decided", error.Message, StringComparison.Ordinal);
        Assert.Contains((await won).ResolutionId, error.Message, StringComparison.Ordinal);

        Assert.Equal(headBefore + 1, (await _f.Store.GetHeadAsync(Main)).Seq.Value);
        var expected = won == attempts[0] ? "The cow sat." : "The dog sat.";
        Assert.Equal(expected, await _f.LiveTextAsync("main"));
        Assert.Single((await _f.Merges.GetAsync(BranchingFixture.Doc, mergeId, "alice", default)).Decisions);
    }

    [Fact]
    public async Task reverting_a_resolution_reopens_its_conflict_and_reverting_that_revert_decides_it_again()
    {
        var (mergeId, conflict) = await DogCowAsync();
        var gate = new DecisionGate();
        var resolutions = new ResolutionService(_f.Store, _f.Catalog, _f.Sessions, _f.Merges, gate, Options.Create(new MergeOptions()));
        var reverts = new RevertService(_f.Store, _f.Catalog, _f.Sessions, gate, Options.Create(new MergeOptions()));
        var first = await resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "theirs"), "alice", default);

        var undo = await reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, first.Seq - 1, first.Seq, null), "alice", default);
        Assert.Equal("The dogcow sat.", await _f.LiveTextAsync("main"));
        var reopened = Assert.Single(await resolutions.ListConflictsAsync(BranchingFixture.Doc, "open", "vic", default));
        Assert.Equal(conflict.Id, reopened.Conflict.Id);

        // Reverting the revert restores the decision, content and all: it is in force again.
        var redo = await reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, undo.Seq - 1, undo.Seq, null), "alice", default);
        Assert.Equal("The cow sat.", await _f.LiveTextAsync("main"));
        var decided = Assert.Single(await resolutions.ListMergeConflictsAsync(BranchingFixture.Doc, mergeId, "vic", default));
        Assert.Equal((ResolutionService.Decided, first.ResolutionId), (decided.State, decided.Decision!.ResolutionId));
        var again = await Assert.ThrowsAsync<CollabException>(() => resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "merged"), "alice", default));
        Assert.Contains(first.ResolutionId, again.Message, StringComparison.Ordinal);

        // Reverting that once more reopens it, and it is decided anew; the merge record keeps both decisions.
        await reverts.RevertAsync(BranchingFixture.Doc, new RevertRequest("main", null, redo.Seq - 1, redo.Seq, null), "alice", default);
        Assert.Equal("The dogcow sat.", await _f.LiveTextAsync("main"));
        var second = await resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "ours"), "alice", default);
        Assert.Equal("The dog sat.", await _f.LiveTextAsync("main"));
        decided = Assert.Single(await resolutions.ListMergeConflictsAsync(BranchingFixture.Doc, mergeId, "vic", default));
        Assert.Equal((ResolutionService.Decided, second.ResolutionId), (decided.State, decided.Decision!.ResolutionId));
        Assert.Equal([first.ResolutionId, second.ResolutionId], (await _f.Merges.GetAsync(BranchingFixture.Doc, mergeId, "vic", default)).Decisions.Select(d => d.ResolutionId));
    }

    [Fact]
    public async Task refusals_change_nothing_unknown_conflict_non_owner_and_bad_choices()
    {
        var (mergeId, conflict) = await DogCowAsync();
        var head = (await _f.Store.GetHeadAsync(Main)).Seq.Value;

        var unknown = await Assert.ThrowsAsync<CollabException>(() => _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide("no-such-conflict", "theirs"), "alice", default));
        Assert.Equal(CollabErrorCode.NotFound, unknown.Code);
        Assert.Contains("has no conflict 'no-such-conflict'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains(conflict.Id, unknown.Message, StringComparison.Ordinal);

        var editor = await Assert.ThrowsAsync<CollabException>(() => _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "theirs"), "erin", default));
        Assert.Equal(CollabErrorCode.Forbidden, editor.Code);

        var noMerge = await Assert.ThrowsAsync<CollabException>(() => _resolutions.ResolveAsync(BranchingFixture.Doc, "main@1", Decide(conflict.Id, "theirs"), "alice", default));
        Assert.Equal(CollabErrorCode.NotFound, noMerge.Code);

        foreach (var bad in new[]
        {
            Decide(conflict.Id, "mine"),
            Decide(conflict.Id, "custom"),
            Decide(conflict.Id, "theirs", "content"),
            new ResolveRequest([], null),
            new ResolveRequest([new DecisionRequest(conflict.Id, "ours", null), new DecisionRequest(conflict.Id, "theirs", null)], null),
        })
        {
            var error = await Assert.ThrowsAsync<CollabException>(() => _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, bad, "alice", default));
            Assert.Equal(CollabErrorCode.Invalid, error.Code);
        }

        Assert.Equal(head, (await _f.Store.GetHeadAsync(Main)).Seq.Value);
        Assert.Equal("The dogcow sat.", await _f.LiveTextAsync("main"));
        Assert.Equal(ResolutionService.Open, Assert.Single(await _resolutions.ListConflictsAsync(BranchingFixture.Doc, "all", "vic", default)).State);
    }

    [Fact]
    public async Task a_decision_writes_with_a_client_id_no_branch_has_used()
    {
        var (mergeId, conflict) = await DogCowAsync();
        var result = await _resolutions.ResolveAsync(BranchingFixture.Doc, mergeId, Decide(conflict.Id, "custom", "yak"), "alice", default);

        var stored = Assert.Single(await _f.Store.ReadPageAsync(Main, new EventSeq(result.Seq), 1));
        var writer = Assert.Single(stored.ClientIds);
        Assert.DoesNotContain(writer, new uint[] { 0, 1, 2 });

        // Main goes on being edited and merged into the feature branch afterwards: the decision's id brings no clash.
        var merge = await _f.Merges.MergeAsync(BranchingFixture.Doc, new MergeRequest("main", "feature", false, null, null), "alice", default);
        Assert.NotNull(merge.MergeId);
        Assert.Equal("The yak sat.", await _f.LiveTextAsync("feature"));
    }
}
