using Collab.Crdt;

namespace Collab.Documents.Sessions;

/// <summary>
/// Updates that wait for content the branch lacks (issue 13): bounded in bytes, never stored, served or snapshotted,
/// acknowledged only once integrated, dropped when they wait too long.
/// </summary>
internal sealed partial class BranchSession
{
    private readonly List<Waiter> _waiters = [];

    // Written by the loop after each drain, read by the sweep: whether anything waits that may need to expire.
    private bool _hasWaiters;

    /// <summary>
    /// Called by the periodic sweep: when updates wait for missing content, wakes the loop so that those past
    /// <see cref="LiveSessionOptions.PendingMaxAge"/> expire even when nothing else arrives on the branch.
    /// </summary>
    public void ExpireIdleWaiters()
    {
        // A full queue means the loop is busy anyway, and it expires after every drain.
        if (Volatile.Read(ref _hasWaiters)) _queue.Writer.TryWrite(new ExpiryWork());
    }
    private readonly Dictionary<string, Waiter> _waiterIds = new(StringComparer.Ordinal);
    private long _pendingBytes;

    /// <summary>
    /// Whether the update may be applied under <see cref="LiveSessionOptions.MaxPendingBytes"/>: only an update that
    /// would leave something waiting counts, with its whole size. Fails the work and returns false otherwise.
    /// Throws <see cref="YjsFormatException"/> for malformed input.
    /// </summary>
    private bool AdmitPending(ApplyWork work)
    {
        if (_pendingBytes + work.Update.Length <= _options.MaxPendingBytes || !_doc.WouldLeavePending(work.Update)) return true;
        work.Done.TrySetException(new CollabException(
            CollabErrorCode.TooLarge,
            $"The update builds on content this branch does not have, and {_pendingBytes} bytes of updates already wait for missing content (limit {_options.MaxPendingBytes}). Send what it builds on first, e.g. by answering the server's SyncStep1."));
        return false;
    }

    /// <summary>After an apply: registers the work as waiting when part of it is pending; returns whether it waits.</summary>
    private bool WaitIfPending(ApplyWork work, Waiter? previous)
    {
        if (!_doc.HasPending) return false;
        var needs = Needs(work.Update);
        if (Covered(needs, _doc.GetStateVector())) return false;
        var waiter = new Waiter(work, needs, previous?.SinceHead ?? _head, previous?.SinceTimestamp ?? _time.GetTimestamp())
        {
            Followers = previous?.Followers,
        };
        _waiters.Add(waiter);
        if (work.UpdateId is { } id) _waiterIds[id] = waiter;
        _pendingBytes += work.Update.Length;
        return true;
    }

    /// <summary>After an apply that integrated something: the waiting updates it completed, removed from the waiting list.</summary>
    private List<Waiter>? ReleaseWaiters()
    {
        if (_waiters.Count == 0) return null;
        var stateVector = _doc.GetStateVector();
        List<Waiter>? released = null;
        _waiters.RemoveAll(waiter =>
        {
            if (!Covered(waiter.Needs, stateVector)) return false;
            (released ??= []).Add(waiter);
            Forget(waiter);
            return true;
        });
        return released;
    }

    /// <summary>
    /// Drops waiting content older than <see cref="LiveSessionOptions.PendingMaxEvents"/> events or
    /// <see cref="LiveSessionOptions.PendingMaxAge"/>: the document's pending content is cleared, the expired senders are
    /// refused, and the younger waiting updates are applied again so that their pending parts wait on.
    /// </summary>
    private void ExpirePending()
    {
        if (_waiters.Count == 0)
        {
            // Nobody waits for it (e.g. pending content replayed from an old log): nothing may build on it.
            if (_doc.HasPending) _doc.ClearPending();
            return;
        }
        if (!_waiters.Exists(IsExpired)) return;
        var waiters = _waiters.ToArray();
        _waiters.Clear();
        _waiterIds.Clear();
        _pendingBytes = 0;
        _doc.ClearPending();
        var error = new CollabException(
            CollabErrorCode.MissingDependency,
            "The update waited too long for content this branch never received and was dropped. Send what it builds on first, e.g. by answering the server's SyncStep1.");
        var expired = 0;
        foreach (var waiter in waiters)
        {
            if (!IsExpired(waiter))
            {
                Stage(waiter.Work, waiter);
                continue;
            }
            FailWaiter(waiter, error);
            expired++;
        }
        DocumentsLog.PendingExpired(_logger, Branch, expired);
    }

    private bool IsExpired(Waiter waiter) =>
        _head - waiter.SinceHead >= _options.PendingMaxEvents || _time.GetElapsedTime(waiter.SinceTimestamp) >= _options.PendingMaxAge;

    private void FailWaiters(Exception error)
    {
        foreach (var waiter in _waiters) FailWaiter(waiter, error);
        _waiters.Clear();
        _waiterIds.Clear();
        _pendingBytes = 0;
    }

    private static void FailWaiter(Waiter waiter, Exception error)
    {
        waiter.Work.Done.TrySetException(error);
        if (waiter.Followers is { } followers) foreach (var follower in followers) follower.Done.TrySetException(error);
    }

    private void CompleteWaiter(Waiter waiter, long seq)
    {
        if (waiter.Work.UpdateId is { } id) _updateIds.Remember(id, seq, waiter.Work.Update);
        waiter.Work.Done.TrySetResult(seq);
        if (waiter.Followers is { } followers) foreach (var follower in followers) follower.Done.TrySetResult(seq);
    }

    private void Forget(Waiter waiter)
    {
        if (waiter.Work.UpdateId is { } id) _waiterIds.Remove(id);
        _pendingBytes -= waiter.Work.Update.Length;
    }

    /// <summary>Per client, the clock just past everything the update carries.</summary>
    private static Dictionary<uint, ulong> Needs(byte[] update)
    {
        var summary = YUpdate.Summarize(update);
        var needs = new Dictionary<uint, ulong>();
        foreach (var ranges in new[] { summary.Inserted, summary.Deleted })
        {
            foreach (var (client, list) in ranges)
            {
                foreach (var range in list)
                {
                    var end = (ulong)range.Clock + range.Length;
                    if (range.Length > 0 && end > needs.GetValueOrDefault(client)) needs[client] = end;
                }
            }
        }
        return needs;
    }

    private static bool Covered(Dictionary<uint, ulong> needs, IReadOnlyDictionary<uint, uint> stateVector)
    {
        foreach (var (client, end) in needs)
        {
            if (stateVector.GetValueOrDefault(client) < end) return false;
        }
        return true;
    }

    /// <summary>Splits emitted updates bigger than <see cref="LiveSessionOptions.MaxEventBytes"/> into several events.</summary>
    private IReadOnlyList<AppliedUpdate> SplitLarge(IReadOnlyList<AppliedUpdate> emitted)
    {
        var max = _options.MaxEventBytes;
        var large = false;
        foreach (var update in emitted) large |= update.Update.Length > max;
        if (!large) return emitted;
        var result = new List<AppliedUpdate>();
        foreach (var update in emitted)
        {
            if (update.Update.Length <= max)
            {
                result.Add(update);
                continue;
            }
            foreach (var part in YUpdate.Split(update.Update, max)) result.Add(new AppliedUpdate(part, YUpdate.Summarize(part).ClientIds));
        }
        return result;
    }
}
