namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    [Fact]
    public async Task many_concurrent_appenders_to_one_branch_get_gapless_unique_seqs()
    {
        const int writers = 24, perWriter = 20;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                if (i % 5 == 4)
                {
                    var batch = await Store.AppendAsync(Main, [Ev($"w{w}-{i}a"), Ev($"w{w}-{i}b")]);
                    Assert.Equal(batch.Events[0].Seq.Value + 1, batch.Events[1].Seq.Value);
                    foreach (var e in batch.Events) acknowledged.Add(e.Seq.Value);
                }
                else
                {
                    acknowledged.Add((await Store.AppendAsync(Main, Ev($"w{w}-{i}"))).Seq.Value);
                }
            }
        })));

        var total = writers * (perWriter + perWriter / 5);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), acknowledged.Order());
        var all = await ReadAllAsync(Main);
        Assert.Equal(total, all.Count);
        AssertGaplessChain(all, EventChain.Genesis(Doc));
        Assert.True((await Store.VerifyAsync(Main)).IsValid);
    }

    [Fact]
    public async Task an_append_with_a_stale_expected_head_is_refused_and_stores_nothing()
    {
        await AppendManyAsync(Main, 3);
        var ok = await Store.AppendAsync(Main, [Ev("x")], new EventSeq(3));
        Assert.Equal(4, ok.Head.Seq.Value);
        var ex = await Refused(EventStoreError.ExpectedSeqMismatch, () => Store.AppendAsync(Main, [Ev("y")], new EventSeq(3)));
        Assert.Contains("expected seq 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, (await Store.GetHeadAsync(Main)).Seq.Value);
        Assert.Equal(5, (await Store.AppendAsync(Main, [Ev("z")], new EventSeq(4))).Head.Seq.Value);
    }

    [Fact]
    public async Task of_concurrent_appends_expecting_the_same_head_exactly_one_wins()
    {
        await AppendManyAsync(Main, 2);
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.AppendAsync(Main, [Ev($"c{i}")], new EventSeq(2));
                return true;
            }
            catch (EventStoreException e) when (e.Error == EventStoreError.ExpectedSeqMismatch)
            {
                return false;
            }
        })).ToArray();
        var outcomes = await Task.WhenAll(attempts);
        Assert.Equal(1, outcomes.Count(o => o));
        Assert.Equal(3, (await Store.GetHeadAsync(Main)).Seq.Value);
    }

    [Fact]
    public async Task a_retried_update_id_stores_nothing_and_returns_the_first_result()
    {
        var first = await Store.AppendAsync(Main, [Ev("hello", "upd-1")]);
        await Store.AppendAsync(Main, Ev("other"));
        var retry = await Store.AppendAsync(Main, [Ev("hello", "upd-1")], expectedHead: new EventSeq(0));
        Assert.True(retry.WasDuplicate);
        Assert.Equal(first.Events[0].Seq, retry.Events[0].Seq);
        Assert.Equal(first.Events[0].Hash, retry.Events[0].Hash);
        Assert.Equal(first.Events[0].ServerTime, retry.Events[0].ServerTime);
        Assert.Equal(2, (await Store.GetHeadAsync(Main)).Seq.Value);
        Assert.Equal(2, (await ReadAllAsync(Main)).Count);
    }

    [Fact]
    public async Task concurrent_retries_of_one_update_id_store_it_once()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => Store.AppendAsync(Main, [Ev("same", "upd-x")]))));
        Assert.Single(results.Select(r => r.Events[0].Seq).Distinct());
        Assert.Equal(1, results.Count(r => !r.WasDuplicate));
        Assert.Single(await ReadAllAsync(Main));
    }

    [Fact]
    public async Task a_batch_mixing_a_retry_and_new_events_stores_only_the_new_ones()
    {
        await Store.AppendAsync(Main, [Ev("a", "u-a")]);
        var result = await Store.AppendAsync(Main, [Ev("a", "u-a"), Ev("b", "u-b"), Ev("b", "u-b")]);
        Assert.Equal(1, result.AppendedCount);
        Assert.Equal([1L, 2L, 2L], result.Events.Select(e => e.Seq.Value));
        Assert.Equal(["a", "b"], (await ReadAllAsync(Main)).Select(Text));
    }

    [Fact]
    public async Task the_same_update_id_with_other_bytes_is_an_idempotency_conflict()
    {
        await Store.AppendAsync(Main, [Ev("hello", "upd-1")]);
        var ex = await Refused(EventStoreError.IdempotencyConflict, () => Store.AppendAsync(Main, [Ev("HELLO", "upd-1")]));
        Assert.Contains("upd-1", ex.Message, StringComparison.Ordinal);
        await Refused(EventStoreError.IdempotencyConflict, () => Store.AppendAsync(Main, [Ev("x", "upd-2"), Ev("y", "upd-2")]));
        Assert.Single(await ReadAllAsync(Main));
    }

    [Fact]
    public async Task update_ids_are_scoped_to_their_branch()
    {
        var fork = await Store.ForkAsync(Main, EventSeq.Zero, new BranchName("f"), "bob");
        await Store.AppendAsync(Main, [Ev("m", "same-id")]);
        var onFork = await Store.AppendAsync(fork.Ref, [Ev("f", "same-id")]);
        Assert.False(onFork.WasDuplicate);
        Assert.Equal(fork.Ref, onFork.Events[0].Branch);
    }

    [Fact]
    public async Task a_bad_request_among_concurrent_good_ones_fails_alone()
    {
        var options = NewOptions();
        var tasks = new List<Task>();
        var bad = new List<Task>();
        for (var i = 0; i < 60; i++)
        {
            if (i % 6 == 3)
            {
                bad.Add(Task.Run(() => Store.AppendAsync(Main, [Ev("ok"), new NewEvent(EventKind.Update, new byte[options.MaxPayloadBytes + 1], "eve")])));
            }
            else if (i % 6 == 5)
            {
                bad.Add(Task.Run(() => Store.AppendAsync(new BranchRef(Doc, new BranchName("ghost")), [Ev("lost")])));
            }
            else
            {
                var n = i;
                tasks.Add(Task.Run(() => Store.AppendAsync(Main, Ev($"good{n}"))));
            }
        }

        await Task.WhenAll(tasks);
        foreach (var task in bad) await Assert.ThrowsAsync<EventStoreException>(() => task);
        var all = await ReadAllAsync(Main);
        Assert.Equal(tasks.Count, all.Count);
        Assert.All(all, e => Assert.StartsWith("good", Text(e), StringComparison.Ordinal));
        Assert.True((await Store.VerifyAsync(Main)).IsValid);
    }
}
