using System.Text;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests;

/// <summary>Forks made durable through the fork journal (LiteDbEventStore.Forks.cs) and copied into LiteDB later.</summary>
public sealed class ForkJournalTests : IDisposable
{
    private static readonly DocumentId Doc = new("forks");
    private static readonly BranchRef Main = BranchRef.MainOf(Doc);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NewEvent Ev(string text) => new(EventKind.Update, Encoding.UTF8.GetBytes(text), "alice");

    private LiteDbEventStoreOptions Options(int limit = 256) => new() { Path = _dir.File("forks.db"), ForkJournalLimit = limit };

    private sealed class Disk
    {
        public CrashableStream Data { get; private set; } = new();

        public CrashableStream Log { get; private set; } = new();

        public CrashableStream Forks { get; private set; } = new();

        public LiteDbEventStore Open(LiteDbEventStoreOptions options) => new(options, Data, Log, Forks);

        /// <summary>A power cut: only what was synced is left, on fresh streams.</summary>
        public Disk AfterPowerCut() => new() { Data = new(Data.DurableImage), Log = new(Log.DurableImage), Forks = new(Forks.DurableImage) };
    }

    [Fact]
    public async Task a_fork_alone_is_journaled_not_committed_to_litedb_and_survives_a_power_cut()
    {
        var options = Options();
        var disk = new Disk();
        var store = disk.Open(options);
        await store.CreateDocumentAsync(Doc, "alice");
        for (var i = 0; i < 10; i++) await store.AppendAsync(Main, Ev($"m{i}"));
        var logSyncs = disk.Log.Syncs;
        var logLength = disk.Log.Length;

        var fork = await store.ForkAsync(Main, new EventSeq(4), new BranchName("draft"), "bob");

        Assert.Equal(logSyncs, disk.Log.Syncs);
        Assert.Equal(logLength, disk.Log.Length);
        Assert.Equal(1, store.PendingForkCount);
        Assert.True(disk.Forks.DurableImage.Length > 0);
        Assert.Equal(fork, await store.GetBranchAsync(fork.Ref));
        Assert.Equal(["draft", "main"], (await store.ListBranchesAsync(Doc)).Select(b => b.Ref.Branch.Value));

        // Power cut with the fork only in the fork journal.
        var after = disk.AfterPowerCut();
        await store.DisposeAsync();
        await using var reopened = after.Open(options);
        var recovered = await reopened.GetBranchAsync(fork.Ref);
        Assert.Equal(fork, recovered);
        Assert.Equal(0, reopened.PendingForkCount);
        Assert.Empty(after.Forks.DurableImage);
        Assert.Equal((await reopened.GetDigestAsync(Main, new EventSeq(4))).Hash, recovered!.ForkHash);
        Assert.True((await reopened.VerifyAsync(fork.Ref)).IsValid);
        var appended = await reopened.AppendAsync(fork.Ref, Ev("d0"));
        Assert.Equal(5, appended.Seq.Value);
        Assert.Equal(["draft", "main"], (await reopened.ListBranchesAsync(Doc)).Select(b => b.Ref.Branch.Value));
    }

    [Fact]
    public async Task the_next_commit_copies_journaled_forks_into_litedb_and_empties_the_journal()
    {
        var options = Options();
        var disk = new Disk();
        var store = disk.Open(options);
        await store.CreateDocumentAsync(Doc, "alice");
        await store.AppendAsync(Main, Ev("m0"));
        var a = await store.ForkAsync(Main, new EventSeq(1), new BranchName("a"), "bob");
        var b = await store.ForkAsync(a.Ref, new EventSeq(1), new BranchName("b"), "bob");
        Assert.Equal(2, store.PendingForkCount);

        // An append to the newest fork: its commit carries both branch documents.
        await store.AppendAsync(b.Ref, Ev("b0"));
        Assert.Equal(0, store.PendingForkCount);
        Assert.Equal(0, disk.Forks.Length);
        Assert.Equal(["a", "b", "main"], (await store.ListBranchesAsync(Doc)).Select(x => x.Ref.Branch.Value));

        // The fork journal is empty on disk too, yet everything is there after a power cut.
        var after = disk.AfterPowerCut();
        await store.DisposeAsync();
        await using var reopened = after.Open(options);
        Assert.Equal(a, await reopened.GetBranchAsync(a.Ref));
        Assert.Equal(2, (await reopened.GetHeadAsync(b.Ref)).Seq.Value);
        Assert.True((await reopened.VerifyAsync(b.Ref)).IsValid);
    }

