using Collab.Client.Protocol;
using Collab.Crdt.Protocol;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Client;

/// <summary>
/// Keeps one <see cref="IDocumentReplica"/> in sync with one (document, branch) on the server.
/// </summary>
/// <remarks>
/// Every local update gets a fresh update id and stays pending until the server acknowledges it with a seq. After a
/// reconnect the pending updates are sent again with the same ids: the server acknowledges an update it already
/// stored without storing it twice. Make local edits inside <see cref="Transact"/>, which serializes them with the
/// remote updates this connection applies from SignalR's receive loop.
/// </remarks>
public sealed partial class DocumentConnection : IAsyncDisposable
{
    private readonly CollabClient _client;
    private readonly IDocumentReplica _replica;
    private readonly Lock _gate = new();
    private readonly List<PendingUpdate> _pending = [];
    private List<(bool IsAwareness, byte[] Bytes)>? _inbox;
    private bool _joined;
    private TaskCompletionSource _synced = NewSignal();
    private long _lastAckSeq;

    internal DocumentConnection(CollabClient client, string documentId, string branch, IDocumentReplica replica, Awareness? awareness)
    {
        _client = client;
        _replica = replica;
        DocumentId = documentId;
        Branch = branch;
        Awareness = awareness;
        _replica.LocalUpdate += OnLocalUpdate;
        if (awareness is not null)
        {
            awareness.Update += OnAwarenessUpdate;
        }
    }

    /// <summary>The document's id.</summary>
    public string DocumentId { get; }

    /// <summary>The branch's name.</summary>
    public string Branch { get; private set; }

    /// <summary>The caller's role from the last join (<c>owner</c>, <c>editor</c>, <c>viewer</c>, <c>auditor</c>).</summary>
    public string? Role { get; private set; }

    /// <summary>The branch's head seq at the last join.</summary>
    public long HeadSeq { get; private set; }

    /// <summary>Highest seq the server acknowledged for one of this connection's updates.</summary>
    public long LastAckSeq => Interlocked.Read(ref _lastAckSeq);

    /// <summary>Whether the handshake with the server is complete on the current connection.</summary>
    public bool IsSynced => _synced.Task.IsCompletedSuccessfully;

    /// <summary>Completes when the current (or next) sync handshake is complete.</summary>
    public Task Synced
    {
        get
        {
            lock (_gate)
            {
                return _synced.Task;
            }
        }
    }

    /// <summary>Number of local updates not acknowledged yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Raised when the server acknowledged one of our updates: (update id, seq or null).</summary>
    public event Action<string, long?>? Acknowledged;

    /// <summary>Raised when the server refused one of our updates (a viewer's edit, a too large update…).</summary>
    public event Action<string, HubException>? Refused;

    /// <summary>Raised after an update from another client was applied (payload = update v1 bytes).</summary>
    public event Action<byte[]>? RemoteUpdate;

    /// <summary>Raised with each awareness update relayed by the server (after it was applied to <see cref="Awareness"/>).</summary>
    public event Action<byte[]>? AwarenessReceived;

    /// <summary>
    /// Runs <paramref name="edit"/> under this connection's lock, so that it does not race with remote updates;
    /// the updates it produces are queued and sent.
    /// </summary>
    public void Transact(Action edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        lock (_gate)
        {
            edit();
        }
    }

