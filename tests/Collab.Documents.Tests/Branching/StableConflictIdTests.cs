using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Documents.Branching;
using Collab.Documents.History;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// A preview's conflict ids stay valid while the branches move elsewhere (record-only events, edits in other places),
/// so decisions given with the merge are accepted; an edit of a conflict's region changes its id and the merge is
/// refused naming it.
/// </summary>
public sealed class StableConflictIdTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;
    private YDoc _main = null!;
    private YDoc _feature = null!;

    public async Task InitializeAsync()
    {
        _f = await PolicyFixture.CreateAsync();
        // main "The cat sat. The end." (client 1), fork "feature" (erin), then main says dog and feature says cow.
        _main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c-main", TextEdits.Append(_main, "The cat sat. The end."));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "erin", default);
        _feature = new YDoc(new YDocOptions { ClientId = 10 });
        _feature.ApplyUpdate(_main.EncodeStateAsUpdate());
        await _f.SendAsync("feature", "c-feature", Replace(_feature, 4, 3, "cow"), "erin");
        await _f.SendAsync("main", "c-main", Replace(_main, 4, 3, "dog"));
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static byte[] Replace(YDoc doc, int index, int length, string text) => TextEdits.Capture(doc, () =>
    {
        doc.GetText("text").Delete(index, length);
        doc.GetText("text").Insert(index, text);
    });

    private async Task<ConflictView> PreviewAsync() =>
        Assert.Single((await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("feature", "main", true, null, null), "vic", default)).Conflicts);

    [Fact]
    public async Task decisions_from_a_preview_are_accepted_after_record_only_events_and_edits_elsewhere_on_both_branches()
    {
        var preview = await PreviewAsync();
        Assert.Equal(("cat", "dog", "cow"), (preview.Base, preview.Ours, preview.Theirs));

        // Record-only events on the target, and edits away from the conflict on both branches.
        await _f.Settings.SetAsync(PolicyFixture.Doc, true, "alice", default);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "feature", "alice", default);
        await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "feature", "alice", default);
        await _f.SendAsync("main", "c-main", TextEdits.Append(_main, " Really."));
        await _f.SendAsync("feature", "c-feature", Replace(_feature, 13, 4, ""), "erin"); // "The " of "The end."

        var request = new MergeRequest("feature", "main", false, "cow", null, [new DecisionRequest(preview.Id, "theirs", null)]);
        var (merge, resolution) = await _f.Resolutions.MergeWithDecisionsAsync(PolicyFixture.Doc, request, "alice", default);
        Assert.Equal(preview.Id, Assert.Single(merge.Conflicts).Id);
        Assert.NotNull(resolution);
        Assert.Equal("The cow sat. end. Really.", await _f.LogTextAsync("main"));
        var decided = Assert.Single(await _f.Resolutions.ListMergeConflictsAsync(PolicyFixture.Doc, merge.MergeId!, "vic", default));
        Assert.Equal((preview.Id, "decided", "theirs"), (decided.Conflict.Id, decided.State, decided.Decision!.Choice));
    }

    [Fact]
    public async Task an_edit_of_the_conflicting_region_changes_the_id_and_the_merge_is_refused_naming_it()
    {
        var preview = await PreviewAsync();
        await _f.SendAsync("main", "c-main", TextEdits.Capture(_main, () => _main.GetText("text").Insert(7, "gy"))); // "doggy"
        var head = await _f.HeadAsync("main");

        var request = new MergeRequest("feature", "main", false, null, null, [new DecisionRequest(preview.Id, "theirs", null)]);
        var refused = await Assert.ThrowsAsync<CollabException>(() => _f.Resolutions.MergeWithDecisionsAsync(PolicyFixture.Doc, request, "alice", default));
        Assert.Equal(CollabErrorCode.Conflict, refused.Code);
        Assert.Contains($"'{preview.Id}' changed since the preview", refused.Message, StringComparison.Ordinal);
        Assert.Equal(head, await _f.HeadAsync("main"));
        Assert.Empty(await _f.Store.ListMergeRecordsAsync(PolicyFixture.Ref("main")));

        // The new preview shows the region as it is now, under a new id, and deciding on that works.
        var now = await PreviewAsync();
        Assert.NotEqual(preview.Id, now.Id);
        Assert.Equal("doggy", now.Ours);
        Assert.Contains(now.Id, refused.Message, StringComparison.Ordinal);
        var (merge, _) = await _f.Resolutions.MergeWithDecisionsAsync(PolicyFixture.Doc, request with { Resolutions = [new DecisionRequest(now.Id, "ours", null)] }, "alice", default);
        Assert.NotNull(merge.MergeId);
        Assert.Equal("The doggy sat. The end.", await _f.LogTextAsync("main"));
    }

    [Fact]
    public async Task a_proposal_merges_with_the_decisions_of_the_preview_it_was_opened_with_after_its_own_review_records()
    {
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var opened = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow", null), "erin", default);
        var shown = Assert.Single(opened.Preview!.Conflicts);

        // Reviews are record-only events on the target: they used to make the preview's ids stale.
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, opened.Id, new ReviewRequest("request-changes", "hmm"), "alice", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, opened.Id, new ReviewRequest("approve", "fine"), "alice", default);

        var merged = await _f.Proposals.MergeAsync(PolicyFixture.Doc, opened.Id, new MergeProposalRequest([new DecisionRequest(shown.Id, "theirs", null)], null), "alice", default);
        Assert.Equal("merged", merged.State);
        var decided = Assert.Single(await _f.Resolutions.ListMergeConflictsAsync(PolicyFixture.Doc, merged.MergeId!, "vic", default));
        Assert.Equal((shown.Id, "theirs"), (decided.Conflict.Id, decided.Decision!.Choice));
        Assert.Equal("The cow sat. The end.", await _f.LogTextAsync("main"));
    }

    [Fact]
    public async Task a_merge_recorded_with_ids_of_the_old_form_keeps_them_and_decisions_on_it_still_work()
    {
        // A merge written as before this change: its conflict ids were hashes over the analysed heads. Decisions look
        // conflicts up in the record, so the stored id is the one to use.
        const string legacyId = "5f0c2a9e8d7b6a5f4e3d2c1b0a998877";
        var replayer = new DocumentReplayer(_f.Store);
        var target = await replayer.BuildAsync(PolicyFixture.Ref("main"), null, gc: false, default);
        var source = await replayer.BuildAsync(PolicyFixture.Ref("feature"), null, gc: false, default);
        var analysis = MergeAnalyzer.Analyze(target.Doc, source.Doc, $"main@{target.Seq}<-feature@{source.Seq}");
        var c = Assert.Single(analysis.Conflicts);
        var location = $"{{\"root\":\"{c.Root}\",\"path\":[],\"key\":null,\"start\":\"{Convert.ToBase64String(c.Start!)}\",\"end\":\"{Convert.ToBase64String(c.End!)}\"}}";
        var draft = new MergeRecordDraft(source.Branch.HeadDigest, await _f.Store.GetDigestAsync(PolicyFixture.Ref("main"), new EventSeq(1)),
            [new MergeConflict(legacyId, c.Kind, location, c.Base, c.Ours, c.Theirs, c.Merged, c.AutomaticOutcome)]);
        var written = await _f.Sessions.WriteDomainEventAsync(PolicyFixture.Ref("main"), new DomainEvent(EventKind.Merge, analysis.Update, "alice") { Merge = draft }, default);
        var mergeId = $"main@{written.Seq}";

        var view = await _f.Merges.GetAsync(PolicyFixture.Doc, mergeId, "vic", default);
        Assert.Equal(legacyId, Assert.Single(view.Conflicts).Id);
        await _f.Resolutions.ResolveAsync(PolicyFixture.Doc, mergeId, new ResolveRequest([new DecisionRequest(legacyId, "theirs", null)], null), "alice", default);
        Assert.Equal("The cow sat. The end.", await _f.LogTextAsync("main"));
        var decided = Assert.Single(await _f.Resolutions.ListMergeConflictsAsync(PolicyFixture.Doc, mergeId, "vic", default));
        Assert.Equal((legacyId, "decided"), (decided.Conflict.Id, decided.State));
    }
}