    [Fact]
    public async Task many_waiting_forks_are_copied_in_a_batch_and_a_name_stays_taken_throughout()
    {
        var options = Options(limit: 4);
        var disk = new Disk();
        await using var store = disk.Open(options);
        await store.CreateDocumentAsync(Doc, "alice");
        for (var i = 0; i < 10; i++)
        {
            await store.ForkAsync(Main, EventSeq.Zero, new BranchName($"f{i}"), "bob");
            // The writer copies a full batch after acknowledging the fork that filled it, before its next operation:
            // right after an ack up to 4 may wait; once a later fork is acknowledged, the batch before it is gone.
            Assert.True(store.PendingForkCount <= 4, $"{store.PendingForkCount} forks waiting after fork {i}");
            if (i is 4 or 8) Assert.Equal(1, store.PendingForkCount);
            var taken = await Assert.ThrowsAsync<EventStoreException>(() => store.ForkAsync(Main, EventSeq.Zero, new BranchName($"f{i}"), "carol"));
            Assert.Equal(EventStoreError.BranchAlreadyExists, taken.Error);
        }

        Assert.Equal(2, store.PendingForkCount);
        var names = (await store.ListBranchesAsync(Doc)).Select(x => x.Ref.Branch.Value).ToList();
        Assert.Equal(["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "main"], names);
    }

    [Fact]
    public async Task a_torn_record_at_the_end_of_the_fork_journal_is_dropped_and_the_whole_ones_kept()
    {
        var options = Options();
        var disk = new Disk();
        var store = disk.Open(options);
        await store.CreateDocumentAsync(Doc, "alice");
        await store.AppendAsync(Main, Ev("m0"));
        var kept = await store.ForkAsync(Main, new EventSeq(1), new BranchName("kept"), "bob");
        await store.ForkAsync(Main, new EventSeq(1), new BranchName("torn"), "bob");
        var image = disk.Forks.DurableImage;
        var after = disk.AfterPowerCut();
        await store.DisposeAsync();

        // The second record was half written when the power went (so it was never acknowledged).
        var forks = new CrashableStream(image[..(image.Length - 40)]);
        await using (var reopened = new LiteDbEventStore(options, after.Data, after.Log, forks))
        {
            Assert.Equal(kept, await reopened.GetBranchAsync(kept.Ref));
            Assert.Null(await reopened.GetBranchAsync(new BranchRef(Doc, new BranchName("torn"))));
            Assert.Empty(forks.DurableImage);

            // The name is free again, and a new fork journals after the cut.
            await reopened.ForkAsync(Main, EventSeq.Zero, new BranchName("torn"), "carol");
        }
    }

    [Fact]
    public async Task journaled_forks_survive_a_clean_close_and_reopen_from_files()
    {
        var options = Options();
        BranchInfo fork;
        await using (var store = new LiteDbEventStore(options))
        {
            await store.CreateDocumentAsync(Doc, "alice");
            await store.AppendAsync(Main, Ev("m0"));
            fork = await store.ForkAsync(Main, new EventSeq(1), new BranchName("f"), "bob");
            Assert.Equal(1, store.PendingForkCount);
            Assert.True(new FileInfo(options.ForkJournalPath).Length > 0);
        }

        Assert.Equal(0, new FileInfo(options.ForkJournalPath).Length);
        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Equal(fork, await store.GetBranchAsync(fork.Ref));
            Assert.Equal(0, store.PendingForkCount);
        }
    }
}
