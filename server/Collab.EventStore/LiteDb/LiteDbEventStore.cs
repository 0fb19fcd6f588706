using System.Collections.Concurrent;
using System.Threading.Channels;
using Collab.EventStore.Internal;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// The event store on LiteDB 5: one writer thread owns every write and commits the requests it finds queued in one
/// transaction (group commit), fsyncs the log, and only then completes the callers' tasks; readers run concurrently.
/// See docs/event-store.md for the layout and the durability promises.
/// </summary>
public sealed partial class LiteDbEventStore : IEventStore, IRecordLookup
{
    private readonly LiteDbEventStoreOptions _options;
    private readonly Stream _data;
    private readonly Stream _log;
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<BsonDocument> _documents;
    private readonly ILiteCollection<BsonDocument> _branchDocs;
    private readonly ILiteCollection<BsonDocument> _events;
    private readonly ILiteCollection<BsonDocument> _journal;
    private readonly ILiteCollection<BsonDocument> _snapshots;
    private readonly ILiteCollection<BsonDocument> _snapshotParts;
    private readonly ILiteCollection<BsonDocument> _merges;
    private readonly ILiteCollection<BsonDocument> _resolutions;
    private readonly ILiteCollection<BsonDocument> _domainEvents;
    private readonly ILiteCollection<BsonDocument> _meta;

    // Committed branch state, never evicted. Only the writer replaces entries, and only after a durable commit; a reader
    // that loads a missing entry adds it with GetOrAdd, which cannot overwrite the writer's newer one.
    private readonly ConcurrentDictionary<BranchRef, BranchEntry> _branches = new();
    private readonly HeadSignals _signals = new();

    // Documents and branches the writer has committed but not yet fsynced and published. LiteDB shows a commit to
    // readers at once; a reader that finds one of these in the database treats it as absent until it is durable.
    private readonly ConcurrentDictionary<DocumentId, byte> _unpublishedDocuments = new();
    private readonly ConcurrentDictionary<BranchRef, byte> _unpublishedBranches = new();
    private readonly Upcasting _upcasting;
    private readonly CancellationTokenSource _disposed = new();
    private int _disposing;

    /// <summary>Opens (or creates) the store at <see cref="LiteDbEventStoreOptions.Path"/>; recovers committed transactions from the log.</summary>
    public LiteDbEventStore(LiteDbEventStoreOptions options)
        : this(Validated(options), OpenFile(options, options.Path), OpenFile(options, options.LogPath), OpenFile(options, options.ForkJournalPath))
    {
    }

    /// <summary>Opens the store on given streams without a fork journal (forks then commit to LiteDB). The store owns and disposes them.</summary>
    internal LiteDbEventStore(LiteDbEventStoreOptions options, Stream data, Stream log)
        : this(options, data, log, forks: null)
    {
    }

