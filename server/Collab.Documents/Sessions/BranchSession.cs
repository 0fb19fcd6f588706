using System.Threading.Channels;
using Collab.EventStore;
using Microsoft.Extensions.Logging;

namespace Collab.Documents.Sessions;

/// <summary>
/// The live state of one open branch: an in-memory CRDT document equal to the log (plus updates being appended), its
/// connections and their awareness states. Every document operation goes through one channel read by one loop, so a
/// branch has exactly one ordered writer and the document is never touched by two threads; different branches run in
/// parallel. No lock is held across an await.
/// </summary>
internal sealed partial class BranchSession
{
    private readonly Channel<Work> _queue;
    private readonly ICrdtDocument _doc;
    private readonly IEventStore _store;
    private readonly IBranchBroadcaster _broadcaster;
    private readonly LiveSessionOptions _options;
    private readonly ILogger _logger;
    private readonly UpdateIdCache _updateIds;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _members = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private SessionState _state = SessionState.Open;
    private long _idleSince;
    private long _head;
    private long _snapshotSeq;
    private Task _loop = Task.CompletedTask;

    private BranchSession(
        BranchRef branch,
        ICrdtDocument doc,
        IEventStore store,
        IBranchBroadcaster broadcaster,
        LiveSessionOptions options,
        TimeProvider time,
        ILogger logger)
    {
        Branch = branch;
        _doc = doc;
        _store = store;
        _broadcaster = broadcaster;
        _options = options;
        _time = time;
        _logger = logger;
        _updateIds = new UpdateIdCache(options.RememberedUpdateIds);
        Awareness = new AwarenessRelay(options);
        _idleSince = time.GetTimestamp();
        _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The branch this session serves.</summary>
    public BranchRef Branch { get; }

    /// <summary>The awareness states of the branch's connections.</summary>
    public AwarenessRelay Awareness { get; }

    /// <summary>The seq of the last event known durable.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Completes when the loop has stopped (after the final snapshot, or after a fault).</summary>
    public Task Completion => _loop;

    /// <summary>True once the session failed and must be replaced by a fresh load.</summary>
    public bool IsFaulted
    {
        get
        {
            lock (_gate) return _state == SessionState.Faulted;
        }
    }

    /// <summary>The connections that joined this branch.</summary>
    public IReadOnlyCollection<string> Members
    {
        get
        {
            lock (_gate) return [.. _members];
        }
    }

    /// <summary>Adds a connection. False when the session is closing (the caller opens a fresh one).</summary>
    public bool TryAddMember(string connectionId)
    {
        lock (_gate)
        {
            if (_state != SessionState.Open) return false;
            _members.Add(connectionId);
            return true;
        }
    }

    /// <summary>Removes a connection; returns the awareness removal to broadcast, if any.</summary>
    public byte[]? RemoveMember(string connectionId)
    {
        lock (_gate)
        {
            if (_members.Remove(connectionId) && _members.Count == 0) _idleSince = _time.GetTimestamp();
        }
        return Awareness.RemoveConnection(connectionId);
    }

    /// <summary>Whether this connection joined.</summary>
    public bool HasMember(string connectionId)
    {
        lock (_gate) return _members.Contains(connectionId);
    }

    /// <summary>
    /// Starts closing when nobody has been connected for <paramref name="idleFor"/>: queued work is still finished and a
    /// final snapshot written. Returns false when the session is in use.
    /// </summary>
    public bool TryCloseIfIdle(TimeSpan idleFor)
    {
        lock (_gate)
        {
            if (_state != SessionState.Open || _members.Count > 0 || _time.GetElapsedTime(_idleSince) < idleFor) return false;
            _state = SessionState.Closing;
        }
        _queue.Writer.TryComplete();
        return true;
    }

    /// <summary>Starts closing regardless of members (server shutdown).</summary>
    public void Close()
    {
        lock (_gate)
        {
            if (_state == SessionState.Open) _state = SessionState.Closing;
        }
        _queue.Writer.TryComplete();
    }

    /// <summary>Applies, stores durably and broadcasts an update; completes with its seq, or null when it changed nothing.</summary>
    public async Task<long?> SubmitUpdateAsync(byte[] update, string? updateId, string author, string? connectionId, CancellationToken cancellationToken)
    {
        var work = new ApplyWork(update, updateId, author, connectionId);
        await EnqueueAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What a peer with <paramref name="stateVector"/> lacks, computed on durable state only.</summary>
    public async Task<byte[]> DiffAsync(byte[] stateVector, CancellationToken cancellationToken)
    {
        var work = new DiffWork(stateVector);
        await EnqueueAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether an update would change the document (for read-only peers, whose changes are refused).</summary>
    public async Task<bool> WouldChangeAsync(byte[] update, CancellationToken cancellationToken)
    {
        var work = new CheckWork(update);
        await EnqueueAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The durable head and the state vector at it.</summary>
    public async Task<(long Head, byte[] StateVector)> StateAsync(CancellationToken cancellationToken)
    {
        var work = new StateWork();
        await EnqueueAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Work waiting in the session's bounded queue (at most <see cref="LiveSessionOptions.QueueCapacity"/>; senders wait beyond it).</summary>
    internal int QueuedWork => _queue.Reader.Count;

    /// <summary>The whole document at the durable head (for REST reads).</summary>
    public async Task<(long Head, byte[] Update)> ContentAsync(CancellationToken cancellationToken)
    {
        var work = new ContentWork();
        await EnqueueAsync(work, cancellationToken).ConfigureAwait(false);
        return await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask EnqueueAsync(Work work, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new SessionClosedException();
        }
    }

    private enum SessionState
    {
        Open,
        Closing,
        Faulted,
    }
}

/// <summary>Thrown to the manager when a session stopped taking work; the manager retries on a fresh session.</summary>
internal sealed class SessionClosedException : Exception
{
    public SessionClosedException()
        : base("The session is closed.")
    {
    }

    public SessionClosedException(string message)
        : base(message)
    {
    }

    public SessionClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
