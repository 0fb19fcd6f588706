using Collab.Crdt.Protocol;
using Collab.Crdt;
using Collab.Crdt.Updates;
using Collab.Documents.Access;
using System.Collections.Concurrent;
using Collab.EventStore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Sessions;

/// <summary>What a connection gets when it joins a branch.</summary>
/// <param name="HeadSeq">The seq of the last durable event.</param>
/// <param name="SyncStep1">The server's SyncStep1 message (its state vector), to send to the joiner.</param>
/// <param name="Awareness">Every current awareness state as one update, or null when nobody published presence.</param>
public sealed record JoinState(long HeadSeq, byte[] SyncStep1, byte[]? Awareness);

/// <summary>The outcome of one sync message.</summary>
/// <param name="Seq">The seq at which an update was stored; null when nothing was stored.</param>
/// <param name="Reply">A sync message to send back to the caller only (SyncStep2 for a SyncStep1), or null.</param>
public sealed record SyncOutcome(long? Seq, byte[]? Reply);

/// <summary>
/// Opens, finds and unloads live branch sessions. A session is created on first use and shared; one that faulted is
/// replaced by a fresh load whose connections are asked to resync.
/// </summary>
public sealed partial class SessionManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<BranchRef, Lazy<Task<BranchSession>>> _sessions = new();

    // Per branch: reloads after a failure in a row (a minute apart resets) and when the last one was (resync back-off).
    private readonly ConcurrentDictionary<BranchRef, (int Count, long At)> _reloads = new();
    private readonly IEventStore _store;
    private readonly ICrdtDocumentFactory _documents;
    private readonly IBranchBroadcaster _broadcaster;
    private readonly LiveSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionManager> _logger;
    private readonly ClientClockIndex _clocks;
    private readonly IBranchWriteGuard? _writeGuard;
    private volatile bool _stopping;

    public SessionManager(
        IEventStore store,
        ICrdtDocumentFactory documents,
        IBranchBroadcaster broadcaster,
        IOptions<LiveSessionOptions> options,
        TimeProvider time,
        ILogger<SessionManager> logger,
        IBranchWriteGuard? writeGuard = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _documents = documents;
        _broadcaster = broadcaster;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _clocks = new ClientClockIndex(store);
        _writeGuard = writeGuard;
    }

    /// <summary>How many branch sessions are loaded.</summary>
    public int OpenCount => _sessions.Count;

    /// <summary>Whether the branch has a loaded session.</summary>
    public bool IsLoaded(BranchRef branch) => _sessions.ContainsKey(branch);

    /// <summary>The connections joined to the branch's loaded session (none when it is not loaded); for tests and diagnostics.</summary>
    internal IReadOnlyCollection<string> MembersOf(BranchRef branch) =>
        _sessions.TryGetValue(branch, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully ? lazy.Value.Result.Members : [];

    /// <summary>Work queued on the branch's loaded session (0 when it is not loaded); for tests and diagnostics.</summary>
    internal int QueuedWorkOf(BranchRef branch) =>
        _sessions.TryGetValue(branch, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully ? lazy.Value.Result.QueuedWork : 0;

    /// <summary>Adds a connection to a branch and returns what it needs to start syncing.</summary>
    public async Task<JoinState> JoinAsync(BranchRef branch, SessionCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var connectionId = caller.ConnectionId;
        while (true)
        {
            var session = await GetOrOpenAsync(branch, cancellationToken).ConfigureAwait(false);
            if (!session.TryAddMember(connectionId))
            {
                await WaitRetiredAsync(branch, session).ConfigureAwait(false);
                continue;
            }
            try
            {
                var (head, stateVector) = await session.StateAsync(cancellationToken).ConfigureAwait(false);
                return new JoinState(head, SyncMessage.EncodeSyncStep1(stateVector), session.Awareness.EncodeAll());
            }
            catch (SessionClosedException)
            {
                session.RemoveMember(connectionId);
                await WaitRetiredAsync(branch, session).ConfigureAwait(false);
            }
            catch
            {
                // A failed join leaves no member behind (it would keep the session loaded and be carried into reloads).
                session.RemoveMember(connectionId);
                throw;
            }
        }
    }

    /// <summary>Removes a connection from a branch and tells the others its awareness states are gone.</summary>
    public async Task LeaveAsync(BranchRef branch, string connectionId, CancellationToken cancellationToken)
    {
        if (!_sessions.TryGetValue(branch, out var lazy) || !lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully) return;
        var session = lazy.Value.Result;
        var removal = session.RemoveMember(connectionId);
        if (removal is not null) await _broadcaster.BroadcastAwarenessAsync(branch, removal, connectionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Handles one y-protocols sync message from a joined connection. SyncStep1 is answered with SyncStep2; SyncStep2 and
    /// Update are applied, stored durably and broadcast when the caller's role may write, refused otherwise.
    /// </summary>
    public async Task<SyncOutcome> SyncAsync(
        BranchRef branch,
        SessionCaller caller,
        byte[] message,
        string? updateId,
        int maxUpdateBytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(message);
        var connectionId = caller.ConnectionId;
        // What the store would refuse for this event alone is refused here, before it can share an append with others.
        if (updateId is { Length: 0 or > NewEvent.MaxClientUpdateIdLength })
        {
            throw new CollabException(CollabErrorCode.Invalid, $"An update id must have 1–{NewEvent.MaxClientUpdateIdLength} characters (got {updateId.Length}).");
        }
        if (string.IsNullOrWhiteSpace(caller.User) || caller.User.Length > NewEvent.MaxAuthorLength)
        {
            throw new CollabException(CollabErrorCode.Invalid, $"A user name must have 1–{NewEvent.MaxAuthorLength} characters to author updates.");
        }
        SyncMessage frame;
        try
        {
            frame = SyncMessage.Read(message);
        }
        catch (Crdt.YjsFormatException ex)
        {
            throw new CollabException(CollabErrorCode.Malformed, $"The sync message is malformed: {ex.Message}");
        }

        if (frame.Type != SyncMessageType.SyncStep1)
        {
            if (frame.Payload.Length > maxUpdateBytes)
            {
                throw new CollabException(CollabErrorCode.TooLarge, $"The update is {frame.Payload.Length} bytes; the limit is {maxUpdateBytes}.");
            }
        }
        else
        {
            CheckStateVectorSize(frame.Payload.Span);
        }

        var payload = frame.Payload.ToArray();
        var checkedClocks = false;
        ClockReservation? reserved = null;
        var refused = false;
        try
        {
            while (true)
            {
                var session = await GetJoinedAsync(branch, connectionId, cancellationToken).ConfigureAwait(false);
                try
                {
                    if (frame.Type == SyncMessageType.SyncStep1)
                    {
                        var diff = await session.DiffAsync(payload, cancellationToken).ConfigureAwait(false);
                        return new SyncOutcome(null, SyncMessage.EncodeSyncStep2(diff));
                    }
                    if (!caller.Role.CanWrite())
                    {
                        // A read-only peer's empty answer (its SyncStep2 to our SyncStep1) is fine; a change is refused
                        // loudly, never dropped in silence.
                        if (await session.WouldChangeAsync(payload, cancellationToken).ConfigureAwait(false))
                        {
                            throw CollabException.Forbidden("Your role on this document is read-only: your changes are refused.");
                        }
                        return new SyncOutcome(null, null);
                    }
                    if (_writeGuard is not null && await _writeGuard.ClientEditRefusalAsync(branch, cancellationToken).ConfigureAwait(false) is { } refusal)
                    {
                        // A protected branch: like a read-only role, an empty answer is fine and a change is refused loudly.
                        if (await session.WouldChangeAsync(payload, cancellationToken).ConfigureAwait(false))
                        {
                            throw new CollabException(CollabErrorCode.BranchProtected, refusal);
                        }
                        return new SyncOutcome(null, null);
                    }
                    if (!checkedClocks)
                    {
                        reserved = await _clocks.CheckAndReserveAsync(branch, Summarize(payload), cancellationToken).ConfigureAwait(false);
                        checkedClocks = true;
                    }
                    var seq = await session.SubmitUpdateAsync(payload, updateId, caller.User, connectionId, cancellationToken).ConfigureAwait(false);
                    return new SyncOutcome(seq, null);
                }
                catch (SessionClosedException)
                {
                    await WaitRetiredAsync(branch, session).ConfigureAwait(false);
                }
            }
        }
        catch (CollabException ex) when (reserved is not null && ex.Code != CollabErrorCode.Unavailable)
        {
            // Refused outright: nothing of it was stored (a store failure, whose outcome is unknown, keeps the reservation).
            refused = true;
            throw;
        }
        finally
        {
            if (reserved is not null) await _clocks.SettleAsync(reserved, refused).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Validates an awareness update from a joined connection and relays what it may publish (see
    /// <see cref="AwarenessRelay"/>: its own client ids, within the limits); never stored.
    /// </summary>
    public async Task AwarenessAsync(BranchRef branch, SessionCaller caller, byte[] update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(update);
        var session = await GetJoinedAsync(branch, caller.ConnectionId, cancellationToken).ConfigureAwait(false);
        byte[]? relay;
        try
        {
            relay = session.Awareness.Apply(update, caller);
        }
        catch (Crdt.YjsFormatException ex)
        {
            throw new CollabException(CollabErrorCode.Malformed, $"The awareness update is malformed: {ex.Message}");
        }
        if (relay is not null) await _broadcaster.BroadcastAwarenessAsync(branch, relay, caller.ConnectionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every current awareness state of a branch the connection joined, as one update; null when nobody published presence.</summary>
    public async Task<byte[]?> AwarenessStatesAsync(BranchRef branch, string connectionId, CancellationToken cancellationToken)
    {
        var session = await GetJoinedAsync(branch, connectionId, cancellationToken).ConfigureAwait(false);
        return session.Awareness.EncodeAll();
    }

    /// <summary>Refuses a state vector with more entries than allowed, from its leading count (no decoding).</summary>
    private void CheckStateVectorSize(ReadOnlySpan<byte> stateVector)
    {
        int entries;
        try
        {
            entries = new Crdt.Encoding.Lib0Reader(stateVector).ReadVarUIntAsLength(2);
        }
        catch (Crdt.YjsFormatException ex)
        {
            throw new CollabException(CollabErrorCode.Malformed, $"The state vector is malformed: {ex.Message}");
        }
        if (entries > _options.MaxStateVectorEntries)
        {
            throw new CollabException(CollabErrorCode.TooLarge, $"The state vector has {entries} entries; the limit is {_options.MaxStateVectorEntries}.");
        }
    }

    /// <summary>The whole document at the durable head (opens the session if needed).</summary>
    public async Task<(long Head, byte[] Update)> ReadContentAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        while (true)
        {
            var session = await GetOrOpenAsync(branch, cancellationToken).ConfigureAwait(false);
            try
            {
                return await session.ContentAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SessionClosedException)
            {
                await WaitRetiredAsync(branch, session).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Writes a server event (merge, resolution, revert…) through the branch's single writer: applied to the live
    /// document, stored in order with the client updates, broadcast to every connection of the branch as an ordinary
    /// update. Throws <see cref="BranchMovedException"/> when <see cref="DomainEvent.ExpectedHead"/> is set and the
    /// branch is elsewhere.
    /// </summary>
    public async Task<DomainEventResult> WriteDomainEventAsync(BranchRef branch, DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domainEvent);
        UpdateSummary summary = Summarize(domainEvent.Update);
        await _clocks.RecordAsync(branch, summary, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var session = await GetOrOpenAsync(branch, cancellationToken).ConfigureAwait(false);
            try
            {
                return await session.SubmitDomainEventAsync(domainEvent, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionClosedException)
            {
                await WaitRetiredAsync(branch, session).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Lets the branch store every update it accepted so far, then returns its durable head and state vector: after
    /// this, the log up to the head holds everything sent to the branch before the call.
    /// </summary>
    public async Task<(long Head, byte[] StateVector)> SettleAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        while (true)
        {
            var session = await GetOrOpenAsync(branch, cancellationToken).ConfigureAwait(false);
            try
            {
                return await session.StateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SessionClosedException)
            {
                await WaitRetiredAsync(branch, session).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A Yjs client id that no branch of the document has written with and that was never handed out before: for
    /// updates the server itself writes on <paramref name="branch"/> (decisions, reverts), so that they obey "one client
    /// id, one line of history".
    /// </summary>
    public Task<uint> FreshClientIdAsync(BranchRef branch, CancellationToken cancellationToken) => _clocks.FreshClientIdAsync(branch, cancellationToken);

    private static UpdateSummary Summarize(byte[] update)
    {
        try
        {
            return YUpdate.Summarize(update);
        }
        catch (Crdt.YjsFormatException ex)
        {
            throw new CollabException(CollabErrorCode.Malformed, $"The update is malformed: {ex.Message}");
        }
    }

    /// <summary>
    /// Unloads sessions nobody has used for <see cref="LiveSessionOptions.IdleUnloadAfter"/>, each leaving a snapshot, and
    /// lets updates that waited past <see cref="LiveSessionOptions.PendingMaxAge"/> on a quiet branch expire.
    /// With <paramref name="isConnected"/>, members whose connection is gone (a close that raced with a join) are
    /// removed first, so that a lost disconnect cannot pin a session in memory forever.
    /// </summary>
    public async Task SweepIdleAsync(Func<string, bool>? isConnected = null)
    {
        var closing = new List<(BranchRef, Lazy<Task<BranchSession>>, BranchSession)>();
        foreach (var (branch, lazy) in _sessions)
        {
            if (!lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully) continue;
            var session = lazy.Value.Result;
            if (isConnected is not null)
            {
                foreach (var member in session.Members)
                {
                    if (!isConnected(member)) await LeaveAsync(branch, member, CancellationToken.None).ConfigureAwait(false);
                }
            }
            if (session.TryCloseIfIdle(_options.IdleUnloadAfter)) closing.Add((branch, lazy, session));
            else session.ExpireIdleWaiters();
        }
        foreach (var (branch, lazy, session) in closing)
        {
            await session.Completion.ConfigureAwait(false);
            _sessions.TryRemove(new KeyValuePair<BranchRef, Lazy<Task<BranchSession>>>(branch, lazy));
        }
    }

    /// <summary>
    /// Stops taking work, lets every session finish its queued appends, and writes a final snapshot of each.
    /// </summary>
    public async Task StopAsync()
    {
        _stopping = true;
        var sessions = new List<BranchSession>();
        foreach (var lazy in _sessions.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) sessions.Add(lazy.Value.Result);
        }
        foreach (var session in sessions) session.Close();
        foreach (var session in sessions) await session.Completion.ConfigureAwait(false);
        _sessions.Clear();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task<BranchSession> GetJoinedAsync(BranchRef branch, string connectionId, CancellationToken cancellationToken)
    {
        var session = await GetOrOpenAsync(branch, cancellationToken).ConfigureAwait(false);
        if (!session.HasMember(connectionId))
        {
            throw new CollabException(CollabErrorCode.NotJoined, $"Join {branch.Document}/{branch.Branch} before sending to it.");
        }
        return session;
    }

    private async Task<BranchSession> GetOrOpenAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_stopping) throw new CollabException(CollabErrorCode.Unavailable, "The server is shutting down. Reconnect shortly.");
            var lazy = _sessions.GetOrAdd(branch, b => new Lazy<Task<BranchSession>>(() => OpenAsync(b, carriedMembers: null)));
            BranchSession session;
            try
            {
                session = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A failed load is not cached: the next caller tries again.
                _sessions.TryRemove(new KeyValuePair<BranchRef, Lazy<Task<BranchSession>>>(branch, lazy));
                throw;
            }
            if (!session.IsFaulted) return session;
            await WaitRetiredAsync(branch, session).ConfigureAwait(false);
        }
    }

    private async Task<BranchSession> OpenAsync(BranchRef branch, IReadOnlyCollection<string>? carriedMembers)
    {
        var session = await BranchSession.LoadAsync(branch, _store, _documents, _broadcaster, _options, _time, _logger, CancellationToken.None).ConfigureAwait(false);
        if (carriedMembers is not null)
        {
            foreach (var member in carriedMembers) session.TryAddMember(member);
        }
        return session;
    }

    /// <summary>
    /// Waits for a closing or faulted session to finish, then removes it. A faulted session with connections is replaced
    /// at once by a fresh load, and its connections are asked to resync (SyncStep1), because they may hold updates the
    /// log does not.
    /// </summary>
    private async Task WaitRetiredAsync(BranchRef branch, BranchSession session)
    {
        try
        {
            await session.Completion.ConfigureAwait(false);
        }
        catch (Exception) when (session.IsFaulted)
        {
            // The loop reports its own failure; waiting is all that matters here.
        }
        if (!_sessions.TryGetValue(branch, out var lazy) || !IsSame(lazy, session)) return;
        var members = session.IsFaulted ? session.Members : null;
        if (members is { Count: > 0 } && !_stopping)
        {
            var replacement = new Lazy<Task<BranchSession>>(() => OpenAsync(branch, members));
            if (!_sessions.TryUpdate(branch, replacement, lazy)) return;
            try
            {
                var fresh = await replacement.Value.ConfigureAwait(false);
                var delay = ResyncDelay(branch);
                if (delay == TimeSpan.Zero)
                {
                    await ResyncAsync(branch, fresh).ConfigureAwait(false);
                }
                else
                {
                    // Reloaded again soon after the last reload (a full disk): every resync makes the clients send their
                    // state again, which fails again and reloads again. Back off, and meanwhile answer reads.
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await Task.Delay(delay, _time).ConfigureAwait(false);
                            if (_sessions.TryGetValue(branch, out var current) && IsSame(current, fresh) && !fresh.IsFaulted && !_stopping) await ResyncAsync(branch, fresh).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is not OutOfMemoryException)
                        {
                            DocumentsLog.SessionFaulted(_logger, branch, ex);
                        }
                    });
                }

                DocumentsLog.SessionReloaded(_logger, branch, members.Count);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The next caller retries the load (GetOrOpenAsync drops a failed one).
                DocumentsLog.SessionFaulted(_logger, branch, ex);
            }
            return;
        }
        _sessions.TryRemove(new KeyValuePair<BranchRef, Lazy<Task<BranchSession>>>(branch, lazy));
    }

    /// <summary>Asks the branch's connections to resync with a fresh session (its SyncStep1): they send what the log lost.</summary>
    private async Task ResyncAsync(BranchRef branch, BranchSession fresh)
    {
        try
        {
            var (_, stateVector) = await fresh.StateAsync(CancellationToken.None).ConfigureAwait(false);
            await _broadcaster.BroadcastSyncAsync(branch, SyncMessage.EncodeSyncStep1(stateVector), null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SessionClosedException or CollabException)
        {
            // The fresh session failed too (it resyncs when it is reloaded) or is closing.
        }
    }

    /// <summary>No delay for a branch's first reload in a minute; then 250 ms, doubling up to 30 s per reload.</summary>
    private TimeSpan ResyncDelay(BranchRef branch)
    {
        var now = _time.GetTimestamp();
        var (count, _) = _reloads.AddOrUpdate(branch, (0, now), (_, last) => (_time.GetElapsedTime(last.At, now) > TimeSpan.FromMinutes(1) ? 0 : last.Count + 1, now));
        return count == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, Math.Min(count - 1, 16)), 30_000));
    }

    private static bool IsSame(Lazy<Task<BranchSession>> lazy, BranchSession session) =>
        lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && ReferenceEquals(lazy.Value.Result, session);
}
