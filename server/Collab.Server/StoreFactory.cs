using Collab.EventStore;
using Collab.EventStore.InMemory;
using Collab.EventStore.LiteDb;
using Collab.Server.Options;

namespace Collab.Server;

/// <summary>Builds the configured event store: LiteDB under the data folder, or in memory.</summary>
internal static class StoreFactory
{
    /// <summary>The LiteDB file name inside the data folder.</summary>
    public const string LogFile = "collab.db";

    public static IEventStore Create(CollabServerOptions options)
    {
        if (options.InMemory) return new InMemoryEventStore(new EventStoreOptions { MaxPayloadBytes = LiteDbEventStoreOptions.MaxPayloadLimit });
        Directory.CreateDirectory(options.DataFolder);
        // Reopens its files after a failed write (a full disk): writes are refused as unavailable meanwhile, reads go on,
        // and writing resumes by itself once there is space again.
        return new ReopeningLiteDbEventStore(new LiteDbEventStoreOptions
        {
            Path = Path.Combine(options.DataFolder, LogFile),
            // Snapshots share this limit; updates are capped lower (Limits.MaxUpdateBytes) so an accepted update always fits.
            MaxPayloadBytes = LiteDbEventStoreOptions.MaxPayloadLimit,
            Durability = options.Durability,
        });
    }
}
