using Collab.EventStore.LiteDb;
using Xunit.Abstractions;

namespace Collab.EventStore.Tests;

/// <summary>
/// The store on a full disk: appends are refused with a retryable error and no acknowledgement, reads keep working,
/// nothing acknowledged is lost or corrupted, and writing resumes once space returns.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output)
{
    private static readonly DocumentId Doc = new("full");
    private static readonly BranchRef Main = BranchRef.MainOf(Doc);

    private static NewEvent Ev(string id, int size)
    {
        var payload = new byte[size];
        new Random(id.GetHashCode(StringComparison.Ordinal)).NextBytes(payload);
        return new NewEvent(EventKind.Update, payload, "alice") { ClientUpdateId = id };
    }

    [Fact]
    public async Task a_full_disk_refuses_appends_keeps_reads_and_writing_resumes_when_space_returns()
    {
        using var disk = SmallDisk.Create(megabytes: 8);
        output.WriteLine(disk.IsReal ? $"tmpfs at {disk.Folder}" : "mount not permitted: emulated ENOSPC streams");
        disk.Fill("ballast", 2 * 1024 * 1024);
        var options = new LiteDbEventStoreOptions { Path = Path.Combine(disk.Folder, Guid.NewGuid().ToString("N") + ".db"), CheckpointBytes = 256 * 1024 };
        var acked = new Dictionary<string, byte[]>();
        var refused = new List<string>();
        await using (var store = disk.OpenStore(options))
        {
            await store.CreateDocumentAsync(Doc, "alice");

            // Fill the disk with the store's own writes, so that ENOSPC lands wherever it lands: in a commit's pages,
            // its fsync, or a checkpoint growing the data file.
            for (var i = 0; i < 2_000 && refused.Count == 0; i++)
            {
                var batch = new[] { Ev($"a{i}", 24 * 1024), Ev($"b{i}", 24 * 1024) };
                try
                {
                    var result = await store.AppendAsync(Main, batch);
                    foreach (var (e, stored) in batch.Zip(result.Events)) acked[e.ClientUpdateId!] = stored.Payload.ToArray();
                }
                catch (EventStoreException ex)
                {
                    Assert.Equal(EventStoreError.StoreUnavailable, ex.Error);
                    refused.AddRange(batch.Select(e => e.ClientUpdateId!));
                }
            }

            Assert.NotEmpty(refused);
            Assert.True(acked.Count > 10, $"only {acked.Count} events fitted");
            output.WriteLine($"{acked.Count} events acknowledged before the disk was full");

            // Whatever room the refused write left is taken too: from here the disk is full for certain.
            disk.Fill("filler");
            for (var i = 0; i < 3; i++)
            {
                var e = Ev($"full{i}", 100);
                var ex = await Assert.ThrowsAsync<EventStoreException>(() => AppendEventuallyRefusedAsync(store, e));
                Assert.Equal(EventStoreError.StoreUnavailable, ex.Error);
                refused.Add(e.ClientUpdateId!);
            }

            // Reads keep working on the full disk, and the chain is whole.
            await AssertContentAsync(store, acked);

            // Space returns: the refused events go in on retry (same ids), each once.
            disk.Free("filler");
            disk.Free("ballast");
            foreach (var id in refused)
            {
                var e = Ev(id, id.StartsWith("full", StringComparison.Ordinal) ? 100 : 24 * 1024);
                var result = await RetryAsync(() => store.AppendAsync(Main, [e]));
                acked[id] = result.Events[0].Payload.ToArray();
            }

            await store.AppendAsync(Main, [Ev("after", 100)]);
            acked["after"] = Ev("after", 100).Payload.ToArray();
            Assert.True(store.Reopens >= 1);
            output.WriteLine($"reopened {store.Reopens} times");
            await AssertContentAsync(store, acked);
        }

        // And the files open cleanly afterwards with everything in them.
        await using var reopened = disk.OpenStore(options);
        await AssertContentAsync(reopened, acked);
    }

    /// <summary>An append on a full disk; the first attempts may meet the reopen of the previous failure.</summary>
    private static async Task AppendEventuallyRefusedAsync(IEventStore store, NewEvent e)
    {
        await store.AppendAsync(Main, [e]);
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (EventStoreException ex) when (ex.Error == EventStoreError.StoreUnavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task AssertContentAsync(IEventStore store, Dictionary<string, byte[]> acked)
    {
        var verification = await RetryAsync(() => store.VerifyAsync(Main));
        Assert.True(verification.IsValid, verification.FirstBroken?.Reason);
        var events = new List<StoredEvent>();
        await foreach (var e in store.ReadAsync(Main, new EventSeq(1), EventSeq.MaxValue)) events.Add(e);
        Assert.Equal(verification.EventsChecked, events.Count);
        Assert.Equal(events.Count, events.Select(e => e.ClientUpdateId).Distinct().Count());
        var stored = events.ToDictionary(e => e.ClientUpdateId!, e => e.Payload.ToArray());
        foreach (var (id, payload) in acked)
        {
            Assert.True(stored.TryGetValue(id, out var got), $"acknowledged event {id} is missing");
            Assert.Equal(payload, got);
        }
    }
}