    /// <summary>Runs <paramref name="read"/> under this connection's lock and returns its result.</summary>
    public T Read<T>(Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_gate)
        {
            return read();
        }
    }

    /// <summary>Completes when every update made so far has been acknowledged (or refused).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task[] waits;
        lock (_gate)
        {
            waits = _pending.Select(p => p.Done.Task).ToArray();
        }

        await Task.WhenAll(waits).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves the branch on the server and stops syncing the replica.</summary>
    public async ValueTask DisposeAsync()
    {
        // Leave removes our awareness states for the others; clear ours locally too.
        Detach();
        await _client.CloseDocumentAsync(this).ConfigureAwait(false);
    }

    internal void Detach()
    {
        _replica.LocalUpdate -= OnLocalUpdate;
        if (Awareness is not null)
        {
            Awareness.Update -= OnAwarenessUpdate;
        }
    }

    internal void OnConnectionLost()
    {
        lock (_gate)
        {
            _joined = false;
            _inbox = null;
            if (_synced.Task.IsCompleted)
            {
                _synced = NewSignal();
            }
        }

        ForgetRemoteAwareness();
    }

    internal async Task JoinAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _joined = false;
            _inbox = []; // the server sends its SyncStep1 before Join completes: hold it until the resends are out
        }

        var result = await _client.Hub.InvokeAsync<JoinResult>("Join", DocumentId, Branch, cancellationToken)
            .ConfigureAwait(false);
        Role = result.Role;
        HeadSeq = result.HeadSeq;

        Task[] resends;
        lock (_gate)
        {
            resends = _pending.Select(Send).ToArray();
        }

        await Task.WhenAll(resends).ConfigureAwait(false);
        if (_client.Hub.State != HubConnectionState.Connected)
        {
            return;
        }

        FinishJoin();
    }

    /// <summary>
    /// Moves this connection's replica to a new branch forked from the current one (the hub's <c>MoveToBranch</c>). Stops
    /// sending, waits for updates already sent, then switches; unsent edits go to the new branch, and the handshake that
    /// follows brings anything else the server lacks.
    /// </summary>
    internal async Task<MoveResult> MoveAsync(string newBranch, CancellationToken cancellationToken)
    {
        Task[] inFlight;
        lock (_gate)
        {
            _joined = false; // new edits wait in _pending
            inFlight = _pending.Where(p => p.Sent).Select(p => p.Done.Task).ToArray();
        }

        await Task.WhenAll(inFlight).WaitAsync(cancellationToken).ConfigureAwait(false);
        var oldBranch = Branch;
        lock (_gate)
        {
            _inbox = []; // the new branch's SyncStep1 arrives before MoveToBranch returns: hold it
            Branch = newBranch;
        }

        MoveResult result;
        try
        {
            result = await _client.Hub.InvokeAsync<MoveResult>("MoveToBranch", DocumentId, oldBranch, newBranch, cancellationToken)
                .ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                Branch = oldBranch;
            }

            FinishJoin();
            throw;
        }

        Role = result.Role;
        HeadSeq = result.HeadSeq;
        FinishJoin();
        return result;
    }

    private void FinishJoin()
    {
        lock (_gate)
        {
            _joined = true;
            foreach (var item in _pending)
            {
                if (!item.Sent)
                {
                    _ = Send(item);
                }
            }

            var inbox = _inbox ?? [];
            _inbox = null;
            foreach (var (isAwareness, bytes) in inbox)
            {
                Handle(isAwareness, bytes);
            }

            byte[] step1 = SyncMessage.EncodeSyncStep1(_replica.EncodeStateVector());
            _ = InvokeSyncAsync(step1, updateId: null);
        }

        ResendAwareness();
    }

    internal void Receive(bool isAwareness, byte[] bytes)
    {
        lock (_gate)
        {
            if (_inbox is not null)
            {
                _inbox.Add((isAwareness, bytes));
            }
            else
            {
                Handle(isAwareness, bytes);
            }
        }
    }

    private void Handle(bool isAwareness, byte[] bytes)
    {
        try
        {
            if (isAwareness)
            {
                Awareness?.ApplyUpdate(bytes, this);
                AwarenessReceived?.Invoke(bytes);
                return;
            }

            var message = SyncMessage.Read(bytes);
            byte[] payload = message.Payload.ToArray();
            switch (message.Type)
            {
                case SyncMessageType.SyncStep1:
                    byte[] step2 = SyncMessage.EncodeSyncStep2(_replica.EncodeStateAsUpdate(payload));
                    _ = InvokeSyncAsync(step2, Guid.NewGuid().ToString());
                    break;
                case SyncMessageType.SyncStep2:
                    _replica.ApplyRemoteUpdate(payload);
                    _synced.TrySetResult();
                    break;
                default:
                    _replica.ApplyRemoteUpdate(payload);
                    RemoteUpdate?.Invoke(payload);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _client.ReportError(e);
        }
    }

    private void OnLocalUpdate(byte[] update)
    {
        lock (_gate)
        {
            var item = new PendingUpdate(Guid.NewGuid().ToString(), update);
            _pending.Add(item);
            if (_joined)
            {
                _ = Send(item);
            }
        }
    }

    // Called under _gate so that invocations leave in the order the updates were made.
    private async Task Send(PendingUpdate item)
    {
        item.Sent = true;
        try
        {
            var ack = await InvokeSyncCoreAsync(SyncMessage.EncodeUpdate(item.Update), item.Id)
                .ConfigureAwait(false);
            lock (_gate)
            {
                _pending.Remove(item);
            }

            NoteSeq(ack.Seq);
            item.Done.TrySetResult();
            Acknowledged?.Invoke(item.Id, ack.Seq);
        }
        catch (HubException error) when (IsTransient(error))
        {
            // "unavailable" (shutting down, or the branch is reloading) and "rate_limited" say: try again later.
            item.Sent = false;
            _ = RetryLaterAsync(item);
        }
        catch (HubException refused)
        {
            // The server looked at it and said no: retrying cannot help.
            lock (_gate)
            {
                _pending.Remove(item);
            }

            item.Done.TrySetResult();
            Refused?.Invoke(item.Id, refused);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The connection went away: the update stays pending and is sent again, same id, after the rejoin.
            item.Sent = false;
        }
    }

    internal static bool IsTransient(HubException error) =>
        error.Message.Contains("unavailable:", StringComparison.Ordinal) || error.Message.Contains("rate_limited:", StringComparison.Ordinal);

    private async Task RetryLaterAsync(PendingUpdate item)
    {
        item.Attempts++;
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 * (1 << Math.Min(item.Attempts, 6))))).ConfigureAwait(false);
        lock (_gate)
        {
            // After a reconnect the rejoin has re-sent it already; otherwise send it again now, same id.
            if (_joined && !item.Sent && _pending.Contains(item))
            {
                _ = Send(item);
            }
        }
    }

    private async Task InvokeSyncAsync(byte[] message, string? updateId)
    {
        try
        {
            var ack = await InvokeSyncCoreAsync(message, updateId).ConfigureAwait(false);
            NoteSeq(ack.Seq);
        }
        catch (HubException e)
        {
            _client.ReportError(e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A lost connection: the next join redoes the handshake.
        }
    }

    private Task<SyncAck> InvokeSyncCoreAsync(byte[] message, string? updateId) =>
        _client.Hub.InvokeAsync<SyncAck>("Sync", DocumentId, Branch, message, updateId);

    private void NoteSeq(long? seq)
    {
        if (seq is not { } s)
        {
            return;
        }

        long current;
        do
        {
            current = Interlocked.Read(ref _lastAckSeq);
        }
        while (s > current && Interlocked.CompareExchange(ref _lastAckSeq, s, current) != current);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class PendingUpdate(string id, byte[] update)
    {
        public string Id { get; } = id;

        public byte[] Update { get; } = update;

        public bool Sent { get; set; }

        public int Attempts { get; set; }

        public TaskCompletionSource Done { get; } = NewSignal();
    }
}
