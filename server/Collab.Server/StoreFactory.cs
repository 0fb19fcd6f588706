using Collab.EventStore;
using Collab.EventStore.InMemory;
using Collab.Server.Options;

namespace Collab.Server;

/// <summary>Builds the configured event store.</summary>
internal static class StoreFactory
{
    public static IEventStore Create(CollabServerOptions options)
    {
        var storeOptions = new EventStoreOptions { MaxPayloadBytes = Math.Max(options.Limits.MaxUpdateBytes, 1024 * 1024) };
        if (options.InMemory) return new InMemoryEventStore(storeOptions);
        // TODO(store branch): LiteDB backend once it lands.
        return new InMemoryEventStore(storeOptions);
    }
}
