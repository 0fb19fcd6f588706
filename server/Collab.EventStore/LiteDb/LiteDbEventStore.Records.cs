using Collab.EventStore.Internal;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>Reads of snapshots and merge/resolution records.</summary>
public sealed partial class LiteDbEventStore
{
    /// <inheritdoc />
    public Task<Snapshot?> GetNearestSnapshotAsync(BranchRef branch, EventSeq atOrBefore, CancellationToken cancellationToken = default)
    {
        var segments = Ancestry.Segments(Entry(branch).Info, 1, atOrBefore.Value, Info);
        for (var i = segments.Count - 1; i >= 0; i--)
        {
            var number = Entry(segments[i].Owner).Number;
            var doc = _snapshots.Query()
                .Where(Bson.IdBetween(Bson.EventKey(number, segments[i].From), Bson.EventKey(number, segments[i].To)))
                .OrderByDescending(Bson.Id)
                .Limit(1)
                .FirstOrDefault();
            if (doc is not null) return Task.FromResult(ReadSnapshot(segments[i].Owner, doc));
        }

        return Task.FromResult<Snapshot?>(null);
    }

    /// <summary>
    /// A snapshot with its pieces. A snapshot rewritten at the same position while it is read shows pieces of another
    /// generation: the head is read again. Snapshots are a cache, so after a few tries "none" is a correct answer.
    /// </summary>
    private Snapshot? ReadSnapshot(BranchRef owner, BsonDocument doc)
    {
        for (var attempt = 0; attempt < 3 && doc is not null; attempt++)
        {
            if (Bson.Snapshot(owner, doc, key => _snapshotParts.FindById(key)) is { } snapshot) return snapshot;
            doc = _snapshots.FindById(doc[Bson.Id]);
        }
        return null;
    }

    /// <inheritdoc />
    public Task<MergeRecord?> GetMergeRecordAsync(EventRef mergeEvent, CancellationToken cancellationToken = default)
    {
        Validation.Branch(mergeEvent.Branch);
        return Task.FromResult(LoadMerge(mergeEvent));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MergeRecord>> ListMergeRecordsAsync(BranchRef branch, CancellationToken cancellationToken = default)
    {
        var list = new List<MergeRecord>();
        foreach (var segment in Ancestry.Segments(Entry(branch).Info, 1, long.MaxValue, Info))
        {
            var number = Entry(segment.Owner).Number;
            foreach (var doc in _merges.Find(Bson.IdBetween(Bson.EventKey(number, segment.From), Bson.EventKey(number, segment.To))))
            {
                list.Add(Bson.Merge(segment.Owner, doc));
            }
        }

        return Task.FromResult<IReadOnlyList<MergeRecord>>(list);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ResolutionRecord>> ListResolutionsAsync(EventRef mergeEvent, CancellationToken cancellationToken = default)
    {
        Validation.Branch(mergeEvent.Branch);
        var entry = FindEntry(mergeEvent.Branch);
        if (entry is null) return Task.FromResult<IReadOnlyList<ResolutionRecord>>([]);
        var list = new List<ResolutionRecord>();
        foreach (var doc in _resolutions.Find(Bson.FieldEquals("m", Bson.EventKey(entry.Number, mergeEvent.Seq.Value))))
        {
            var resolution = Bson.Resolution(mergeEvent.Branch.Document, doc);
            if (FindEntry(resolution.Event.Branch) is { } owner && resolution.Event.Seq <= owner.Info.Head) list.Add(resolution);
        }

        list.Sort(static (x, y) => x.RecordedAt != y.RecordedAt ? x.RecordedAt.CompareTo(y.RecordedAt) : x.Event.Seq.CompareTo(y.Event.Seq));
        return Task.FromResult<IReadOnlyList<ResolutionRecord>>(list);
    }

    // Verification reads a record as stored, for an event at or below the published head (the verifier walks only those).
    MergeRecord? IRecordLookup.FindMergeRecord(EventRef mergeEvent) => LoadMerge(mergeEvent);

    ResolutionRecord? IRecordLookup.FindResolutionRecord(EventRef resolutionEvent)
    {
        var entry = FindEntry(resolutionEvent.Branch);
        if (entry is null || resolutionEvent.Seq > entry.Info.Head) return null;
        var doc = _resolutions.FindById(Bson.EventKey(entry.Number, resolutionEvent.Seq.Value));
        return doc is null ? null : Bson.Resolution(resolutionEvent.Branch.Document, doc);
    }
}
