using Collab.Crdt.Document;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

public sealed class ClientIdRuleTests : IAsyncLifetime
{
    private BranchingFixture _f = null!;

    public async Task InitializeAsync() => _f = await BranchingFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task a_client_id_that_wrote_on_one_branch_cannot_write_the_same_clocks_on_a_diverged_branch()
    {
        var shared = new YDoc(new YDocOptions { ClientId = 1 });
        Assert.Equal(1, await _f.SendAsync("main", "c1", TextEdits.Append(shared, "base ")));
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "side", "main", null, null, "alice", default);

        // Client 7 writes on main after the fork …
        var onMain = new YDoc(new YDocOptions { ClientId = 7 });
        onMain.ApplyUpdate(shared.EncodeStateAsUpdate());
        Assert.Equal(2, await _f.SendAsync("main", "c1", TextEdits.Append(onMain, "main edit")));

        // … then the same client id tries to write clock 0 on the side branch: two different items (7, 0) would exist.
        var onSide = new YDoc(new YDocOptions { ClientId = 7 });
        onSide.ApplyUpdate(shared.EncodeStateAsUpdate());
        var error = await Assert.ThrowsAsync<CollabException>(() => _f.SendAsync("side", "c2", TextEdits.Append(onSide, "side edit")));
        Assert.Equal(CollabErrorCode.ClientIdDiverged, error.Code);
        Assert.Equal("client_id_diverged", error.CodeName);
        Assert.Contains("one client id must keep one line of history", error.Message, StringComparison.Ordinal);
        Assert.Contains("'main'", error.Message, StringComparison.Ordinal);

        // Nothing changed on the side branch; a fresh client id is welcome there.
        Assert.Equal("base ", await _f.LiveTextAsync("side"));
        Assert.Equal(1, (await _f.Store.GetBranchAsync(BranchingFixture.Ref("side")))!.Head.Value);
        var fresh = new YDoc(new YDocOptions { ClientId = 8 });
        fresh.ApplyUpdate(shared.EncodeStateAsUpdate());
        Assert.Equal(2, await _f.SendAsync("side", "c2", TextEdits.Append(fresh, "side edit")));
    }

    [Fact]
    public async Task a_client_may_continue_on_a_fork_of_its_branch_and_the_old_branch_then_refuses_it()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 7 });
        await _f.SendAsync("main", "c1", TextEdits.Append(doc, "start "));
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "moved", "main", null, null, "alice", default);

        // Moving the work: the same client id continues on the fork (its next clocks exist nowhere else).
        Assert.Equal(2, await _f.SendAsync("moved", "c2", TextEdits.Append(doc, "continued")));
        Assert.Equal("start continued", await _f.LiveTextAsync("moved"));

        // Going back to write those clocks on main (as a second replica of client 7 that typed the same start) is refused.
        // (A YDoc that receives items of its own client id switches to a fresh id, as yjs does, so the replica types.)
        var stale = new YDoc(new YDocOptions { ClientId = 7 });
        TextEdits.Append(stale, "start ");
        var error = await Assert.ThrowsAsync<CollabException>(() => _f.SendAsync("main", "c1", TextEdits.Append(stale, "other")));
        Assert.Equal(CollabErrorCode.ClientIdDiverged, error.Code);
        Assert.Equal("start ", await _f.LiveTextAsync("main"));
    }

    [Fact]
    public async Task the_rule_reads_existing_branches_from_the_log_after_a_restart()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 7 });
        await _f.SendAsync("main", "c1", TextEdits.Append(doc, "start "));
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "side", "main", 0, null, "alice", default);
        // A fresh manager (as after a restart) has no index yet: it must build it from every branch's log.
        await using var restarted = new Collab.Documents.Sessions.SessionManager(_f.Store, new Collab.Documents.Sessions.YDocFactory(), _f.Broadcaster,
            Microsoft.Extensions.Options.Options.Create(new Collab.Documents.Sessions.LiveSessionOptions()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Collab.Documents.Sessions.SessionManager>.Instance);
        var side = BranchingFixture.Ref("side");
        await restarted.JoinAsync(side, BranchingFixture.Caller("c9"), default);
        var again = new YDoc(new YDocOptions { ClientId = 7 });
        var error = await Assert.ThrowsAsync<CollabException>(() => restarted.SyncAsync(side, BranchingFixture.Caller("c9"), Collab.Crdt.Protocol.SyncMessage.EncodeUpdate(TextEdits.Append(again, "x")), null, 1 << 20, default));
        Assert.Equal(CollabErrorCode.ClientIdDiverged, error.Code);
    }

    [Fact]
    public async Task a_refused_update_leaves_the_rule_intact_for_the_other_branches()
    {
        // A manager with a small document limit, so that an update can be refused after its clocks were reserved.
        await using var limited = new Collab.Documents.Sessions.SessionManager(_f.Store, new Collab.Documents.Sessions.YDocFactory(), _f.Broadcaster,
            Microsoft.Extensions.Options.Options.Create(new Collab.Documents.Sessions.LiveSessionOptions { MaxDocumentBytes = 4096 }), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Collab.Documents.Sessions.SessionManager>.Instance);
        var main = BranchingFixture.Ref("main");
        var caller = BranchingFixture.Caller("c9");
        await limited.JoinAsync(main, caller, default);
        Task<Collab.Documents.Sessions.SyncOutcome> Send(BranchRef branch, byte[] update) =>
            limited.SyncAsync(branch, caller, Collab.Crdt.Protocol.SyncMessage.EncodeUpdate(update), null, 1 << 20, default);

        var shared = new YDoc(new YDocOptions { ClientId = 1 });
        await Send(main, TextEdits.Append(shared, "base "));
        await _f.Branches.ForkAsync(BranchingFixture.Doc, "side", "main", null, null, "alice", default);
        var onMain = new YDoc(new YDocOptions { ClientId = 7 });
        onMain.ApplyUpdate(shared.EncodeStateAsUpdate());
        await Send(main, TextEdits.Append(onMain, "main edit"));

        // A new client id's update is refused (too large for the document): the table forgets what it reserved …
        var big = new YDoc(new YDocOptions { ClientId = 8 });
        var refused = await Assert.ThrowsAsync<CollabException>(() => Send(main, TextEdits.Append(big, new string('x', 5000))));
        Assert.Equal(CollabErrorCode.TooLarge, refused.Code);

        // … but still knows what main holds: client 7 cannot write its clock 0 again on the side branch.
        var side = BranchingFixture.Ref("side");
        await limited.JoinAsync(side, caller, default);
        var onSide = new YDoc(new YDocOptions { ClientId = 7 });
        onSide.ApplyUpdate(shared.EncodeStateAsUpdate());
        var error = await Assert.ThrowsAsync<CollabException>(() => Send(side, TextEdits.Append(onSide, "side edit")));
        Assert.Equal(CollabErrorCode.ClientIdDiverged, error.Code);

        // And the refused client id may write on the side branch: it holds nothing anywhere.
        var again = new YDoc(new YDocOptions { ClientId = 8 });
        again.ApplyUpdate(shared.EncodeStateAsUpdate());
        Assert.NotNull((await Send(side, TextEdits.Append(again, "side edit"))).Seq);
    }
}
