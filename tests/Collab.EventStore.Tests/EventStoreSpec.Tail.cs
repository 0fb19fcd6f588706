namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    [Fact]
    public async Task a_tail_subscription_delivers_every_later_event_once_in_order_while_appends_go_on()
    {
        await AppendManyAsync(Main, 5, "before");
        const int writers = 8, perWriter = 40;
        var total = 5 + writers * perWriter;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var fromStart = Collect(Main, EventSeq.Zero, total, cts.Token);
        var fromThree = Collect(Main, new EventSeq(3), total - 3, cts.Token);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++) await Store.AppendAsync(Main, Ev($"w{w}-{i}"));
        })));

        var all = await ReadAllAsync(Main);
        Assert.Equal(all.Select(e => e.Hash), (await fromStart).Select(e => e.Hash));
        Assert.Equal(all.Skip(3).Select(e => e.Hash), (await fromThree).Select(e => e.Hash));
    }

    [Fact]
    public async Task a_tail_subscription_on_a_fork_reads_the_ancestry_then_waits_for_own_events()
    {
        await AppendManyAsync(Main, 3, "m");
        var fork = await Store.ForkAsync(Main, new EventSeq(2), new BranchName("tail"), "bob");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var tail = Collect(fork.Ref, EventSeq.Zero, 4, cts.Token);
        await AppendManyAsync(Main, 2, "ignored");
        await AppendManyAsync(fork.Ref, 2, "f");
        Assert.Equal(["m0", "m1", "f0", "f1"], (await tail).Select(Text));
    }

    [Fact]
    public async Task a_tail_subscription_ends_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var enumerator = Store.SubscribeAsync(Main, EventSeq.Zero, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = enumerator.MoveNextAsync().AsTask();
        await Task.Delay(50);
        Assert.False(next.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
        await enumerator.DisposeAsync();
        await Refused(EventStoreError.BranchNotFound, async () =>
        {
            await foreach (var e in Store.SubscribeAsync(new BranchRef(Doc, new BranchName("ghost")), EventSeq.Zero)) Assert.Fail("no events expected");
        });
    }

    [Fact]
    public async Task disposing_the_store_ends_subscriptions_and_refuses_writes()
    {
        var store = await CreateStoreAsync(NewOptions());
        await store.CreateDocumentAsync(Doc, "alice");
        await store.AppendAsync(Main, Ev("a"));
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        var tail = Task.Run(async () =>
        {
            await foreach (var e in store.SubscribeAsync(Main, EventSeq.Zero))
            {
                received++;
                first.TrySetResult();
            }
        });
        await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await store.DisposeAsync();
        await tail.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, received);
        await Refused(EventStoreError.StoreUnavailable, () => store.AppendAsync(Main, [Ev("b")]));
        await store.DisposeAsync();
    }

    private async Task<List<StoredEvent>> Collect(BranchRef branch, EventSeq after, int count, CancellationToken cancellationToken)
    {
        var list = new List<StoredEvent>();
        if (count == 0) return list;
        await foreach (var e in Store.SubscribeAsync(branch, after, cancellationToken))
        {
            list.Add(e);
            if (list.Count == count) break;
        }

        return list;
    }
}
