using Collab.Crdt.Document;
using Collab.Crdt;
using Collab.Crdt.Updates;

namespace Collab.Documents.Sessions;

/// <summary>Live documents on the Collab.Crdt engine, with garbage collection on (history is replayed from the log).</summary>
public sealed class YDocFactory : ICrdtDocumentFactory
{
    /// <inheritdoc />
    public ICrdtDocument Create() => new YDocDocument(new YDoc(new YDocOptions { Gc = true }));
}

/// <summary>
/// Adapts <see cref="YDoc"/> to the session seam: collects what each apply emitted through <c>UpdateV1</c> (exactly
/// what was integrated, including pending structs that became integrable) with the client ids each carries. Pending
/// content stays in the document's memory only: it is never emitted, encoded or snapshotted from here.
/// </summary>
internal sealed class YDocDocument : ICrdtDocument
{
    private readonly YDoc _doc;
    private readonly List<byte[]> _emitted = [];

    public YDocDocument(YDoc doc)
    {
        _doc = doc;
        _doc.UpdateV1 += OnUpdate;
    }

    public bool HasPending => _doc.HasPending;

    public IReadOnlyList<AppliedUpdate> Apply(byte[] update)
    {
        _emitted.Clear();
        _doc.ApplyUpdate(update, this);
        if (_emitted.Count == 0) return [];
        var result = new AppliedUpdate[_emitted.Count];
        for (var i = 0; i < result.Length; i++) result[i] = new AppliedUpdate(_emitted[i], YUpdate.Summarize(_emitted[i]).ClientIds);
        _emitted.Clear();
        return result;
    }

    public bool WouldLeavePending(byte[] update) => _doc.WouldLeavePending(update);

    public void ClearPending() => _doc.ClearPending();

    public IReadOnlyDictionary<uint, uint> GetStateVector() => _doc.GetStateVector();

    public bool WouldChange(byte[] update)
    {
        var summary = YUpdate.Summarize(update);
        var stateVector = _doc.GetStateVector();
        foreach (var (client, ranges) in summary.Inserted)
        {
            var known = stateVector.GetValueOrDefault(client);
            foreach (var range in ranges)
            {
                if ((ulong)range.Clock + range.Length > known) return true;
            }
        }
        IReadOnlyDictionary<uint, IReadOnlyList<ClockRange>>? deleted = null;
        foreach (var (client, ranges) in summary.Deleted)
        {
            foreach (var range in ranges)
            {
                if (range.Length == 0) continue;
                // Only read-only peers get here, once per handshake: summarizing the whole document is affordable.
                deleted ??= YUpdate.Summarize(_doc.EncodeStateAsUpdate(null, includePending: false)).Deleted;
                if (!Covers(deleted.GetValueOrDefault(client), range)) return true;
            }
        }
        return false;
    }

    public byte[] EncodeStateVector() => _doc.EncodeStateVector();

    public byte[] EncodeStateAsUpdate(byte[]? stateVector) => _doc.EncodeStateAsUpdate(stateVector, includePending: false);

    public void Dispose() => _doc.UpdateV1 -= OnUpdate;

    private static bool Covers(IReadOnlyList<ClockRange>? ranges, ClockRange range)
    {
        if (ranges is null) return false;
        foreach (var candidate in ranges)
        {
            if (candidate.Clock <= range.Clock && (ulong)candidate.Clock + candidate.Length >= (ulong)range.Clock + range.Length) return true;
        }
        return false;
    }

    private void OnUpdate(byte[] update, object? origin) => _emitted.Add(update);
}
