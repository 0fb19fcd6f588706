using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

public sealed class DomainEventTests : IAsyncLifetime
{
    private BranchingFixture _f = null!;

    public async Task InitializeAsync() => _f = await BranchingFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task a_domain_event_goes_through_the_single_writer_between_client_updates_and_reaches_every_connection()
    {
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 1 });
        Assert.Equal(1, await _f.SendAsync("main", "c1", TextEdits.Append(typist, "ab")));
        await _f.Sessions.JoinAsync(main, BranchingFixture.Caller("c2"), default);

        var other = new YDoc(new YDocOptions { ClientId = 2 });
        other.ApplyUpdate(typist.EncodeStateAsUpdate());
        var mergeUpdate = TextEdits.Append(other, "MERGED");
        var written = await _f.Sessions.WriteDomainEventAsync(main, new DomainEvent(EventKind.Merge, mergeUpdate, "alice")
        {
            Merge = new MergeRecordDraft(new BranchDigest(main, EventSeq.Zero, (await _f.Store.GetDigestAsync(main, EventSeq.Zero)).Hash), new BranchDigest(main, EventSeq.Zero, (await _f.Store.GetDigestAsync(main, EventSeq.Zero)).Hash), []),
            ExpectedHead = 1,
        }, default);
        Assert.Equal(2, written.Seq);
        Assert.Equal(1, written.HeadBefore);
        Assert.Equal(3, await _f.SendAsync("main", "c1", TextEdits.Append(typist, "c")));

        var events = await _f.Store.ReadPageAsync(main, new EventSeq(1), 10);
        Assert.Equal(["update", "merge", "update"], events.Select(e => e.Kind.Value));
        Assert.Equal([2u], events[1].ClientIds);
        Assert.NotNull(await _f.Store.GetMergeRecordAsync(new EventRef(main, new EventSeq(2))));

        // Broadcast as an ordinary sync update to every connection (no sender to skip), in seq order.
        var broadcasts = _f.Broadcaster.Syncs.Where(b => b.Branch == main && SyncMessage.Read(b.Message).Type == SyncMessageType.Update).ToList();
        Assert.Equal(events.Select(e => SyncMessage.EncodeUpdate(e.Payload)), broadcasts.Select(b => b.Message));
        Assert.Null(broadcasts[1].Except);
        Assert.Equal(await _f.LogTextAsync("main"), await _f.LiveTextAsync("main"));
        Assert.Contains("MERGED", await _f.LiveTextAsync("main"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_domain_event_expecting_another_head_is_refused_and_changes_nothing()
    {
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(typist, "ab"));
        var other = new YDoc(new YDocOptions { ClientId = 2 });
        var moved = await Assert.ThrowsAsync<BranchMovedException>(() =>
            _f.Sessions.WriteDomainEventAsync(main, new DomainEvent(EventKind.Revert, TextEdits.Append(other, "X"), "alice") { ExpectedHead = 0 }, default));
        Assert.Equal(1, moved.Head);
        Assert.Equal("ab", await _f.LiveTextAsync("main"));
        Assert.Equal(1, (await _f.Store.GetHeadAsync(main)).Seq.Value);
    }

    [Fact]
    public async Task a_domain_event_that_changes_nothing_writes_nothing()
    {
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 1 });
        var update = TextEdits.Append(typist, "ab");
        await _f.SendAsync("main", "c1", update);
        var written = await _f.Sessions.WriteDomainEventAsync(main, new DomainEvent(EventKind.Resolution, update, "alice"), default);
        Assert.Null(written.Seq);
        Assert.Equal(1, (await _f.Store.GetHeadAsync(main)).Seq.Value);
    }

    [Fact]
    public async Task a_record_only_event_is_written_with_its_record_in_the_chain_and_sends_nothing()
    {
        var main = BranchingFixture.Ref("main");
        var typist = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(typist, "ab"));
        var syncsBefore = _f.Broadcaster.Syncs.Count;
        var record = new DomainRecord("proposal.opened", new Dictionary<string, string> { ["title"] = "T" });
        var written = await _f.Sessions.WriteDomainEventAsync(main, DomainEvent.RecordOnly(new EventKind("proposal"), record, "alice"), default);

        Assert.Equal(2, written.Seq);
        var stored = (await _f.Store.ReadPageAsync(main, new EventSeq(2), 1)).Single();
        Assert.Equal("proposal", stored.Kind.Value);
        Assert.Equal("proposal.opened", stored.Record!.Type);
        Assert.Equal("T", stored.Record.Fields["title"]);
        Assert.Equal(syncsBefore, _f.Broadcaster.Syncs.Count);
        Assert.Equal("ab", await _f.LiveTextAsync("main"));
        Assert.True((await _f.Store.VerifyAsync(main)).IsValid);
    }
}
