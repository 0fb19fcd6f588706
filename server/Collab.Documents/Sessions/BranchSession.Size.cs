using Collab.Crdt;
using Collab.Crdt.Updates;
using Collab.EventStore;

namespace Collab.Documents.Sessions;

/// <summary>
/// The per-document size limit and the snapshot back-off. Encoding the whole document to learn its size costs as much as
/// a snapshot, so the session keeps an estimate instead: the last exact size (from a snapshot, or measured when the
/// estimate nears the limit) plus every update the document emitted since. Applying an update grows an encoding by about
/// the update's own size, so the estimate is close; snapshots get twice the limit (see the store's MaxSnapshotBytes) to
/// cover what it misses.
/// </summary>
internal sealed partial class BranchSession
{
    private long _documentBytes;
    private bool _documentBytesExact;
    private int _snapshotFailures;

    /// <summary>The document's estimated encoded size in bytes.</summary>
    internal long DocumentBytes => Volatile.Read(ref _documentBytes);

    /// <summary>
    /// Whether <paramref name="work"/> may be applied without taking the document past
    /// <see cref="LiveSessionOptions.MaxDocumentBytes"/>; when not, its caller is refused (<c>too_large</c>) and the
    /// document stays as it is. An update that only deletes is always let through, so a full document can shrink.
    /// </summary>
    private bool AdmitSize(ApplyWork work)
    {
        var max = _options.MaxDocumentBytes;
        if (_documentBytes + work.Update.Length <= max) return true;
        if (!_documentBytesExact)
        {
            // Measured at most once per change of the document: refusals do not change it, so they cost nothing more.
            Measured(_doc.EncodeStateAsUpdate(null).Length);
            if (_documentBytes + work.Update.Length <= max) return true;
        }
        if (OnlyDeletes(work.Update)) return true;
        work.Done.TrySetException(new CollabException(
            CollabErrorCode.TooLarge,
            $"The document is {_documentBytes} bytes and may grow to at most {max} bytes; this update ({work.Update.Length} bytes) could take it past " +
            "that. Delete content, or continue in another document."));
        return false;
    }

    private static bool OnlyDeletes(byte[] update)
    {
        try
        {
            return YUpdate.Summarize(update).Inserted.Count == 0;
        }
        catch (YjsFormatException)
        {
            return true; // the apply that follows refuses it as malformed, with the decoder's reason
        }
    }

    /// <summary>Adds what the document emitted to the size estimate.</summary>
    private void Grew(IReadOnlyList<AppliedUpdate> emitted)
    {
        var bytes = _documentBytes;
        foreach (var update in emitted) bytes += update.Update.Length;
        Volatile.Write(ref _documentBytes, bytes);
        _documentBytesExact = false;
    }

    private void Measured(long bytes)
    {
        Volatile.Write(ref _documentBytes, bytes);
        _documentBytesExact = true;
    }

    /// <summary>
    /// A snapshot is due every <see cref="LiveSessionOptions.SnapshotEvery"/> events; after failures the interval doubles
    /// (up to 64 times), so that a store that keeps refusing does not cost a whole-document encoding per batch.
    /// </summary>
    private bool SnapshotDue() => _head - _snapshotSeq >= (long)_options.SnapshotEvery << Math.Min(_snapshotFailures, 6);

    private void SnapshotFailed(Exception ex)
    {
        _snapshotFailures++;
        var retryAfter = ((long)_options.SnapshotEvery << Math.Min(_snapshotFailures, 6)) - (_head - _snapshotSeq);
        if (ex is EventStoreException store)
        {
            // An expected refusal (too large, branch gone): the store's sentence says it all, no stack trace.
            DocumentsLog.SnapshotRefused(_logger, Branch, _head, store.Message, Math.Max(retryAfter, 0));
        }
        else
        {
            DocumentsLog.SnapshotFailed(_logger, Branch, ex);
        }
    }
}
