using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

public sealed class ProtectionTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;

    public async Task InitializeAsync() => _f = await PolicyFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task a_protected_branch_refuses_client_edits_with_a_code_naming_the_rule_and_stores_nothing()
    {
        var typist = new YDoc(new YDocOptions { ClientId = 1 });
        Assert.Equal(1, await _f.SendAsync("main", "c1", TextEdits.Append(typist, "one")));
        var view = await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        Assert.Equal(("main", "alice", 2L), (view.Branch, view.By, view.Seq));
        Assert.True((await _f.Branches.GetAsync(PolicyFixture.Doc, "main", "vic", default)).Protected);

        // Owners are refused too: only a merge of an approved proposal changes a protected branch.
        var refused = await Assert.ThrowsAsync<CollabException>(() => _f.SendAsync("main", "c1", TextEdits.Append(typist, " two")));
        Assert.Equal(CollabErrorCode.BranchProtected, refused.Code);
        Assert.Equal("branch_protected", refused.CodeName);
        Assert.Contains("Branch 'main' is protected", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, await _f.HeadAsync("main"));
        Assert.Equal("one", await _f.LogTextAsync("main"));

        // A peer's answer that changes nothing (its SyncStep2 after a join) is not an edit.
        var peer = new YDoc(new YDocOptions { ClientId = 5 });
        peer.ApplyUpdate((await _f.Sessions.ReadContentAsync(PolicyFixture.Ref("main"), default)).Update);
        var caller = new SessionCaller("c5", "erin", DocumentRole.Editor);
        await _f.Sessions.JoinAsync(PolicyFixture.Ref("main"), caller, default);
        var empty = await _f.Sessions.SyncAsync(PolicyFixture.Ref("main"), caller, SyncMessage.EncodeSyncStep2(peer.EncodeStateAsUpdate()), null, 1 << 20, default);
        Assert.Null(empty.Seq);

        // Other branches are not affected; lifting the protection lets edits in again.
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "side", "main", null, null, "erin", default);
        Assert.NotNull(await _f.SendAsync("side", "c9", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 9 }), "side"), "erin"));
        Assert.True(await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "main", "alice", default));
        Assert.False(await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "main", "alice", default));
        TextEdits.Append(typist, " three");
        Assert.Equal(4, await _f.SendAsync("main", "c1", typist.EncodeStateAsUpdate())); // what was refused comes with it
        Assert.Equal("one two three", await _f.LogTextAsync("main"));
        Assert.False((await _f.Branches.GetAsync(PolicyFixture.Doc, "main", "vic", default)).Protected);
        var records = (await _f.Store.ReadPageAsync(PolicyFixture.Ref("main"), new EventSeq(1), 10)).Where(e => e.Record is not null).Select(e => (e.Kind.Value, e.Record!.Type, e.Author));
        Assert.Equal([("branch", "branch.protected", "alice"), ("branch", "branch.unprotected", "alice")], records);
    }

    [Fact]
    public async Task a_direct_merge_into_a_protected_branch_is_refused_but_previews_still_work()
    {
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(main, "base"));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "alice", default);
        await _f.SendAsync("feature", "c2", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 2 }), "more"));
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var head = await _f.HeadAsync("main");

        var refused = await Assert.ThrowsAsync<CollabException>(() => _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("feature", "main", false, null, null), "alice", default));
        Assert.Equal(CollabErrorCode.BranchProtected, refused.Code);
        Assert.Contains("merge an approved proposal", refused.Message, StringComparison.Ordinal);
        Assert.Equal(head, await _f.HeadAsync("main"));
        Assert.Empty(await _f.Store.ListMergeRecordsAsync(PolicyFixture.Ref("main")));

        var preview = await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("feature", "main", true, null, null), "vic", default);
        Assert.False(preview.NothingToMerge);
        // Merging the other way (into the unprotected branch) is unaffected.
        Assert.NotNull((await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("main", "feature", false, null, null), "alice", default)).MergeId ?? "nothing");
    }

    [Fact]
    public async Task only_owners_protect_and_change_settings_and_refusals_write_nothing()
    {
        foreach (var user in new[] { "erin", "vic", "ada", "stranger" })
        {
            await Assert.ThrowsAsync<CollabException>(() => _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", user, default));
            await Assert.ThrowsAsync<CollabException>(() => _f.Settings.SetAsync(PolicyFixture.Doc, true, user, default));
        }
        await Assert.ThrowsAsync<CollabException>(() => _f.Protection.ProtectAsync(PolicyFixture.Doc, "missing", "alice", default));
        await Assert.ThrowsAsync<CollabException>(() => _f.Settings.SetAsync(PolicyFixture.Doc, null, "alice", default));
        Assert.Equal(0, await _f.HeadAsync("main"));
        Assert.Empty(await _f.Protection.ListAsync(PolicyFixture.Doc, "vic", default));
        Assert.False(await _f.Branches.GetAsync(PolicyFixture.Doc, "main", "vic", default) is { Protected: true });

        // Protecting twice writes once.
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        Assert.Equal(1, await _f.HeadAsync("main"));
        Assert.Equal("main", Assert.Single(await _f.Protection.ListAsync(PolicyFixture.Doc, "vic", default)).Branch);
    }

    [Fact]
    public async Task the_editors_may_merge_setting_is_recorded_on_main_and_honoured_by_merges()
    {
        await _f.SendAsync("main", "c1", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 1 }), "base"));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "a", "main", null, null, "erin", default);
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "b", "main", null, null, "erin", default);
        await _f.SendAsync("a", "c2", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 2 }), "A"), "erin");
        var request = new MergeRequest("a", "b", false, null, null);

        var refused = await Assert.ThrowsAsync<CollabException>(() => _f.Merges.MergeAsync(PolicyFixture.Doc, request, "erin", default));
        Assert.Equal(CollabErrorCode.Forbidden, refused.Code);
        Assert.Contains("editorsMayMerge", refused.Message, StringComparison.Ordinal);

        await _f.Settings.SetAsync(PolicyFixture.Doc, true, "alice", default);
        var settings = (await _f.Store.ReadPageAsync(PolicyFixture.Ref("main"), new EventSeq(1), 10)).Single(e => e.Record is not null);
        Assert.Equal(("settings", "settings.changed", "true"), (settings.Kind.Value, settings.Record!.Type, settings.Record.Fields["editorsMayMerge"]));
        Assert.NotNull((await _f.Merges.MergeAsync(PolicyFixture.Doc, request, "erin", default)).MergeId);
        // Viewers never merge; a protected target refuses editors like everyone else.
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("b", "a", false, null, null), "vic", default))).Code);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        Assert.Equal(CollabErrorCode.BranchProtected, (await Assert.ThrowsAsync<CollabException>(() => _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("a", "main", false, null, null), "erin", default))).Code);

        await _f.RestartAsync();
        Assert.True((await _f.Settings.GetAsync(PolicyFixture.Doc, "vic", default)).EditorsMayMerge);
        await _f.Settings.SetAsync(PolicyFixture.Doc, false, "alice", default);
        await _f.SendAsync("b", "c3", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 3 }), "B"), "erin");
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("b", "a", false, null, null), "erin", default))).Code);
    }

    [Fact]
    public async Task the_audit_trail_lists_forks_and_every_non_update_event_in_order_with_their_hashes_and_pages_by_cursor()
    {
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(main, "base"));
        _f.Time.Now += TimeSpan.FromSeconds(1);
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "erin", default);
        _f.Time.Now += TimeSpan.FromSeconds(1);
        await _f.SendAsync("feature", "c2", TextEdits.Append(new YDoc(new YDocOptions { ClientId = 2 }), "more"), "erin");
        _f.Time.Now += TimeSpan.FromSeconds(1);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        _f.Time.Now += TimeSpan.FromSeconds(1);
        var p = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "More", null), "erin", default);
        _f.Time.Now += TimeSpan.FromSeconds(1);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, p.Id, new ReviewRequest("approve", null), "alice", default);
        _f.Time.Now += TimeSpan.FromSeconds(1);
        await _f.Proposals.MergeAsync(PolicyFixture.Doc, p.Id, new MergeProposalRequest(null, null), "alice", default);

        await Assert.ThrowsAsync<CollabException>(() => _f.Audit.ReadAsync(PolicyFixture.Doc, null, null, "erin", default));
        await Assert.ThrowsAsync<CollabException>(() => _f.Audit.ReadAsync(PolicyFixture.Doc, "not a cursor", null, "ada", default));
        var all = await _f.Audit.ReadAsync(PolicyFixture.Doc, null, 100, "ada", default);
        Assert.False(all.HasMore);
        Assert.Equal(
            ["branch.created main@0", "branch.created feature@1", "branch.protected main@2", "proposal.opened main@3", "proposal.approved main@4", "merge main@5", "proposal.merged main@6"],
            all.Entries.Select(e => $"{e.Type} {e.Branch}@{e.Seq}"));
        foreach (var entry in all.Entries)
        {
            Assert.Equal((await _f.Store.GetDigestAsync(PolicyFixture.Ref(entry.Branch), new EventSeq(entry.Seq))).Hash.ToString(), entry.Hash);
        }
        Assert.Equal(("erin", "main", "1"), (all.Entries[1].By, all.Entries[1].Fields["from"], all.Entries[1].Fields["fromSeq"]));
        Assert.Equal(p.Id, all.Entries[5].Fields["proposal"]);
        Assert.Equal("feature@2", all.Entries[5].Fields["source"]);

        // Page by page, nothing skipped or repeated; a new entry appears after the last cursor.
        var paged = new List<AuditEntry>();
        string? cursor = null;
        while (true)
        {
            var page = await _f.Audit.ReadAsync(PolicyFixture.Doc, cursor, 2, "alice", default);
            paged.AddRange(page.Entries);
            cursor = page.Next;
            if (!page.HasMore) break;
        }
        Assert.Equal(all.Entries, paged);
        _f.Time.Now += TimeSpan.FromSeconds(1);
        await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "main", "alice", default);
        var newer = await _f.Audit.ReadAsync(PolicyFixture.Doc, cursor, 10, "alice", default);
        Assert.Equal("branch.unprotected", Assert.Single(newer.Entries).Type);

        await _f.RestartAsync();
        var rebuilt = await _f.Audit.ReadAsync(PolicyFixture.Doc, null, 100, "ada", default);
        Assert.Equal(all.Entries.Select(e => (e.Type, e.Branch, e.Seq, e.Hash)).Append(("branch.unprotected", "main", 7L, newer.Entries[0].Hash)), rebuilt.Entries.Select(e => (e.Type, e.Branch, e.Seq, e.Hash)));
    }
}
