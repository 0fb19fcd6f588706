using System.Text;

namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    private static NewEvent RecordOnly(string kind, string type, string author = "erin") =>
        new(new EventKind(kind), new byte[] { 0, 0 }, author) { Record = new DomainRecord(type, new Dictionary<string, string> { ["title"] = type + "-title" }) };

    /// <summary>main: 1–3 updates, 4 merge, 5–6 updates, 7 update, 8 proposal record, 9 update with a record, 10 revert, 11 resolution, 12–13 updates; feature (forked at 2): 3–4 updates, 5 protection record.</summary>
    private async Task<BranchInfo> DomainEventHistoryAsync()
    {
        await AppendManyAsync(Main, 3);
        var feature = await Store.ForkAsync(Main, new EventSeq(2), new BranchName("feature"), "bob");
        await AppendManyAsync(feature.Ref, 2, "f");
        var merge = await Store.AppendAsync(Main, new NewEvent(EventKind.Merge, Encoding.UTF8.GetBytes("merged"), "carol")
        {
            Merge = Draft(await Store.GetHeadAsync(feature.Ref), await Store.GetDigestAsync(Main, new EventSeq(2))),
        });
        await AppendManyAsync(Main, 2, "m");
        await Store.AppendAsync(Main,
        [
            Ev("x"),
            RecordOnly("proposal", "proposal.opened"),
            new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes("noted"), "alice") { Record = new DomainRecord("note", new Dictionary<string, string>()) },
            new NewEvent(EventKind.Revert, Encoding.UTF8.GetBytes("undo"), "alice"),
        ]);
        await Store.AppendAsync(Main, new NewEvent(EventKind.Resolution, Encoding.UTF8.GetBytes("fix"), "dave")
        {
            Resolution = new ResolutionRecordDraft(merge.Ref, [new ConflictDecision("c1", "ours", null)]),
        });
        await Store.AppendAsync(feature.Ref, RecordOnly("branch", "branch.protected", "alice"));
        await AppendManyAsync(Main, 2, "n");
        return feature;
    }

    private async Task<List<StoredEvent>> ScanDomainEventsAsync(BranchRef branch) =>
        (await ReadAllAsync(branch)).Where(e => e.Branch == branch && DomainEvents.Is(e)).ToList();

    private static (EventRef, EventHash, string, EventRecordKind, string?, string) Shape(StoredEvent e) =>
        (e.Ref, e.Hash, e.Kind.Value, e.RecordKind, e.Record?.Type, Convert.ToHexString(e.Payload.Span));

    [Fact]
    public async Task domain_events_are_listed_as_a_scan_finds_them_own_events_only_in_pages()
    {
        var feature = await DomainEventHistoryAsync();

        var main = await Store.ListDomainEventsAsync(Main, EventSeq.Zero, 100);
        Assert.Equal([4L, 8, 9, 10, 11], main.Select(e => e.Seq.Value));
        Assert.Equal((await ScanDomainEventsAsync(Main)).Select(Shape), main.Select(Shape));
        Assert.Equal("proposal.opened-title", main[1].Record!.Fields["title"]);
        Assert.Equal(EventRecordKind.Merge, main[0].RecordKind);
        Assert.Equal(EventRecordKind.Resolution, main[4].RecordKind);

        var own = await Store.ListDomainEventsAsync(feature.Ref, EventSeq.Zero, 100);
        Assert.Equal([5L], own.Select(e => e.Seq.Value));
        Assert.Equal((await ScanDomainEventsAsync(feature.Ref)).Select(Shape), own.Select(Shape));

        // Pages: after a seq, at most maxCount.
        Assert.Equal([4L, 8], (await Store.ListDomainEventsAsync(Main, EventSeq.Zero, 2)).Select(e => e.Seq.Value));
        Assert.Equal([9L, 10], (await Store.ListDomainEventsAsync(Main, new EventSeq(8), 2)).Select(e => e.Seq.Value));
        Assert.Equal([11L], (await Store.ListDomainEventsAsync(Main, new EventSeq(10), 2)).Select(e => e.Seq.Value));
        Assert.Empty(await Store.ListDomainEventsAsync(Main, new EventSeq(11), 2));

        // A fork made after them has none of its own.
        var later = await Store.ForkAsync(Main, (await Store.GetHeadAsync(Main)).Seq, new BranchName("later"), "bob");
        Assert.Empty(await Store.ListDomainEventsAsync(later.Ref, EventSeq.Zero, 100));

        var missing = await Assert.ThrowsAsync<EventStoreException>(() => Store.ListDomainEventsAsync(new BranchRef(Doc, new BranchName("nope")), EventSeq.Zero, 10));
        Assert.Equal(EventStoreError.BranchNotFound, missing.Error);
        var count = await Assert.ThrowsAsync<EventStoreException>(() => Store.ListDomainEventsAsync(Main, EventSeq.Zero, 0));
        Assert.Equal(EventStoreError.InvalidArgument, count.Error);
    }

    [Fact]
    public async Task domain_events_are_listed_the_same_after_a_reopen()
    {
        var feature = await DomainEventHistoryAsync();
        var before = (await Store.ListDomainEventsAsync(Main, EventSeq.Zero, 100)).Select(Shape).ToList();

        _store = await ReopenAsync(Store);

        Assert.Equal(before, (await Store.ListDomainEventsAsync(Main, EventSeq.Zero, 100)).Select(Shape));
        Assert.Equal((await ScanDomainEventsAsync(feature.Ref)).Select(Shape), (await Store.ListDomainEventsAsync(feature.Ref, EventSeq.Zero, 100)).Select(Shape));
        var next = await Store.AppendAsync(Main, RecordOnly("settings", "settings.changed", "alice"));
        Assert.Equal(next.Ref, Assert.Single(await Store.ListDomainEventsAsync(Main, new EventSeq(11), 100)).Ref);
    }
}
