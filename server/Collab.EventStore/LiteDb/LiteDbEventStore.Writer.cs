using System.Threading.Channels;
using Collab.EventStore.Internal;

namespace Collab.EventStore.LiteDb;

/// <summary>The writer thread: group commit, fsync, then acknowledge.</summary>
public sealed partial class LiteDbEventStore
{
    private readonly Channel<WriteOp> _queue;
    private readonly Thread _writer;
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextBranchNumber;

    private volatile Exception? _fault;

    private Task<T> Enqueue<T>(WriteOp<T> op, CancellationToken cancellationToken)
    {
        // Cancellation is honoured up to the queue; once queued, a write happens or fails as a whole.
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfUnavailable();
        if (!_queue.Writer.TryWrite(op)) throw new EventStoreException(EventStoreError.StoreUnavailable, "The event store is disposed.");
        return op.Task;
    }

    private void WriterLoop()
    {
        var group = new Group(this);
        try
        {
            // A dedicated thread that blocks between groups: LiteDB transactions belong to the thread that opened them.
            while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                var events = 0;
                while (events < _options.MaxEventsPerCommit && _queue.Reader.TryRead(out var op))
                {
                    group.Ops.Add(op);
                    events += op.EventCount;
                }

                Run(group);
                group.Clear();
            }

            if (_fault is null)
            {
                FlushAllTails();
                _db.Checkpoint();
                Sync(_log);
            }
        }
        catch (Exception ex)
        {
            _fault ??= ex;
            AbandonedTransactions.Abandon(_db);
        }
        finally
        {
            while (_queue.Reader.TryRead(out var left)) left.Fail(Unavailable());
            _writerStopped.TrySetResult();
        }
    }

    /// <summary>Where the writer's time goes (read by the benchmarks; written by the writer thread only).</summary>
    internal WriterStatistics Statistics { get; } = new();

    private void Run(Group group)
    {
        if (_fault is not null)
        {
            foreach (var op in group.Ops) op.Fail(Unavailable());
            return;
        }

        // Plan every request before anything is written: a refused request fails alone here, because an exception
        // inside a LiteDB call would roll back every request of the group. Planning runs inside the transaction only so
        // that its reads share one snapshot instead of opening a read transaction each; it throws only our own
        // EventStoreException, which LiteDB never sees. Anything else is treated as a failure of the store.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var planned = started;
        var committed = started;
        var now = AppendPlanner.Now(_options.TimeProvider);
        try
        {
            _db.BeginTrans();
            foreach (var op in group.Ops)
            {
                try
                {
                    op.Plan(group, now);
                    group.Planned.Add(op);
                }
                catch (EventStoreException ex)
                {
                    // Plans stage nothing until they cannot fail any more, so the group state is untouched.
                    op.Fail(ex);
                }
            }

            planned = System.Diagnostics.Stopwatch.GetTimestamp();
            if (!group.HasWrites)
            {
                _db.Rollback();
            }
            else if (_forkJournal is not null && !group.NeedsLiteDb)
            {
                // Only forks: one small record in the fork journal and its fsync instead of a LiteDB commit.
                _db.Rollback();
                committed = System.Diagnostics.Stopwatch.GetTimestamp();
                JournalForks(group);
            }
            else
            {
                InsertPendingForks();
                foreach (var op in group.Planned) op.Write(this, group);
                WriteJournal(group);
                MarkUnpublished(group);
                _db.Commit();
                committed = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_options.Durability == Durability.Fsync) Sync(_log);
            }
        }
        catch (Exception ex)
        {
            // Whether the log holds the group is unknown now: stop writing rather than guess.
            _fault = ex;
            try
            {
                _db.Rollback();
            }
#pragma warning disable CA1031 // Any failure of the rollback: the original failure is the one to report.
            catch (Exception)
#pragma warning restore CA1031
            {
                // LiteDB 5.0.21 on a failed write (ENOSPC, EIO): an IOException inside an insert closes its engine, so
                // Rollback throws that IOException again; one inside Commit leaves the transaction open, and Rollback
                // writes again (returning new pages) and can fail the same way. Either way every caller of the group
                // must still get its answer, and the writer thread must keep running to answer the next ones.
            }

            AbandonedTransactions.Abandon(_db);
            foreach (var op in group.Ops) op.Fail(Unavailable());
            return;
        }

        Statistics.Record(group.Planned.Count, started, planned, committed, System.Diagnostics.Stopwatch.GetTimestamp());
        RememberUpdateIds(group);
        PublishTails(group);
        foreach (var (branch, entry) in group.Branches) _branches[branch] = entry;
        ClearUnpublished(group);
        PublishForks(group);
        foreach (var op in group.Planned) op.Complete();
        foreach (var branch in group.Moved) _signals.Notify(branch);
        if (!ApplyPendingForksWhenMany()) return;
        if (_log.Length > _options.CheckpointBytes)
        {
            var checkpointing = System.Diagnostics.Stopwatch.GetTimestamp();
            var logBytes = _log.Length;
            try
            {
                _db.Checkpoint();
                Sync(_log);
            }
#pragma warning disable CA1031 // Any failure: the store stops writing; the thread lives on to refuse the next requests.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // The group is durable in the log already (and acknowledged). A checkpoint that fails part way (a full
                // disk while the data file grows) leaves the log whole, and replaying it on the next open redoes the
                // copy; but LiteDB's in-memory state is not to be trusted any more, so no further writes go to it.
                _fault = ex;
                AbandonedTransactions.Abandon(_db);
                return;
            }

            Statistics.RecordCheckpoint(checkpointing, System.Diagnostics.Stopwatch.GetTimestamp(), logBytes);
        }
    }

    /// <summary>Whether a write failed and the store refuses every later write (<see cref="ReopeningLiteDbEventStore"/> reopens it).</summary>
    internal bool IsFaulted => _fault is not null;

    private void MarkUnpublished(Group group)
    {
        foreach (var id in group.NewDocuments) _unpublishedDocuments[id] = 0;
        foreach (var branch in group.Branches.Keys)
        {
            if (!_branches.ContainsKey(branch)) _unpublishedBranches[branch] = 0;
        }
    }

    private void ClearUnpublished(Group group)
    {
        foreach (var id in group.NewDocuments) _unpublishedDocuments.TryRemove(id, out _);
        foreach (var branch in group.Branches.Keys) _unpublishedBranches.TryRemove(branch, out _);
    }

    private EventStoreException Unavailable() =>
        _fault is { } fault
            ? new EventStoreException(EventStoreError.StoreUnavailable, "The event store failed to write and accepts no more writes; reopen it.", fault)
            : new EventStoreException(EventStoreError.StoreUnavailable, "The event store is disposed.");
}
