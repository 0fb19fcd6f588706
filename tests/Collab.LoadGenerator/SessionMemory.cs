using System.Globalization;
using Collab.Crdt.Document;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Collab.EventStore.LiteDb;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.LoadGenerator;

/// <summary>
/// <c>session-memory [documents] [--in-memory]</c>: the server memory an open, idle, small document costs — its live
/// session joined by one connection, with everything the store keeps for it — measured in process as the managed heap
/// after a full collection, before and after opening them, divided by the count. No network and no timing: the figure
/// does not depend on how loaded the machine is.
/// </summary>
internal static class SessionMemory
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var n) ? n : 2000;
        var inMemory = args.Contains("--in-memory");
        var folder = Path.Combine(Path.GetTempPath(), "collab-session-memory-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        IEventStore store = inMemory
            ? new InMemoryEventStore(new EventStoreOptions())
            : new LiteDbEventStore(new LiteDbEventStoreOptions { Path = Path.Combine(folder, "collab.db") });
        try
        {
            // Small documents: one update of "hello world" each, as a client would have typed it.
            var branches = new BranchRef[count];
            var content = 0;
            for (var i = 0; i < count; i++)
            {
                var id = new DocumentId($"mem-{i}");
                await store.CreateDocumentAsync(id, "owner");
                var doc = new YDoc(new YDocOptions { ClientId = (uint)(i + 1) });
                byte[]? update = null;
                doc.UpdateV1 += (u, _) => update = u;
                doc.GetText("text").Insert(0, "hello world");
                branches[i] = new BranchRef(id, BranchName.Main);
                await store.AppendAsync(branches[i], new NewEvent(EventKind.Update, update!, "owner") { ClientIds = [(uint)(i + 1)] });
                content = update!.Length;
            }

            var options = Microsoft.Extensions.Options.Options.Create(new LiveSessionOptions { IdleUnloadAfter = TimeSpan.FromHours(1) });
            await using var sessions = new SessionManager(store, new YDocFactory(), new NullBroadcaster(), options, TimeProvider.System, NullLogger<SessionManager>.Instance);
            // One warm-up document, so that what every first session allocates once (types, pools) is not counted.
            await sessions.JoinAsync(branches[0], new SessionCaller("warm", "owner", Collab.Documents.Access.DocumentRole.Editor), default);

            var before = Settled();
            for (var i = 1; i < count; i++)
            {
                await sessions.JoinAsync(branches[i], new SessionCaller($"c{i}", "owner", Collab.Documents.Access.DocumentRole.Editor), default);
            }
            var after = Settled();
            // An upper bound for a GC pause with all of them open: one full, blocking, compacting collection of the heap.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            var fullPause = GC.GetGCMemoryInfo(GCKind.FullBlocking).PauseDurations[0];
            var perDocument = (after - before) / (double)(count - 1);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count - 1:N0} open idle documents ({(inMemory ? "in-memory" : "LiteDB")} store), content {content} bytes each: {perDocument / 1024:F1} KiB per document (managed heap {before / 1048576.0:F1} -> {after / 1048576.0:F1} MiB); a full blocking compacting gen2 collection then pauses {fullPause.TotalMilliseconds:F1} ms"));
            GC.KeepAlive(sessions);
            return 0;
        }
        finally
        {
            await store.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static long Settled()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private sealed class NullBroadcaster : IBranchBroadcaster
    {
        public Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
