using Collab.EventStore.Internal;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// The index of domain events (<see cref="DomainEvents.Is"/>): one key-only document per such event in
/// <see cref="Bson.DomainEventIndex"/>, keyed like the event (branch number ‖ seq) and written in the same transaction,
/// so that a branch's merges, resolutions, reverts and record-only events are listed without reading its updates.
/// Files written before the index get it built once when opened (a read of every event), marked in <see cref="Bson.Meta"/>.
/// </summary>
public sealed partial class LiteDbEventStore
{
    private const string DomainEventIndexMarker = "domain-event-index";

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ListDomainEventsAsync(BranchRef branch, EventSeq after, int maxCount, CancellationToken cancellationToken = default)
    {
        Validation.MaxCount(maxCount);
        var entry = Entry(branch);
        var head = entry.Info.Head.Value;
        var from = Math.Max(after.Value, entry.Info.ForkSeq.Value) + 1;
        var list = new List<StoredEvent>();
        if (from > head) return Task.FromResult<IReadOnlyList<StoredEvent>>(list);

        // Up to the published head only: an entry beyond it is committed but not durable yet.
        var keys = _domainEvents.Find(Bson.IdBetween(Bson.EventKey(entry.Number, from), Bson.EventKey(entry.Number, head)), 0, maxCount)
            .Select(doc => Bson.SeqOf(doc[Bson.Id].AsBinary))
            .ToList();
        List<StoredEvent>? chunk = null;
        foreach (var seq in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = OwnEventCached(branch, entry.Number, seq, ref chunk)
                ?? throw new InvalidDataException($"The domain event index names {branch}@{seq}, which is missing; the file was changed or damaged.");
            list.Add(_upcasting.Apply(e));
        }

        return Task.FromResult<IReadOnlyList<StoredEvent>>(list);
    }

    /// <summary>The branch's own event at <paramref name="seq"/>; a chunk read for it is kept in <paramref name="chunk"/> for the next seqs.</summary>
    private StoredEvent? OwnEventCached(BranchRef owner, int number, long seq, ref List<StoredEvent>? chunk)
    {
        if (chunk is { Count: > 0 } && seq >= chunk[0].Seq.Value && seq <= chunk[^1].Seq.Value) return chunk[(int)(seq - chunk[0].Seq.Value)];

        // The tail first, as OwnEvent: events that leave it for a chunk are in the database before the tail is replaced.
        var tail = TailOf(number);
        if (tail.Count > 0 && seq >= tail.First.Seq.Value) return seq <= tail.Last.Seq.Value ? tail[(int)(seq - tail.First.Seq.Value)] : null;
        var doc = ChunkAtOrBefore(number, seq);
        if (doc is null) return null;
        chunk = Bson.EventsOf(owner, doc);
        var index = seq - chunk[0].Seq.Value;
        return index < chunk.Count ? chunk[(int)index] : null;
    }

    /// <summary>Writer, inside the group's transaction: index entries for the domain events among an append's fresh events.</summary>
    private void IndexDomainEvents(int number, IReadOnlyList<StoredEvent> fresh)
    {
        foreach (var e in fresh)
        {
            if (DomainEvents.Is(e)) _domainEvents.Insert(Bson.DomainEventEntry(number, e.Seq.Value));
        }
    }

    /// <summary>On open (after the tails are recovered): builds the index for a file written before it, once.</summary>
    private void EnsureDomainEventIndex()
    {
        if (_meta.FindById(DomainEventIndexMarker) is not null) return;
        var owners = new Dictionary<int, BranchRef>();
        foreach (var doc in _branchDocs.FindAll()) owners[doc["n"].AsInt32] = Bson.BranchRefOf(doc[Bson.Id].AsBinary);

        // Keys first, inserts after: no LiteDB cursor stays open across writes.
        var keys = new List<byte[]>();
        foreach (var doc in _events.FindAll())
        {
            var number = Bson.BranchNumberOf(doc[Bson.Id].AsBinary);
            if (!owners.TryGetValue(number, out var owner)) continue;
            foreach (var e in Bson.EventsOf(owner, doc))
            {
                if (DomainEvents.Is(e)) keys.Add(Bson.EventKey(number, e.Seq.Value));
            }
        }

        foreach (var (number, tail) in _tails)
        {
            foreach (var e in tail.ToList())
            {
                if (DomainEvents.Is(e)) keys.Add(Bson.EventKey(number, e.Seq.Value));
            }
        }

        _db.BeginTrans();
        foreach (var key in keys) _domainEvents.Upsert(new BsonDocument { [Bson.Id] = key });
        _meta.Upsert(new BsonDocument { [Bson.Id] = DomainEventIndexMarker, ["v"] = 1 });
        _db.Commit();
        Sync(_log);
    }
}
