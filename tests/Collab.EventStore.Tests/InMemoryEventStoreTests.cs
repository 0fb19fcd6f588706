using Collab.EventStore.InMemory;

namespace Collab.EventStore.Tests;

public sealed class InMemoryEventStoreTests : EventStoreSpec
{
    protected override EventStoreOptions NewOptions() => new() { MaxPayloadBytes = 4096, MaxSnapshotBytes = 64 * 1024, MaxEventsPerAppend = 64 };

    protected override Task<IEventStore> CreateStoreAsync(EventStoreOptions options) => Task.FromResult<IEventStore>(new InMemoryEventStore(options));

    protected override Task<IEventStore> TamperPayloadAsync(IEventStore store, EventRef target, byte[] payload)
    {
        ((InMemoryEventStore)store).TamperForTests(target, payload);
        return Task.FromResult(store);
    }

    protected override Task<IEventStore> TamperRecordTextAsync(IEventStore store, string original, string replacement)
    {
        Assert.True(((InMemoryEventStore)store).TamperRecordTextForTests(original, replacement) > 0, "the record text was not found");
        return Task.FromResult(store);
    }
}
