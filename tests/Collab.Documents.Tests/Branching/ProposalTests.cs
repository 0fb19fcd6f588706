using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

public sealed class ProposalTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;

    public async Task InitializeAsync() => _f = await PolicyFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static byte[] Replace(YDoc doc, int index, int length, string text) => TextEdits.Capture(doc, () =>
    {
        doc.GetText("text").Delete(index, length);
        doc.GetText("text").Insert(index, text);
    });

    /// <summary>main "The cat sat." (client 1), fork "feature" (erin), then main says dog and feature says cow.</summary>
    private async Task<(YDoc Main, YDoc Feature)> ConflictingBranchesAsync()
    {
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c-main", TextEdits.Append(main, "The cat sat."));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "erin", default);
        var feature = new YDoc(new YDocOptions { ClientId = 10 });
        feature.ApplyUpdate(main.EncodeStateAsUpdate());
        await _f.SendAsync("feature", "c-feature", Replace(feature, 4, 3, "cow"), "erin");
        await _f.SendAsync("main", "c-main", Replace(main, 4, 3, "dog"));
        return (main, feature);
    }

    [Fact]
    public async Task a_proposal_into_a_protected_branch_is_previewed_reviewed_approved_and_merged_with_every_step_in_the_target_chain()
    {
        var (main, feature) = await ConflictingBranchesAsync();
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);

        var opened = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow, not cat", "a better animal"), "erin", default);
        var openedSeq = await _f.HeadAsync("main");
        Assert.Equal($"p-main-{openedSeq}", opened.Id);
        Assert.Equal(("open", "none", true), (opened.State, opened.Review, opened.TargetProtected));
        var conflict = Assert.Single(opened.Preview!.Conflicts);
        Assert.Equal(("cat", "dog", "cow"), (conflict.Base, conflict.Ours, conflict.Theirs));
        Assert.Equal(1, opened.Summary!.Conflicts);
        Assert.Contains(opened.Blockers!, b => b.Contains("not approved", StringComparison.Ordinal));

        // The preview is live: a new edit on the source shows in the next read.
        await _f.SendAsync("feature", "c-feature", TextEdits.Append(feature, " It purred."), "erin");
        var moved = await _f.Proposals.GetAsync(PolicyFixture.Doc, opened.Id, "vic", default);
        Assert.Equal(await _f.HeadAsync("feature"), moved.Preview!.Source.Seq);
        Assert.Equal(moved.Preview.Source.Seq, moved.Summary!.SourceHead);

        // Nobody reviews their own proposal; a viewer does not review at all.
        var own = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.ReviewAsync(PolicyFixture.Doc, opened.Id, new ReviewRequest("approve", null), "erin", default));
        Assert.Equal(CollabErrorCode.Forbidden, own.Code);
        var viewer = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.ReviewAsync(PolicyFixture.Doc, opened.Id, new ReviewRequest("approve", null), "vic", default));
        Assert.Equal(CollabErrorCode.Forbidden, viewer.Code);

        var changes = await _f.Proposals.ReviewAsync(PolicyFixture.Doc, opened.Id, new ReviewRequest("request-changes", "keep the cat?"), "alice", default);
        Assert.Equal("changes-requested", changes.Review);
        var refused = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.MergeAsync(PolicyFixture.Doc, opened.Id, new MergeProposalRequest(null, null), "alice", default));
        Assert.Equal(CollabErrorCode.BranchProtected, refused.Code);
        Assert.Contains("changes were requested", refused.Message, StringComparison.Ordinal);

        var approved = await _f.Proposals.ReviewAsync(PolicyFixture.Doc, opened.Id, new ReviewRequest("approve", "fine"), "alice", default);
        Assert.Equal(("approved", await _f.HeadAsync("feature")), (approved.Review, approved.ApprovedSourceSeq!.Value));
        Assert.Empty(approved.Blockers!);
        // An editor may not merge into a protected branch, even when editors may merge elsewhere.
        await _f.Settings.SetAsync(PolicyFixture.Doc, true, "alice", default);
        var editor = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.MergeAsync(PolicyFixture.Doc, opened.Id, new MergeProposalRequest(null, null), "ed", default));
        Assert.Equal(CollabErrorCode.Forbidden, editor.Code);

        // Decided with the merge, on the conflict as the proposal shows it now: one merge and one resolution event.
        var shown = Assert.Single((await _f.Proposals.GetAsync(PolicyFixture.Doc, opened.Id, "alice", default)).Preview!.Conflicts);
        var merged = await _f.Proposals.MergeAsync(PolicyFixture.Doc, opened.Id, new MergeProposalRequest([new DecisionRequest(shown.Id, "theirs", null)], "cow it is"), "alice", default);
        Assert.Equal("merged", merged.State);
        var decided = Assert.Single(await _f.Resolutions.ListMergeConflictsAsync(PolicyFixture.Doc, merged.MergeId!, "alice", default));
        Assert.Equal(("decided", "theirs"), (decided.State, decided.Decision!.Choice));
        Assert.Equal("alice", merged.MergedBy);
        var mergeSeq = long.Parse(merged.MergeId!["main@".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var record = await _f.Store.GetMergeRecordAsync(new EventRef(PolicyFixture.Ref("main"), new EventSeq(mergeSeq)));
        Assert.NotNull(record);
        Assert.Equal(opened.Id, record.Properties[PolicyRecords.ProposalProperty]);
        Assert.Equal("cow it is", record.Properties[MergeService.Keys.Message]);
        Assert.Single(record.Conflicts);
        var text = await _f.LogTextAsync("main");
        Assert.Contains("It purred.", text, StringComparison.Ordinal);
        Assert.Contains("cow", text, StringComparison.Ordinal);

        // Every state change is a record-only event on the target, in its hash chain.
        var events = await _f.Store.ReadPageAsync(PolicyFixture.Ref("main"), new EventSeq(1), 100);
        var records = events.Where(e => e.Record is not null).Select(e => e.Record!.Type).ToList();
        Assert.Equal(["branch.protected", "proposal.opened", "proposal.changes-requested", "proposal.approved", "settings.changed", "proposal.merged"], records);
        Assert.All(events.Where(e => e.Record is not null), e => Assert.Equal(DomainEvent.EmptyUpdate, e.Payload.ToArray()));
        Assert.True((await _f.Store.VerifyAsync(PolicyFixture.Ref("main"))).IsValid);

        // Merged is final.
        var again = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.MergeAsync(PolicyFixture.Doc, opened.Id, new MergeProposalRequest(null, null), "alice", default));
        Assert.Equal(CollabErrorCode.Conflict, again.Code);
        Assert.Empty(await _f.Proposals.ListAsync(PolicyFixture.Doc, "open", "vic", default));
        Assert.Equal(opened.Id, Assert.Single(await _f.Proposals.ListAsync(PolicyFixture.Doc, "merged", "vic", default)).Id);
    }

    [Fact]
    public async Task an_approval_covers_the_source_as_it_was_and_a_later_edit_needs_a_new_one()
    {
        var (_, feature) = await ConflictingBranchesAsync();
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var p = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow", null), "erin", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("approve", null), "alice", default);

        await _f.SendAsync("feature", "c-feature", TextEdits.Append(feature, " Unreviewed."), "erin");
        var mainHead = await _f.HeadAsync("main");
        var stale = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "alice", default));
        Assert.Equal(CollabErrorCode.BranchProtected, stale.Code);
        Assert.Contains("changed after the approval", stale.Message, StringComparison.Ordinal);
        Assert.Equal(mainHead, await _f.HeadAsync("main"));
        Assert.DoesNotContain("Unreviewed", await _f.LogTextAsync("main"), StringComparison.Ordinal);

        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("approve", "seen it"), "ed", default);
        var merged = await _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "alice", default);
        Assert.Equal("merged", merged.State);
        Assert.Contains("Unreviewed", await _f.LogTextAsync("main"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task refusals_change_nothing()
    {
        await ConflictingBranchesAsync();
        var mainHead = await _f.HeadAsync("main");
        async Task Refused(CollabErrorCode code, Func<Task> call)
        {
            var ex = await Assert.ThrowsAsync<CollabException>(call);
            Assert.Equal(code, ex.Code);
            Assert.Equal(mainHead, await _f.HeadAsync("main"));
        }

        await Refused(CollabErrorCode.Forbidden, () => _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "x", null), "vic", default));
        await Refused(CollabErrorCode.Invalid, () => _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "feature", "x", null), "erin", default));
        await Refused(CollabErrorCode.Invalid, () => _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", " ", null), "erin", default));
        await Refused(CollabErrorCode.NotFound, () => _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("nope", "main", "x", null), "erin", default));

        var p = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow", null), "erin", default);
        mainHead = await _f.HeadAsync("main");
        await Refused(CollabErrorCode.Conflict, () => _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Again", null), "ed", default));
        await Refused(CollabErrorCode.Invalid, () => _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("maybe", null), "alice", default));
        await Refused(CollabErrorCode.NotFound, () => _f.Proposals.ReviewAsync(PolicyFixture.Doc, "p-main-999", new ReviewRequest("approve", null), "alice", default));
        // Editors merge only when the document allows it.
        await Refused(CollabErrorCode.Forbidden, () => _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "ed", default));
        await Refused(CollabErrorCode.Forbidden, () => _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "vic", default));
        await Refused(CollabErrorCode.Invalid, () => _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest([new DecisionRequest("any", "maybe", null)], null), "alice", default));
        // Only the author or an owner closes.
        await Refused(CollabErrorCode.Forbidden, () => _f.Proposals.CloseAsync(PolicyFixture.Doc, p.Id, null, "ed", default));
        await Refused(CollabErrorCode.Forbidden, () => _f.Proposals.CloseAsync(PolicyFixture.Doc, p.Id, null, "vic", default));
        Assert.Equal("open", (await _f.Proposals.GetAsync(PolicyFixture.Doc, p.Id, "vic", default)).State);
    }

    [Fact]
    public async Task an_editor_merges_into_an_unprotected_branch_when_the_document_allows_it_and_closing_is_recorded()
    {
        await ConflictingBranchesAsync();
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "draft", "main", null, null, "ed", default);
        var intoDraft = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "draft", "into draft", null), "erin", default);
        Assert.StartsWith("p-draft-", intoDraft.Id, StringComparison.Ordinal);

        await _f.Settings.SetAsync(PolicyFixture.Doc, true, "alice", default);
        Assert.True((await _f.Settings.GetAsync(PolicyFixture.Doc, "vic", default)).EditorsMayMerge);
        var merged = await _f.Proposals.MergeAsync(PolicyFixture.Doc, intoDraft.Id, new MergeProposalRequest(null, null), "ed", default);
        Assert.Equal(("merged", "ed"), (merged.State, merged.MergedBy));
        Assert.Contains("cow", await _f.LogTextAsync("draft"), StringComparison.Ordinal);

        _f.Time.Now += TimeSpan.FromMinutes(1); // newest first
        var intoMain = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "into main", null), "erin", default);
        var closed = await _f.Proposals.CloseAsync(PolicyFixture.Doc, intoMain.Id, new CloseProposalRequest("not now"), "erin", default);
        Assert.Equal(("closed", "erin"), (closed.State, closed.ClosedBy));
        var reopened = await Assert.ThrowsAsync<CollabException>(() => _f.Proposals.MergeAsync(PolicyFixture.Doc, intoMain.Id, new MergeProposalRequest(null, null), "alice", default));
        Assert.Equal(CollabErrorCode.Conflict, reopened.Code);
        Assert.Equal([intoMain.Id, intoDraft.Id], (await _f.Proposals.ListAsync(PolicyFixture.Doc, "all", "vic", default)).Select(p => p.Id));
        Assert.Equal(intoMain.Id, Assert.Single(await _f.Proposals.ListAsync(PolicyFixture.Doc, "closed", "vic", default)).Id);
    }

    [Fact]
    public async Task proposals_and_protection_are_rebuilt_from_the_log_after_a_restart()
    {
        await ConflictingBranchesAsync();
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var p = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow", "why not"), "erin", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("request-changes", "hmm"), "ed", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("approve", null), "alice", default);
        var before = await _f.Proposals.GetAsync(PolicyFixture.Doc, p.Id, "alice", default);

        await _f.RestartAsync();

        var after = await _f.Proposals.GetAsync(PolicyFixture.Doc, p.Id, "alice", default);
        Assert.Equal((before.State, before.Review, before.Title, before.Description, before.Author), (after.State, after.Review, after.Title, after.Description, after.Author));
        Assert.Equal("changes-requested", after.Review); // ed's request still stands; alice's approval does not cancel it
        Assert.Equal(before.Reviews, after.Reviews);
        Assert.True((await _f.Branches.GetAsync(PolicyFixture.Doc, "main", "vic", default)).Protected);
        var edit = await Assert.ThrowsAsync<CollabException>(() => _f.SendAsync("main", "c-late", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 3 }), "late"), "alice"));
        Assert.Equal(CollabErrorCode.BranchProtected, edit.Code);

        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("approve", "ok now"), "ed", default);
        Assert.Equal("merged", (await _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "alice", default)).State);
        await _f.RestartAsync();
        var merged = await _f.Proposals.GetAsync(PolicyFixture.Doc, p.Id, "vic", default);
        Assert.Equal("merged", merged.State);
        Assert.NotNull(merged.MergeId);
    }
}
