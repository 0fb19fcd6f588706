using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.History;

public sealed class VersionTests : StoryTests
{
    [Fact]
    public async Task a_named_version_is_a_record_in_the_chain_and_is_listed()
    {
        var created = await F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("Approved by legal", "main", 2), "erin", default);
        Assert.Equal(("Approved by legal", "main", 2L, "erin", 5L), (created.Name, created.Branch, created.Seq, created.CreatedBy, created.RecordSeq));

        var stored = (await F.B.Store.ReadPageAsync(BranchingFixture.Ref("main"), new EventSeq(5), 1)).Single();
        Assert.Equal(("version", VersionRecords.Named), (stored.Kind.Value, stored.Record!.Type));
        Assert.Equal("Approved by legal", stored.Record.Fields["name"]);
        Assert.True((await F.B.Store.VerifyAsync(BranchingFixture.Ref("main"))).IsValid);

        var listed = await F.Versions.ListAsync(BranchingFixture.Doc, "vic", default);
        Assert.Equal(["Approved by legal"], listed.Select(v => v.Name));
        var head = await F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("Head", null, null), "alice", default);
        Assert.Equal(5, head.Seq); // the head when it was named (the first version's record is seq 5)

        var activity = await F.Activity.ActivityAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "aud", default);
        Assert.Equal(["Approved by legal", "Head"], activity.Versions.Select(v => v.Name));
        Assert.DoesNotContain(activity.Sessions, s => s.Kinds.Contains("version")); // a record is not an edit
    }

    [Fact]
    public async Task version_names_are_unique_and_checked_and_only_editors_name_them()
    {
        await F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("v1", "main", 1), "alice", default);
        Assert.Equal(CollabErrorCode.Conflict, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("v1", "main", 2), "alice", default))).Code);
        Assert.Equal(CollabErrorCode.Invalid, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("", "main", 2), "alice", default))).Code);
        Assert.Equal(CollabErrorCode.Invalid, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("a/b", "main", 2), "alice", default))).Code);
        Assert.Equal(CollabErrorCode.Invalid, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("late", "main", 42), "alice", default))).Code);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("v2", "main", 2), "vic", default))).Code);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("v2", "main", 2), "aud", default))).Code);
        Assert.Equal(["v1"], (await F.Versions.ListAsync(BranchingFixture.Doc, "alice", default)).Select(v => v.Name));
    }

    [Fact]
    public async Task restore_writes_one_event_that_gives_the_version_back_and_live_clients_receive_it()
    {
        await F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("draft", "main", 2), "alice", default);
        var main = BranchingFixture.Ref("main");
        await F.B.Sessions.JoinAsync(main, BranchingFixture.Caller("watcher", "vic"), default);
        var headBefore = (await F.B.Store.GetBranchAsync(main))!.Head.Value;

        var restored = await F.Versions.RestoreAsync(BranchingFixture.Doc, "draft", new RestoreRequest(null), "erin", default);
        Assert.True(restored.Changed);
        Assert.Equal(headBefore + 1, restored.Seq);
        Assert.Equal("The cat sat. It purred.", await F.B.LiveTextAsync("main"));
        Assert.Equal("The cat sat. It purred.", await F.B.LogTextAsync("main"));

        var stored = (await F.B.Store.ReadPageAsync(main, new EventSeq(restored.Seq!.Value), 1)).Single();
        Assert.Equal(("restore", "erin", VersionRecords.Restored), (stored.Kind.Value, stored.Author, stored.Record!.Type));
        Assert.Equal([restored.ClientId], stored.ClientIds);
        Assert.DoesNotContain(restored.ClientId, new uint[] { 1, 2, 3 });

        // the watcher got the restore as an ordinary update
        var sent = F.B.Broadcaster.Syncs.Last(b => b.Branch == main);
        Assert.Equal(SyncMessage.EncodeUpdate(stored.Payload), sent.Message);

        // the audit trail: the restore is an event of the log, and blame credits the restored text to the restore
        var events = await F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main", Kind: "restore"), "aud", default);
        var restoreEvent = events.Events.Single();
        Assert.Equal(("draft", 3, 6 + 5), (restoreEvent.Record!["name"], restoreEvent.CharsInserted, restoreEvent.Deleted));
        var blame = await F.Blame.BlameAsync(BranchingFixture.Doc, new PositionQuery("main"), "text", "aud", default);
        Assert.Contains(blame.Roots[0].Ranges, r => r.Content == "sat" && r.InsertedBy!.Kind == "restore" && r.InsertedBy.Author == "erin");

        // restoring again changes nothing but is still on record
        var again = await F.Versions.RestoreAsync(BranchingFixture.Doc, "draft", new RestoreRequest("main"), "alice", default);
        Assert.False(again.Changed);
        Assert.Equal("The cat sat. It purred.", await F.B.LiveTextAsync("main"));
    }

    [Fact]
    public async Task a_viewer_may_not_restore_and_unknown_versions_or_foreign_branches_are_refused()
    {
        await F.Versions.CreateAsync(BranchingFixture.Doc, new CreateVersionRequest("draft", "main", 3), "alice", default);
        var head = (await F.B.Store.GetBranchAsync(BranchingFixture.Ref("main")))!.Head;
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.RestoreAsync(BranchingFixture.Doc, "draft", new RestoreRequest(null), "vic", default))).Code);
        Assert.Equal(CollabErrorCode.Forbidden, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.RestoreAsync(BranchingFixture.Doc, "draft", new RestoreRequest(null), "aud", default))).Code);
        Assert.Equal(CollabErrorCode.NotFound, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.RestoreAsync(BranchingFixture.Doc, "nope", new RestoreRequest(null), "alice", default))).Code);
        // main@3 holds "slept", which feature never had
        Assert.Equal(CollabErrorCode.Conflict, (await Assert.ThrowsAsync<CollabException>(() => F.Versions.RestoreAsync(BranchingFixture.Doc, "draft", new RestoreRequest("feature"), "alice", default))).Code);
        Assert.Equal(head, (await F.B.Store.GetBranchAsync(BranchingFixture.Ref("main")))!.Head);
    }
}
