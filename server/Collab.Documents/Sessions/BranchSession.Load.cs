using System.Diagnostics;
using Collab.Crdt;
using Collab.Documents.History;
using Collab.EventStore;
using Microsoft.Extensions.Logging;

namespace Collab.Documents.Sessions;

internal sealed partial class BranchSession
{
    /// <summary>Snapshot payloads are whole-document Yjs v1 updates.</summary>
    public const int SnapshotFormat = DocumentReplayer.SnapshotFormat;

    /// <summary>
    /// Loads a branch: the nearest snapshot at or before the head (on the branch or its ancestry), then the events after
    /// it. Throws <see cref="CollabException"/> (not found) when the branch does not exist.
    /// </summary>
    public static async Task<BranchSession> LoadAsync(
        BranchRef branch,
        IEventStore store,
        ICrdtDocumentFactory documents,
        IBranchBroadcaster broadcaster,
        LiveSessionOptions options,
        TimeProvider time,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var info = await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"Branch '{branch.Branch}' of document '{branch.Document}' does not exist.");
        var head = info.Head;
        var doc = documents.Create();
        var session = new BranchSession(branch, doc, store, broadcaster, options, time, logger);
        try
        {
            long bytes = 0;
            // Snapshots are found across the ancestry, so one on a parent at the fork point serves this branch too.
            var stats = await new DocumentReplayer(store).ReplayAsync(
                branch,
                head,
                useSnapshots: true,
                update =>
                {
                    doc.Apply(update);
                    bytes += update.Length;
                },
                stored =>
                {
                    if (stored.ClientUpdateId is { } id) session._updateIds.Remember(id, stored.Seq.Value, update: null);
                },
                cancellationToken).ConfigureAwait(false);
            // Pending content is never carried over a load: nobody waits for it here (logs written before issue 13
            // may hold updates that were stored while they waited; their senders resend them when they resync).
            doc.ClearPending();
            session._head = head.Value;
            session._snapshotSeq = stats.SnapshotSeq.Value;
            session._documentBytes = bytes;
            DocumentsLog.SessionLoaded(logger, branch, head.Value, stats.SnapshotSeq.Value, stats.Replayed, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (YjsFormatException ex)
        {
            doc.Dispose();
            throw new InvalidOperationException($"The log of {branch} holds an update the engine cannot read: {ex.Message}", ex);
        }
        catch
        {
            doc.Dispose();
            throw;
        }
        session.Start();
        return session;
    }
}
