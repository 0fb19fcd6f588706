namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    [Fact]
    public async Task create_document_makes_an_empty_main_branch_at_genesis()
    {
        var doc = await Store.GetDocumentAsync(Doc);
        Assert.NotNull(doc);
        Assert.Equal("alice", doc.CreatedBy);
        Assert.Equal(EventChain.Genesis(Doc), doc.Genesis);
        var main = await Store.GetBranchAsync(Main);
        Assert.NotNull(main);
        Assert.Null(main.Parent);
        Assert.Equal(EventSeq.Zero, main.Head);
        Assert.Equal(doc.Genesis, main.HeadHash);
        Assert.Equal(BranchState.Open, main.State);
    }

    [Fact]
    public async Task creating_a_document_twice_is_refused()
    {
        await Refused(EventStoreError.DocumentAlreadyExists, () => Store.CreateDocumentAsync(Doc, "bob"));
    }

    [Fact]
    public async Task documents_are_listed_in_ordinal_order_with_keyset_paging()
    {
        foreach (var id in new[] { "b", "A", "a", "c" }) await Store.CreateDocumentAsync(new DocumentId(id), "alice");
        var first = await Store.ListDocumentsAsync(null, 3);
        Assert.Equal(["A", "a", "b"], first.Select(d => d.Id.Value));
        var rest = await Store.ListDocumentsAsync(first[^1].Id, 10);
        Assert.Equal(["c", "doc-1"], rest.Select(d => d.Id.Value));
    }

    [Fact]
    public async Task unknown_documents_and_branches_read_as_null()
    {
        Assert.Null(await Store.GetDocumentAsync(new DocumentId("nope")));
        Assert.Null(await Store.GetBranchAsync(new BranchRef(Doc, new BranchName("nope"))));
        Assert.Null(await Store.GetBranchAsync(BranchRef.MainOf(new DocumentId("nope"))));
    }

    [Fact]
    public async Task appends_get_gapless_seqs_linked_hashes_and_all_fields_back()
    {
        var first = await Store.AppendAsync(Main, Ev("one", "u1") with { SchemaVersion = 1 });
        var batch = await Store.AppendAsync(Main, [Ev("two"), Ev("three", author: "bob")]);
        Assert.Equal(1, first.Seq.Value);
        Assert.Equal([2L, 3L], batch.Events.Select(e => e.Seq.Value));
        Assert.Equal(2, batch.AppendedCount);
        Assert.Equal(new BranchDigest(Main, new EventSeq(3), batch.Events[1].Hash), batch.Head);

        var all = await ReadAllAsync(Main);
        AssertGaplessChain(all, EventChain.Genesis(Doc));
        Assert.Equal(["one", "two", "three"], all.Select(Text));
        Assert.Equal(first, all[0] with { Payload = first.Payload, ClientIds = first.ClientIds });
        Assert.Equal("u1", all[0].ClientUpdateId);
        Assert.Equal([7u, 42u], all[0].ClientIds);
        Assert.Equal("bob", all[2].Author);
        Assert.Equal(EventKind.Update, all[2].Kind);
        Assert.Equal(0, all[0].ServerTime.Offset.Ticks);
        Assert.Equal(0, all[0].ServerTime.Ticks % TimeSpan.TicksPerMillisecond);

        var head = await Store.GetHeadAsync(Main);
        Assert.Equal(all[2].Hash, head.Hash);
        Assert.True((await Store.VerifyAsync(Main)).IsValid);
    }

    [Fact]
    public async Task read_ranges_and_pages_return_exactly_the_asked_positions()
    {
        await AppendManyAsync(Main, 10);
        var range = new List<StoredEvent>();
        await foreach (var e in Store.ReadAsync(Main, new EventSeq(4), new EventSeq(6))) range.Add(e);
        Assert.Equal([4L, 5L, 6L], range.Select(e => e.Seq.Value));
        var page = await Store.ReadPageAsync(Main, new EventSeq(8), 100);
        Assert.Equal([8L, 9L, 10L], page.Select(e => e.Seq.Value));
        var limited = await Store.ReadPageAsync(Main, new EventSeq(1), 2);
        Assert.Equal([1L, 2L], limited.Select(e => e.Seq.Value));
        Assert.Empty(await Store.ReadPageAsync(Main, new EventSeq(11), 5));
    }

    [Fact]
    public async Task digests_name_the_hash_at_any_position_and_refuse_beyond_the_head()
    {
        await AppendManyAsync(Main, 5);
        var all = await ReadAllAsync(Main);
        Assert.Equal(all[2].Hash, (await Store.GetDigestAsync(Main, new EventSeq(3))).Hash);
        Assert.Equal(EventChain.Genesis(Doc), (await Store.GetDigestAsync(Main, EventSeq.Zero)).Hash);
        await Refused(EventStoreError.SeqBeyondHead, () => Store.GetDigestAsync(Main, new EventSeq(6)));
    }

    [Fact]
    public async Task branch_state_can_be_changed()
    {
        var fork = await Store.ForkAsync(Main, EventSeq.Zero, new BranchName("feature/x"), "bob");
        var merged = await Store.SetBranchStateAsync(fork.Ref, BranchState.Merged);
        Assert.Equal(BranchState.Merged, merged.State);
        Assert.Equal(BranchState.Merged, (await Store.GetBranchAsync(fork.Ref))!.State);
        var archived = await Store.SetBranchStateAsync(fork.Ref, BranchState.Archived);
        Assert.Equal(BranchState.Archived, archived.State);
        await Refused(EventStoreError.BranchNotFound, () => Store.SetBranchStateAsync(new BranchRef(Doc, new BranchName("none")), BranchState.Open));
    }

    [Fact]
    public async Task branches_are_listed_by_name()
    {
        await Store.ForkAsync(Main, EventSeq.Zero, new BranchName("zeta"), "bob");
        await Store.ForkAsync(Main, EventSeq.Zero, new BranchName("alpha"), "bob");
        var branches = await Store.ListBranchesAsync(Doc);
        Assert.Equal(["alpha", "main", "zeta"], branches.Select(b => b.Ref.Branch.Value));
        await Refused(EventStoreError.DocumentNotFound, () => Store.ListBranchesAsync(new DocumentId("nope")));
    }
}
