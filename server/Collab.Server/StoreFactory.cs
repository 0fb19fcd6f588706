using Collab.Documents.Sessions;
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

    public static IEventStore Create(CollabServerOptions options, LiveSessionOptions sessions)
    {
        // The session's document size is an estimate between snapshots: leave snapshots twice the room.
        var maxSnapshotBytes = Math.Max(64 * 1024 * 1024, 2 * sessions.MaxDocumentBytes);
        if (options.InMemory) return new InMemoryEventStore(new EventStoreOptions { MaxPayloadBytes = LiteDbEventStoreOptions.MaxPayloadLimit, MaxSnapshotBytes = maxSnapshotBytes });
        Directory.CreateDirectory(options.DataFolder);
        // Reopens its files after a failed write (a full disk): writes are refused as unavailable meanwhile, reads go on,
        // and writing resumes by itself once there is space again.
        return new ReopeningLiteDbEventStore(new LiteDbEventStoreOptions
        {
            Path = Path.Combine(options.DataFolder, LogFile),
            // Updates are capped lower (Limits.MaxUpdateBytes) so that what the document emits for one fits; snapshots have their own limit.
            MaxPayloadBytes = LiteDbEventStoreOptions.MaxPayloadLimit,
            MaxSnapshotBytes = maxSnapshotBytes,
            Durability = options.Durability,
        });
    }
}
