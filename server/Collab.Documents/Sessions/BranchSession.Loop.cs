using Collab.Crdt.Protocol;
using Collab.Crdt;
using Collab.EventStore;

namespace Collab.Documents.Sessions;

internal sealed partial class BranchSession
{
    // Store appends are capped (EventStoreOptions.MaxEventsPerAppend defaults to 1000): stay well below.
    private const int MaxEventsPerAppend = 500;

    private readonly List<Staged> _staged = [];
    private readonly Dictionary<string, Staged> _stagedIds = new(StringComparer.Ordinal);
    private int _stagedEvents;

    private void Start() => _loop = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                // Drain what is queued: consecutive updates share one append (one fsync) — group commit per branch.
                while (_stagedEvents < _options.MaxBatch && reader.TryRead(out var work))
                {
                    if (work is ApplyWork apply)
                    {
                        // Domain events (merge, resolution, revert) share the client updates' ordered path and batch.
                        if (apply.Domain is null) Stage(apply);
                        else StageDomain(apply);
                        continue;
                    }
                    // Reads see durable state only: commit what is staged before answering.
                    try
                    {
                        await CommitAsync().ConfigureAwait(false);
                    }
                    catch
                    {
                        FailWork(work, new SessionClosedException()); // already dequeued: retried on the reloaded session
                        throw;
                    }
                    Answer(work);
                }
                await CommitAsync().ConfigureAwait(false);
                // After the head moved: waiting updates that are now too old are dropped; younger ones are applied
                // again, and should that integrate anything it is committed at once.
                ExpirePending();
                await CommitAsync().ConfigureAwait(false);
                PublishWaiting();
                if (SnapshotDue()) await SnapshotAsync().ConfigureAwait(false);
            }
            // Waiting content is never stored: its senders retry on the next session.
            FailWaiters(new CollabException(CollabErrorCode.Unavailable, "The branch was unloaded while the update waited for content it builds on. Retry."));
            if (_head > _snapshotSeq) await SnapshotAsync().ConfigureAwait(false);
            DocumentsLog.SessionUnloaded(_logger, Branch, _head);
        }
        catch (Exception ex)
        {
            Fault(ex);
        }
        finally
        {
            _doc.Dispose();
        }
    }

    /// <summary>
    /// Applies one update to the document and stages what it integrated for the next append. <paramref name="previous"/>
    /// is set when a waiting update is applied again after expiry cleared the document's pending content.
    /// </summary>
    private void Stage(ApplyWork work, Waiter? previous = null)
    {
        if (previous is null && work.UpdateId is { } id)
        {
            if (_updateIds.TryGet(id, work.Update, out var seq, out var same))
            {
                if (same) work.Done.TrySetResult(seq);
                else work.Done.TrySetException(ReusedId(id));
                return;
            }
            if (_stagedIds.TryGetValue(id, out var pending))
            {
                if (pending.Work.Update.AsSpan().SequenceEqual(work.Update)) (pending.Followers ??= []).Add(work);
                else work.Done.TrySetException(ReusedId(id));
                return;
            }
            if (_waiterIds.TryGetValue(id, out var waiter))
            {
                if (waiter.Work.Update.AsSpan().SequenceEqual(work.Update)) (waiter.Followers ??= []).Add(work);
                else work.Done.TrySetException(ReusedId(id));
                return;
            }
        }

        if (!AdmitSize(work)) return;
        IReadOnlyList<AppliedUpdate> emitted;
        try
        {
            if (previous is null && !AdmitPending(work)) return;
            emitted = _doc.Apply(work.Update);
        }
        catch (YjsFormatException ex)
        {
            // The engine leaves the document unchanged on malformed input, so the session stays valid.
            work.Done.TrySetException(new CollabException(CollabErrorCode.Malformed, $"The update is malformed: {ex.Message}"));
            return;
        }

        // Only integrated content is stored and broadcast; what waits for missing content stays in memory, and the
        // sender hears back when it is integrated (or dropped).
        var waits = WaitIfPending(work, previous);
        if (emitted.Count == 0)
        {
            if (waits) return;
            work.Done.TrySetResult(null); // nothing new: nothing to store or broadcast
            if (previous?.Followers is { } followers) foreach (var follower in followers) follower.Done.TrySetResult(null);
            return;
        }
        Grew(emitted);
        var staged = new Staged(work, SplitLarge(emitted))
        {
            Waiting = waits,
            Released = ReleaseWaiters(),
            Followers = waits ? null : previous?.Followers,
        };
        _staged.Add(staged);
        _stagedEvents += staged.Emitted.Count;
        if (!waits && work.UpdateId is { } newId) _stagedIds[newId] = staged;
    }

    private async Task CommitAsync()
    {
        if (_staged.Count == 0) return;
        try
        {
            await AppendStagedAsync(_staged).ConfigureAwait(false);
        }
        catch (EventStoreException ex) when (RefusesOneEvent(ex.Error))
        {
            await CommitOneByOneAsync(ex).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            // The document already holds these updates but the log may not: the live doc must not stay ahead of
            // the log, so the whole session is discarded and reloaded from the log by the manager.
            DocumentsLog.AppendFailed(_logger, Branch, ex);
            // Faulted before any caller hears of it, so that a caller's next request already goes to a fresh session.
            MarkFaulted();
            var error = new CollabException(CollabErrorCode.Unavailable, "The update could not be stored; the branch is reloading. Retry.", ex);
            foreach (var staged in _staged) FailStaged(staged, error);
            ClearStaged();
            throw new SessionClosedException("Append failed.", ex);
        }

        await PublishAsync(_staged).ConfigureAwait(false);
        ClearStaged();
    }

    /// <summary>
    /// The store refused the batch (an append is all or nothing) for the content of one event: staged updates are
    /// appended again one at a time, in order, to find it. Those before it are stored and acknowledged as usual; it is
    /// refused to its caller alone. Those after it may build on it, so they are not appended from this document: the
    /// session is discarded (its document holds the refused update, and must not get ahead of the log) and their callers
    /// retry on the reloaded session, which applies their own bytes again to a document equal to the log.
    /// </summary>
    private async Task CommitOneByOneAsync(EventStoreException batchRefusal)
    {
        var durable = new List<Staged>(_staged.Count);
        var pending = 0;
        foreach (var staged in _staged) if (!staged.Durable) pending++;
        var index = 0;
        EventStoreException? refusal = null;
        Exception? failure = null;
        for (; index < _staged.Count; index++)
        {
            var staged = _staged[index];
            if (staged.Durable)
            {
                durable.Add(staged);
                continue;
            }
            if (pending == 1)
            {
                refusal = batchRefusal; // the only one left is the one refused: no need to ask again
                break;
            }
            try
            {
                await AppendStagedAsync([staged]).ConfigureAwait(false);
                durable.Add(staged);
                pending--;
            }
            catch (EventStoreException ex) when (RefusesOneEvent(ex.Error))
            {
                refusal = ex;
                break;
            }
            catch (Exception ex)
            {
                failure = ex;
                break;
            }
        }

        await PublishAsync(durable).ConfigureAwait(false);
        if (refusal is null && failure is null)
        {
            ClearStaged(); // refused only together (e.g. too many events for one append): each alone was stored
            return;
        }

        if (failure is not null) DocumentsLog.AppendFailed(_logger, Branch, failure);
        else DocumentsLog.EventRefused(_logger, Branch, refusal!.Error, refusal.Message);
        MarkFaulted();
        if (failure is not null)
        {
            var error = new CollabException(CollabErrorCode.Unavailable, "The update could not be stored; the branch is reloading. Retry.", failure);
            for (var i = index; i < _staged.Count; i++) FailStaged(_staged[i], error);
        }
        else
        {
            FailStaged(_staged[index], RefusalOf(refusal!));
            var retry = new SessionClosedException("A batch-mate was refused; retrying on the reloaded session.");
            for (var i = index + 1; i < _staged.Count; i++) FailStaged(_staged[i], retry);
        }
        ClearStaged();
        throw new SessionClosedException("An event was refused by the store.", failure ?? refusal!);
    }

    /// <summary>
    /// Broadcasts durable updates to the branch's other connections, then acknowledges them, in seq order. The commit's
    /// updates go out as one batch, so that each connection can receive them in one write.
    /// </summary>
    private async Task PublishAsync(List<Staged> durable)
    {
        var messages = new List<BranchSyncMessage>(durable.Count);
        foreach (var staged in durable)
        {
            foreach (var emitted in staged.Emitted)
            {
                // A record-only domain event changes no content: there is nothing to send.
                if (staged.Work.Domain is not null && emitted.Update.AsSpan().SequenceEqual(DomainEvent.EmptyUpdate)) continue;
                messages.Add(new BranchSyncMessage(SyncMessage.EncodeUpdate(emitted.Update), staged.Work.ConnectionId));
            }
        }
        if (messages.Count > 0)
        {
            try
            {
                await _broadcaster.BroadcastSyncBatchAsync(Branch, messages, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                DocumentsLog.BroadcastFailed(_logger, Branch, ex);
            }
        }
        foreach (var staged in durable)
        {
            if (!staged.Waiting)
            {
                if (staged.Work.UpdateId is { } id) _updateIds.Remember(id, staged.Seq, staged.Work.Update);
                staged.Work.Done.TrySetResult(staged.Seq);
                if (staged.Followers is { } followers) foreach (var follower in followers) follower.Done.TrySetResult(staged.Seq);
            }
            if (staged.Released is { } released) foreach (var waiter in released) CompleteWaiter(waiter, staged.Seq);
        }
    }

    /// <summary>Store refusals caused by one event's own content (not by the store's state or health).</summary>
    private static bool RefusesOneEvent(EventStoreError error) =>
        error is EventStoreError.IdempotencyConflict or EventStoreError.PayloadTooLarge or EventStoreError.InvalidArgument
            or EventStoreError.InvalidRecord or EventStoreError.InvalidName;

    private static CollabException RefusalOf(EventStoreException ex) => ex.Error switch
    {
        EventStoreError.IdempotencyConflict => new CollabException(CollabErrorCode.Conflict, "An update id was reused for different bytes.", ex),
        EventStoreError.PayloadTooLarge => new CollabException(CollabErrorCode.TooLarge, $"The update cannot be stored: {ex.Message}", ex),
        _ => new CollabException(CollabErrorCode.Invalid, $"The update cannot be stored: {ex.Message}", ex),
    };

    private async Task AppendStagedAsync(List<Staged> batch)
    {
        var events = new List<NewEvent>();
        var owners = new List<Staged>();
        foreach (var staged in batch)
        {
            for (var i = staged.Appended; i < staged.Emitted.Count; i++)
            {
                var emitted = staged.Emitted[i];
                events.Add(new NewEvent(staged.Work.Kind, emitted.Update, staged.Work.Author)
                {
                    ClientIds = emitted.ClientIds,
                    // The id marks the event that completes the client's update (not yet when part of it waits).
                    ClientUpdateId = i == staged.Emitted.Count - 1 && !staged.Waiting ? staged.Work.UpdateId : null,
                    // A domain event is staged as exactly one event, with its record.
                    Merge = staged.Work.Domain?.Merge,
                    Resolution = staged.Work.Domain?.Resolution,
                    Record = staged.Work.Domain?.Record,
                });
                owners.Add(staged);
            }
        }
        for (var start = 0; start < events.Count; start += MaxEventsPerAppend)
        {
            var count = Math.Min(MaxEventsPerAppend, events.Count - start);
            var chunk = events.GetRange(start, count);
            // Expected head: if anything else wrote to this branch, our document is stale and must reload.
            var result = await _store.AppendAsync(Branch, chunk, new EventSeq(_head), CancellationToken.None).ConfigureAwait(false);
            if (result.Events.Count != count) throw new InvalidOperationException($"The store returned {result.Events.Count} events for {count} appended.");
            for (var i = 0; i < count; i++)
            {
                var owner = owners[start + i];
                owner.Seq = result.Events[i].Seq.Value;
                owner.Appended++;
            }
            Volatile.Write(ref _head, result.Head.Seq.Value);
        }
    }

    private void Answer(Work work)
    {
        switch (work)
        {
            case DiffWork diff:
                Answer(diff.Done, "state vector", () => _doc.EncodeStateAsUpdate(diff.StateVector));
                break;
            case StateWork state:
                state.Done.TrySetResult((_head, _doc.EncodeStateVector()));
                break;
            case CheckWork check:
                Answer(check.Done, "update", () => _doc.WouldChange(check.Update));
                break;
            case ContentWork content:
                content.Done.TrySetResult((_head, _doc.EncodeStateAsUpdate(null)));
                break;
        }
    }

    /// <summary>Completes a read that decodes client bytes: malformed input fails that caller only.</summary>
    private static void Answer<T>(TaskCompletionSource<T> done, string what, Func<T> read)
    {
        try
        {
            done.TrySetResult(read());
        }
        catch (YjsFormatException ex)
        {
            done.TrySetException(new CollabException(CollabErrorCode.Malformed, $"The {what} is malformed: {ex.Message}"));
        }
    }

    private async Task SnapshotAsync()
    {
        try
        {
            var state = _doc.EncodeStateAsUpdate(null);
            await _store.PutSnapshotAsync(Branch, new EventSeq(_head), state, SnapshotFormat, CancellationToken.None).ConfigureAwait(false);
            _snapshotSeq = _head;
            _snapshotFailures = 0;
            Measured(state.Length);
            DocumentsLog.SnapshotWritten(_logger, Branch, _head, state.Length);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            SnapshotFailed(ex);
        }
    }

    private void MarkFaulted()
    {
        lock (_gate) _state = SessionState.Faulted;
        _queue.Writer.TryComplete();
    }

    private void Fault(Exception ex)
    {
        MarkFaulted();
        if (ex is not SessionClosedException) DocumentsLog.SessionFaulted(_logger, Branch, ex);
        var error = new CollabException(CollabErrorCode.Unavailable, "The branch is reloading after a failure. Retry.");
        foreach (var staged in _staged) FailStaged(staged, error);
        ClearStaged();
        FailWaiters(error);
        // Queued work never touched the document: the manager retries it on the reloaded session.
        var closed = new SessionClosedException();
        while (_queue.Reader.TryRead(out var work)) FailWork(work, closed);
    }

    private static void FailStaged(Staged staged, Exception error)
    {
        staged.Work.Done.TrySetException(error);
        if (staged.Followers is { } followers) foreach (var follower in followers) follower.Done.TrySetException(error);
        if (staged.Released is { } released) foreach (var waiter in released) FailWaiter(waiter, error);
    }

    private static void FailWork(Work work, Exception error)
    {
        switch (work)
        {
            case ApplyWork apply: apply.Done.TrySetException(error); break;
            case DiffWork diff: diff.Done.TrySetException(error); break;
            case StateWork state: state.Done.TrySetException(error); break;
            case CheckWork check: check.Done.TrySetException(error); break;
            case ContentWork content: content.Done.TrySetException(error); break;
        }
    }

    private void ClearStaged()
    {
        _staged.Clear();
        _stagedIds.Clear();
        _stagedEvents = 0;
    }

    private static CollabException ReusedId(string id) =>
        new(CollabErrorCode.Conflict, $"Update id '{id}' was already used for different bytes.");
}
