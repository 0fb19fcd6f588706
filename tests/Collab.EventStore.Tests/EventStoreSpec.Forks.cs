namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    [Fact]
    public async Task a_fork_at_zero_starts_from_genesis()
    {
        await AppendManyAsync(Main, 3);
        var fork = await Store.ForkAsync(Main, EventSeq.Zero, new BranchName("empty"), "bob");
        Assert.Equal(EventSeq.Zero, fork.Head);
        Assert.Equal(EventChain.Genesis(Doc), fork.ForkHash);
        Assert.Empty(await ReadAllAsync(fork.Ref));
        var first = await Store.AppendAsync(fork.Ref, Ev("own"));
        Assert.Equal(1, first.Seq.Value);
        Assert.Equal(EventChain.Genesis(Doc), first.PreviousHash);
        Assert.True((await Store.VerifyAsync(fork.Ref)).IsValid);
    }

    [Fact]
    public async Task a_fork_in_the_middle_reads_the_exact_parent_prefix_then_its_own_events()
    {
        await AppendManyAsync(Main, 6, "m");
        var fork = await Store.ForkAsync(Main, new EventSeq(4), new BranchName("mid"), "bob");
        await AppendManyAsync(Main, 2, "later");
        await AppendManyAsync(fork.Ref, 2, "f");
        var parent = await ReadAllAsync(Main);
        var view = await ReadAllAsync(fork.Ref);
        Assert.Equal(parent.Take(4).Select(Identity), view.Take(4).Select(Identity));
        Assert.All(view.Take(4), e => Assert.Equal(Main, e.Branch));
        Assert.Equal(["f0", "f1"], view.Skip(4).Select(Text));
        Assert.Equal([5L, 6L], view.Skip(4).Select(e => e.Seq.Value));
        Assert.Equal(parent[3].Hash, view[4].PreviousHash);
        Assert.Equal(parent[3].Hash, fork.ForkHash);
        AssertGaplessChain(view, EventChain.Genesis(Doc));
        Assert.True((await Store.VerifyAsync(fork.Ref)).IsValid);
        var window = new List<StoredEvent>();
        await foreach (var e in Store.ReadAsync(fork.Ref, new EventSeq(3), new EventSeq(5))) window.Add(e);
        Assert.Equal([Main, Main, fork.Ref], window.Select(e => e.Branch));
    }

    [Fact]
    public async Task a_fork_at_the_head_has_the_parent_head()
    {
        await AppendManyAsync(Main, 3);
        var head = await Store.GetHeadAsync(Main);
        var fork = await Store.ForkAsync(Main, head.Seq, new BranchName("at-head"), "bob");
        Assert.Equal(head.Seq, fork.Head);
        Assert.Equal(head.Hash, fork.HeadHash);
        Assert.Equal(Main, fork.Parent);
        Assert.Equal((await ReadAllAsync(Main)).Select(Identity), (await ReadAllAsync(fork.Ref)).Select(Identity));
    }

    [Fact]
    public async Task a_fork_of_a_fork_reads_through_both_ancestors()
    {
        await AppendManyAsync(Main, 5, "m");
        var a = await Store.ForkAsync(Main, new EventSeq(3), new BranchName("a"), "bob");
        await AppendManyAsync(a.Ref, 4, "a");
        var b = await Store.ForkAsync(a.Ref, new EventSeq(5), new BranchName("a/b"), "carol");
        await AppendManyAsync(b.Ref, 2, "b");
        await AppendManyAsync(a.Ref, 1, "late");
        var view = await ReadAllAsync(b.Ref);
        Assert.Equal(["m0", "m1", "m2", "a0", "a1", "b0", "b1"], view.Select(Text));
        Assert.Equal([Main, Main, Main, a.Ref, a.Ref, b.Ref, b.Ref], view.Select(e => e.Branch));
        AssertGaplessChain(view, EventChain.Genesis(Doc));
        Assert.True((await Store.VerifyAsync(b.Ref)).IsValid);
        var deep = await Store.ForkAsync(b.Ref, new EventSeq(2), new BranchName("deep"), "dan");
        Assert.Equal(["m0", "m1"], (await ReadAllAsync(deep.Ref)).Select(Text));
        Assert.Equal(view[1].Hash, deep.ForkHash);
    }

    [Fact]
    public async Task a_fork_beyond_the_head_is_refused()
    {
        await AppendManyAsync(Main, 2);
        await Refused(EventStoreError.SeqBeyondHead, () => Store.ForkAsync(Main, new EventSeq(3), new BranchName("x"), "bob"));
        await Refused(EventStoreError.InvalidArgument, () => Store.ForkAsync(Main, new EventSeq(-1), new BranchName("x"), "bob"));
        Assert.Null(await Store.GetBranchAsync(new BranchRef(Doc, new BranchName("x"))));
    }

    [Fact]
    public async Task of_two_concurrent_forks_with_one_name_exactly_one_wins()
    {
        await AppendManyAsync(Main, 3);
        var name = new BranchName("race");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            try
            {
                return await Store.ForkAsync(Main, new EventSeq(i % 4), name, $"user{i}");
            }
            catch (EventStoreException e) when (e.Error == EventStoreError.BranchAlreadyExists)
            {
                return null;
            }
        })));
        var winner = Assert.Single(attempts, a => a is not null);
        Assert.Equal(winner, await Store.GetBranchAsync(new BranchRef(Doc, name)));
    }

    [Fact]
    public async Task forks_of_unknown_branches_or_existing_names_are_refused()
    {
        await Refused(EventStoreError.BranchNotFound, () => Store.ForkAsync(new BranchRef(Doc, new BranchName("ghost")), EventSeq.Zero, new BranchName("x"), "bob"));
        await Refused(EventStoreError.DocumentNotFound, () => Store.ForkAsync(BranchRef.MainOf(new DocumentId("ghost")), EventSeq.Zero, new BranchName("x"), "bob"));
        await Refused(EventStoreError.BranchAlreadyExists, () => Store.ForkAsync(Main, EventSeq.Zero, BranchName.Main, "bob"));
    }

    [Fact]
    public async Task snapshots_are_found_at_or_before_a_position_across_the_ancestry()
    {
        await AppendManyAsync(Main, 10);
        var s4 = await Store.PutSnapshotAsync(Main, new EventSeq(4), new byte[] { 4 }, 1);
        await Store.PutSnapshotAsync(Main, new EventSeq(8), new byte[] { 8 }, 1);
        var fork = await Store.ForkAsync(Main, new EventSeq(6), new BranchName("snap"), "bob");
        await AppendManyAsync(fork.Ref, 4, "f");

        Assert.Null(await Store.GetNearestSnapshotAsync(Main, new EventSeq(3)));
        Assert.Equal(4, (await Store.GetNearestSnapshotAsync(Main, new EventSeq(7)))!.Seq.Value);
        Assert.Equal(8, (await Store.GetNearestSnapshotAsync(Main, EventSeq.MaxValue))!.Seq.Value);

        var inherited = await Store.GetNearestSnapshotAsync(fork.Ref, EventSeq.MaxValue);
        Assert.NotNull(inherited);
        Assert.Equal(4, inherited.Seq.Value);
        Assert.Equal(Main, inherited.Branch);
        Assert.Equal(s4.Hash, inherited.Hash);
        Assert.Equal((await ReadAllAsync(Main))[3].Hash, inherited.Hash);
        Assert.Equal([4], inherited.State.ToArray());

        var own = await Store.PutSnapshotAsync(fork.Ref, new EventSeq(9), new byte[] { 9 }, 2);
        Assert.Equal(fork.Ref, own.Branch);
        var nearest = await Store.GetNearestSnapshotAsync(fork.Ref, new EventSeq(10));
        Assert.Equal(9, nearest!.Seq.Value);
        Assert.Equal(2, nearest.FormatVersion);
        Assert.Equal(4, (await Store.GetNearestSnapshotAsync(fork.Ref, new EventSeq(8)))!.Seq.Value);

        var viaFork = await Store.PutSnapshotAsync(fork.Ref, new EventSeq(2), new byte[] { 2 }, 1);
        Assert.Equal(Main, viaFork.Branch);
        Assert.Equal(2, (await Store.GetNearestSnapshotAsync(Main, new EventSeq(3)))!.Seq.Value);
        await Refused(EventStoreError.SeqBeyondHead, () => Store.PutSnapshotAsync(Main, new EventSeq(11), new byte[] { 1 }, 1));
    }
}
