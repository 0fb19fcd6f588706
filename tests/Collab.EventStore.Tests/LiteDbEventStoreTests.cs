using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests;

public sealed class LiteDbEventStoreTests : EventStoreSpec
{
    private readonly TempDirectory _dir = new();
    private int _files;

    protected override EventStoreOptions NewOptions() => new LiteDbEventStoreOptions
    {
        Path = _dir.File($"store{Interlocked.Increment(ref _files)}.db"),
        MaxPayloadBytes = 4096,
        MaxSnapshotBytes = 64 * 1024,
        MaxEventsPerAppend = 64,
    };

    protected override Task<IEventStore> CreateStoreAsync(EventStoreOptions options) =>
        Task.FromResult<IEventStore>(new LiteDbEventStore((LiteDbEventStoreOptions)options));

    protected override async Task<IEventStore> TamperPayloadAsync(IEventStore store, EventRef target, byte[] payload)
    {
        var original = (await store.ReadPageAsync(target.Branch, target.Seq, 1))[0].Payload.ToArray();
        Assert.Equal(original.Length, payload.Length);
        var options = ((LiteDbEventStore)store).Options;
        await store.DisposeAsync();
        Assert.True(FileEdit.ReplaceAll(options.Path, original, payload) + FileEdit.ReplaceAll(options.LogPath, original, payload) > 0, "the payload bytes were not found in the files");
        return new LiteDbEventStore(options);
    }

    protected override async Task<IEventStore> TamperRecordTextAsync(IEventStore store, string original, string replacement)
    {
        var (find, replace) = (System.Text.Encoding.UTF8.GetBytes(original), System.Text.Encoding.UTF8.GetBytes(replacement));
        Assert.Equal(find.Length, replace.Length);
        var options = ((LiteDbEventStore)store).Options;
        await store.DisposeAsync();
        Assert.True(FileEdit.ReplaceAll(options.Path, find, replace) + FileEdit.ReplaceAll(options.LogPath, find, replace) > 0, "the record text was not found in the files");
        return new LiteDbEventStore(options);
    }

    protected override async Task<IEventStore> ReopenAsync(IEventStore store)
    {
        var options = ((LiteDbEventStore)store).Options;
        await store.DisposeAsync();
        return new LiteDbEventStore(options);
    }

    protected override Task DisposeBackendAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