    /// <summary>Opens the store on given streams (tests inject faulty ones); <paramref name="forks"/> is the fork journal, if any. The store owns and disposes them.</summary>
    internal LiteDbEventStore(LiteDbEventStoreOptions options, Stream data, Stream log, Stream? forks)
    {
        options.Validate();
        _options = options;
        _upcasting = new Upcasting(options);
        _data = data;
        _log = log;
        _forkJournal = forks is null ? null : new ForkJournal(forks);
        try
        {
            _db = new LiteDatabase(data, BsonMapper.Global, log);

            // Checkpoints are ours (after the fsync, on the writer thread), never LiteDB's automatic ones inside a commit.
            _db.CheckpointSize = 0;
            _documents = _db.GetCollection(Bson.Documents);
            _branchDocs = _db.GetCollection(Bson.Branches);
            _events = _db.GetCollection(Bson.Events);
            _journal = _db.GetCollection(Bson.Journal);
            _snapshots = _db.GetCollection(Bson.Snapshots);
            _snapshotParts = _db.GetCollection(Bson.SnapshotParts);
            _merges = _db.GetCollection(Bson.Merges);
            _resolutions = _db.GetCollection(Bson.Resolutions);
            _domainEvents = _db.GetCollection(Bson.DomainEventIndex);
            _meta = _db.GetCollection(Bson.Meta);
            _branchDocs.EnsureIndex("n", "$.n", unique: true);
            _resolutions.EnsureIndex("m", "$.m");

            // Earlier files indexed the update id; keeping that index up to date cost most of an append's time.
            _events.DropIndex(Bson.UpdateField);
            Sync(_log);
            ReplayForkJournal();
            _nextBranchNumber = _branchDocs.Count() == 0 ? 1 : _branchDocs.Max("$.n").AsInt32 + 1;
            RecoverTails();
            EnsureDomainEventIndex();
        }
        catch
        {
            _db?.Dispose();
            data.Dispose();
            log.Dispose();
            _forkJournal?.Dispose();
            throw;
        }

        _queue = Channel.CreateUnbounded<WriteOp>(new UnboundedChannelOptions { SingleReader = true });
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "collab-eventstore-writer" };
        _writer.Start();
    }

    /// <summary>The options the store runs with.</summary>
    public LiteDbEventStoreOptions Options => _options;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) == 1) return;
        _queue.Writer.TryComplete();
        await _writerStopped.Task.ConfigureAwait(false);
        _disposed.Cancel();
        _signals.NotifyAll();
        try
        {
            // Any transaction LiteDB still holds now is one a failure left behind (a read that failed with an IOException
            // closes the engine too, without the writer noticing); its finalizer must not run (see AbandonedTransactions).
            AbandonedTransactions.Abandon(_db);
            _db.Dispose();
        }
        catch (Exception) when (_fault is not null)
        {
            // After a failed write LiteDB may fail to close (it rethrows the I/O error it saw); the files must still be
            // released so that the store can be opened again.
        }
        finally
        {
            await _data.DisposeAsync().ConfigureAwait(false);
            await _log.DisposeAsync().ConfigureAwait(false);
            _forkJournal?.Dispose();
        }

        // _disposed is not disposed: subscriptions keep its token, and it holds no timer.
    }

    /// <summary>fsync for files, Flush for other streams (what LiteDB itself does).</summary>
    internal static void Sync(Stream stream)
    {
        lock (stream)
        {
            if (stream is FileStream file) file.Flush(flushToDisk: true);
            else stream.Flush();
        }
    }

    private static LiteDbEventStoreOptions Validated(LiteDbEventStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    private static FileStream OpenFile(LiteDbEventStoreOptions options, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        return options.Durability == Durability.Fsync
            ? new DurableFileStream(path)
            : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
    }

    /// <summary>A branch's number (its key prefix) and its committed state.</summary>
    private sealed record BranchEntry(int Number, BranchInfo Info);

    private BranchEntry? FindEntry(BranchRef branch)
    {
        if (_branches.TryGetValue(branch, out var entry)) return entry;
        var doc = _branchDocs.FindById(Bson.BranchKey(branch));
        if (doc is null) return null;
        var (number, info) = Bson.Branch(branch, doc);
        // The tail first: a chunk written after this read holds events the tail read here still has.
        var tail = TailOf(number);
        var last = tail.Count > 0 ? tail.Last : ChunkAtOrBefore(number, long.MaxValue) is { } chunk ? Bson.EventsOf(branch, chunk)[^1] : null;
        if (last is not null) info = info with { Head = last.Seq, HeadHash = last.Hash };

        // Checked after the read: the writer marks a branch before its commit and unmarks it after publishing it.
        if (_unpublishedBranches.ContainsKey(branch)) return null;
        return _branches.GetOrAdd(branch, new BranchEntry(number, info));
    }

    private BranchEntry Entry(BranchRef branch)
    {
        Validation.Branch(branch);
        var entry = FindEntry(branch);
        if (entry is not null) return entry;
        if (FindDocument(branch.Document) is null) throw Validation.DocumentNotFound(branch.Document);
        throw Validation.BranchNotFound(branch);
    }

    private BsonDocument? FindDocument(DocumentId id)
    {
        var doc = _documents.FindById(Bson.DocumentKey(id));
        return doc is null || _unpublishedDocuments.ContainsKey(id) ? null : doc;
    }

    private BranchInfo Info(BranchRef branch) => (FindEntry(branch) ?? throw Validation.BranchNotFound(branch)).Info;

    private EventHash StoredHash(BranchRef owner, EventSeq seq) =>
        (OwnEvent(owner, Entry(owner).Number, seq.Value) ?? throw new InvalidOperationException($"Event {owner}@{seq} is missing from the store.")).Hash;

    /// <summary>The branch's own event at <paramref name="seq"/>, or null.</summary>
    private StoredEvent? OwnEvent(BranchRef owner, int number, long seq)
    {
        var tail = TailOf(number);
        if (tail.Count > 0 && seq >= tail.First.Seq.Value) return seq <= tail.Last.Seq.Value ? tail[(int)(seq - tail.First.Seq.Value)] : null;
        var doc = ChunkAtOrBefore(number, seq);
        if (doc is null) return null;
        var index = seq - Bson.SeqOf(doc[Bson.Id].AsBinary);
        var events = Bson.EventsOf(owner, doc, (int)Math.Min(index + 1, int.MaxValue));
        return index < events.Count ? events[(int)index] : null;
    }

    /// <summary>The branch's own events from <paramref name="from"/> to <paramref name="to"/>, in order (a LiteDB cursor: use on one thread).</summary>
    private IEnumerable<StoredEvent> OwnEvents(BranchRef owner, int number, long from, long to)
    {
        // The tail first: events that leave it for a chunk are in the database before the tail is replaced.
        var tail = TailOf(number);
        var tailFrom = tail.Count > 0 ? tail.First.Seq.Value : long.MaxValue;
        foreach (var e in ChunkEvents(owner, number, from, Math.Min(to, tailFrom - 1))) yield return e;
        foreach (var e in tail.Range(from, to)) yield return e;
    }

    private IEnumerable<StoredEvent> ChunkEvents(BranchRef owner, int number, long from, long to)
    {
        if (from > to) yield break;

        // The chunk holding `from` starts at or before it; every later chunk starts after it.
        var first = ChunkAtOrBefore(number, from);
        if (first is not null)
        {
            foreach (var e in Bson.EventsOf(owner, first))
            {
                if (e.Seq.Value > to) yield break;
                if (e.Seq.Value >= from) yield return e;
            }
        }

        if (from == to) yield break;
        foreach (var doc in _events.Find(Bson.IdBetween(Bson.EventKey(number, from + 1), Bson.EventKey(number, to))))
        {
            foreach (var e in Bson.EventsOf(owner, doc))
            {
                if (e.Seq.Value > to) yield break;
                yield return e;
            }
        }
    }

    /// <summary>The branch's chunk with the greatest first seq at or before <paramref name="seq"/>.</summary>
    private BsonDocument? ChunkAtOrBefore(int number, long seq) =>
        _events.Query()
            .Where(Bson.IdBetween(Bson.EventKey(number, 0), Bson.EventKey(number, seq)))
            .OrderByDescending(Bson.Id)
            .Limit(1)
            .FirstOrDefault();

    private void ThrowIfUnavailable()
    {
        if (_fault is { } fault) throw new EventStoreException(EventStoreError.StoreUnavailable, "The event store failed to write and accepts no more writes; reopen it.", fault);
        if (_disposed.IsCancellationRequested) throw new EventStoreException(EventStoreError.StoreUnavailable, "The event store is disposed.");
    }
}
