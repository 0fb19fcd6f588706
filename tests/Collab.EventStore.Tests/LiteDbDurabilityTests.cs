using System.Text;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests;

public sealed class LiteDbDurabilityTests : IDisposable
{
    private static readonly DocumentId Doc = new("durable");
    private static readonly BranchRef Main = BranchRef.MainOf(Doc);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NewEvent Ev(string text) => new(EventKind.Update, Encoding.UTF8.GetBytes(text), "alice") { ClientUpdateId = text[..Math.Min(text.Length, 32)] };

    [Fact]
    public async Task everything_survives_a_clean_reopen()
    {
        var options = new LiteDbEventStoreOptions { Path = _dir.File("reopen.db") };
        BranchDigest head, forkHead;
        await using (var store = new LiteDbEventStore(options))
        {
            await store.CreateDocumentAsync(Doc, "alice");
            for (var i = 0; i < 20; i++) await store.AppendAsync(Main, Ev($"m{i}"));
            var fork = await store.ForkAsync(Main, new EventSeq(10), new BranchName("f"), "bob");
            await store.AppendAsync(fork.Ref, Ev("f0"));
            await store.PutSnapshotAsync(fork.Ref, new EventSeq(11), new byte[] { 11 }, 1);
            await store.SetBranchStateAsync(fork.Ref, BranchState.Archived);
            head = await store.GetHeadAsync(Main);
            forkHead = await store.GetHeadAsync(fork.Ref);
        }

        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Equal(head, await store.GetHeadAsync(Main));
            var f = new BranchRef(Doc, new BranchName("f"));
            Assert.Equal(forkHead, await store.GetHeadAsync(f));
            Assert.Equal(BranchState.Archived, (await store.GetBranchAsync(f))!.State);
            Assert.Equal(11, (await store.GetNearestSnapshotAsync(f, EventSeq.MaxValue))!.Seq.Value);
            Assert.True((await store.VerifyAsync(f)).IsValid);
            Assert.True((await store.AppendAsync(Main, [Ev("m3")])).WasDuplicate);
            var g = await store.ForkAsync(Main, new EventSeq(5), new BranchName("g"), "carol");
            await store.AppendAsync(g.Ref, Ev("g0"));
            Assert.Equal(["m0", "m1", "m2", "m3", "m4", "g0"], (await store.ReadPageAsync(g.Ref, new EventSeq(1), 100)).Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
            Assert.Equal(["f0"], (await store.ReadPageAsync(f, new EventSeq(11), 100)).Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
        }
    }

    [Fact]
    public async Task a_snapshot_stored_in_pieces_survives_a_reopen()
    {
        var options = new LiteDbEventStoreOptions { Path = _dir.File("pieces.db"), MaxPayloadBytes = 4096 };
        var state = new byte[(10 * 4096) + 17];
        new Random(5).NextBytes(state);
        await using (var store = new LiteDbEventStore(options))
        {
            await store.CreateDocumentAsync(Doc, "alice");
            await store.AppendAsync(Main, Ev("m0"));
            await store.PutSnapshotAsync(Main, new EventSeq(1), state, 1);
        }

        await using (var store = new LiteDbEventStore(options))
        {
            var snapshot = await store.GetNearestSnapshotAsync(Main, EventSeq.MaxValue);
            Assert.Equal(state, snapshot!.State.ToArray());
            Assert.Equal((await store.GetHeadAsync(Main)).Hash, snapshot.Hash);
        }
    }

    [Fact]
    public async Task readers_see_nothing_of_a_commit_until_it_is_synced()
    {
        var log = new GatedStream();
        await using var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = _dir.File("unused.db") }, new CrashableStream(), log);
        var other = new DocumentId("other");
        await store.CreateDocumentAsync(other, "alice");
        await store.AppendAsync(BranchRef.MainOf(other), Ev("before"));

        log.Hold();
        var create = store.CreateDocumentAsync(Doc, "alice");
        var append = store.AppendAsync(BranchRef.MainOf(other), Ev("pending"));
        await log.Waiting.WaitAsync(TimeSpan.FromSeconds(30));
        var timeout = TimeSpan.FromSeconds(10);
        Assert.Null(await store.GetDocumentAsync(Doc).WaitAsync(timeout));
        Assert.Null(await store.GetBranchAsync(Main).WaitAsync(timeout));
        Assert.Equal(["other"], (await store.ListDocumentsAsync(null, 10).WaitAsync(timeout)).Select(d => d.Id.Value));
        Assert.Equal(1, (await store.GetHeadAsync(BranchRef.MainOf(other)).WaitAsync(timeout)).Seq.Value);
        Assert.Single(await store.ReadPageAsync(BranchRef.MainOf(other), new EventSeq(1), 10).WaitAsync(timeout));
        Assert.False(create.IsCompleted);

        log.Release();
        await create;
        await append;
        Assert.NotNull(await store.GetDocumentAsync(Doc));
        Assert.NotNull(await store.GetBranchAsync(Main));
        Assert.Equal(2, (await store.GetHeadAsync(BranchRef.MainOf(other))).Seq.Value);
    }

    [Theory]
    [InlineData(1024 * 1024)]
    [InlineData(64 * 1024)]
    public async Task with_fsync_every_acknowledged_append_survives_losing_unsynced_bytes(long checkpointBytes)
    {
        var (acknowledged, recovered, verified) = await CrashAfterAppends(Durability.Fsync, checkpointBytes);
        Assert.Equal(acknowledged, recovered);
        Assert.True(verified);
    }

    [Fact]
    public async Task without_fsync_acknowledged_appends_are_lost_with_unsynced_bytes()
    {
        // The control experiment: the same run without the log fsync loses acknowledged events, so the fsync is what keeps them.
        var (acknowledged, recovered, _) = await CrashAfterAppends(Durability.OsBuffered, 1024 * 1024);
        Assert.True(recovered < acknowledged, $"expected lost events without fsync, recovered {recovered} of {acknowledged}");
    }

    private async Task<(int Acknowledged, int Recovered, bool Verified)> CrashAfterAppends(Durability durability, long checkpointBytes)
    {
        var options = new LiteDbEventStoreOptions { Path = _dir.File("unused.db"), Durability = durability, CheckpointBytes = checkpointBytes };
        var data = new CrashableStream();
        var log = new CrashableStream();
        var store = new LiteDbEventStore(options, data, log);
        await store.CreateDocumentAsync(Doc, "alice");
        var payload = new string('x', 200);
        var acknowledged = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                await store.AppendAsync(Main, Ev($"{w}-{i}-{payload}"));
                Interlocked.Increment(ref acknowledged);
            }
        })));

        // The power cut: only what was synced is left.
        var dataImage = data.DurableImage;
        var logImage = log.DurableImage;
        await store.DisposeAsync();

        await using var reopened = new LiteDbEventStore(options, new CrashableStream(dataImage), new CrashableStream(logImage));
        if (await reopened.GetDocumentAsync(Doc) is null) return (acknowledged, 0, false);
        var head = await reopened.GetHeadAsync(Main);
        var verified = (await reopened.VerifyAsync(Main)).IsValid;
        return (acknowledged, (int)head.Seq.Value, verified);
    }
}
