namespace Collab.Documents.Sessions;

/// <summary>
/// What the live sessions hold in memory, counted by their owners (issue 13's footprint account). Every figure is a
/// count of something a client can make the server keep; after a client leaves, what it caused must be gone again.
/// </summary>
/// <param name="OpenSessions">Loaded (or loading) branch sessions.</param>
/// <param name="Members">Connections joined to a session, summed over the sessions.</param>
/// <param name="AwarenessStates">Live awareness (presence) states, summed over the sessions.</param>
/// <param name="AwarenessBytes">What those states are counted as against the per-branch byte limit.</param>
/// <param name="AwarenessOwners">Connections that own at least one awareness state, summed over the sessions.</param>
/// <param name="WaitingUpdates">Updates that wait for content their branch lacks (missing dependencies).</param>
/// <param name="WaitingBytes">Bytes of those updates, counted against the per-branch pending limit.</param>
/// <param name="QueuedWork">Work items queued for the sessions' loops.</param>
/// <param name="ReloadRecords">Branches with a record of recent reloads (the resync back-off).</param>
/// <param name="ClientClockEntries">(branch, Yjs client id) entries of the one-client-one-history table: grows with accepted writes only.</param>
public sealed record SessionFootprint(
    int OpenSessions,
    int Members,
    int AwarenessStates,
    long AwarenessBytes,
    int AwarenessOwners,
    int WaitingUpdates,
    long WaitingBytes,
    int QueuedWork,
    int ReloadRecords,
    long ClientClockEntries);

public sealed partial class SessionManager
{
    /// <summary>Counts what the live sessions hold (see <see cref="SessionFootprint"/>). Cheap: no session's loop is asked.</summary>
    public SessionFootprint Footprint()
    {
        int open = 0, members = 0, states = 0, owners = 0, waiting = 0, queued = 0;
        long awarenessBytes = 0, waitingBytes = 0;
        foreach (var lazy in _sessions.Values)
        {
            open++;
            if (!lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully) continue;
            var session = lazy.Value.Result;
            members += session.MemberCount;
            var (count, bytes, owning) = session.Awareness.Totals();
            states += count;
            awarenessBytes += bytes;
            owners += owning;
            waiting += session.WaitingUpdates;
            waitingBytes += session.WaitingBytes;
            queued += session.QueuedWork;
        }
        return new SessionFootprint(open, members, states, awarenessBytes, owners, waiting, waitingBytes, queued, _reloads.Count, _clocks.TrackedClientIds);
    }
}

internal sealed partial class BranchSession
{
    // Published by the loop after each drain (the lists themselves belong to the loop): what waits, for the footprint.
    private int _waitingPublished;
    private long _waitingBytesPublished;

    /// <summary>Connections joined to this session.</summary>
    internal int MemberCount
    {
        get
        {
            lock (_gate) return _members.Count;
        }
    }

    /// <summary>Updates waiting for missing content, as of the loop's last drain.</summary>
    internal int WaitingUpdates => Volatile.Read(ref _waitingPublished);

    /// <summary>Bytes of the updates waiting for missing content, as of the loop's last drain.</summary>
    internal long WaitingBytes => Volatile.Read(ref _waitingBytesPublished);

    /// <summary>Called by the loop after each drain.</summary>
    private void PublishWaiting()
    {
        Volatile.Write(ref _hasWaiters, _waiters.Count > 0);
        Volatile.Write(ref _waitingPublished, _waiters.Count);
        Volatile.Write(ref _waitingBytesPublished, _pendingBytes);
    }
}
