using System.Collections.Concurrent;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Server.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>
/// A minimal y-protocols peer over the hub for tests: a YDoc kept in sync with one branch. Local edits are sent as
/// Update messages with fresh update ids; incoming Sync messages are answered as y-protocols does.
/// </summary>
internal sealed class TestPeer : IAsyncDisposable
{
    private static readonly object Remote = new();
    private readonly Lock _docGate = new();
    private readonly List<byte[]> _outgoing = [];
    private readonly List<Task> _replies = [];

    private TestPeer(HubConnection connection, string documentId, string branch, uint clientId)
    {
        Connection = connection;
        DocumentId = documentId;
        Branch = branch;
        Doc = new YDoc(new YDocOptions { ClientId = clientId });
        Doc.UpdateV1 += (update, origin) =>
        {
            if (!ReferenceEquals(origin, Remote)) _outgoing.Add(update);
        };
        Attach(connection);
    }

    public HubConnection Connection { get; private set; }

    public string DocumentId { get; }

    public string Branch { get; }

    public YDoc Doc { get; }

    /// <summary>Every sync message received, in order (type, payload).</summary>
    public ConcurrentQueue<(SyncMessageType Type, byte[] Payload)> Received { get; } = new();

    public ConcurrentQueue<byte[]> AwarenessReceived { get; } = new();

    /// <summary>The seqs of acknowledged updates.</summary>
    public List<long> AckedSeqs { get; } = [];

    public JoinResult? JoinResult { get; private set; }

    public static TestPeer Create(HubConnection connection, string documentId, uint clientId, string branch = "main") =>
        new(connection, documentId, branch, clientId);

    public string Text
    {
        get
        {
            lock (_docGate) return Doc.GetText("text").ToString();
        }
    }

    /// <summary>Joins, then runs the client's half of the handshake (its SyncStep1, answered with SyncStep2).</summary>
    public async Task<JoinResult> JoinAsync()
    {
        if (Connection.State == HubConnectionState.Disconnected) await Connection.StartAsync();
        JoinResult = await Connection.InvokeAsync<JoinResult>("Join", DocumentId, Branch);
        byte[] stateVector;
        lock (_docGate) stateVector = Doc.EncodeStateVector();
        await Connection.InvokeAsync<SyncAck>("Sync", DocumentId, Branch, SyncMessage.EncodeSyncStep1(stateVector), null);
        await FlushRepliesAsync();
        return JoinResult;
    }

    /// <summary>Edits the text locally and sends the resulting update; returns its ack.</summary>
    public async Task<SyncAck> EditAsync(Action<Collab.Crdt.Types.YText> edit, string? updateId = null)
    {
        byte[][] updates;
        lock (_docGate)
        {
            var text = Doc.GetText("text");
            Doc.Transact(() => edit(text));
            updates = [.. _outgoing];
            _outgoing.Clear();
        }
        SyncAck ack = new(null);
        foreach (var update in updates)
        {
            ack = await SendUpdateAsync(update, updateId ?? Guid.NewGuid().ToString("N"));
        }
        return ack;
    }

    /// <summary>Edits without sending (as when offline); the next handshake carries the change.</summary>
    public void EditOffline(Action<Collab.Crdt.Types.YText> edit)
    {
        lock (_docGate)
        {
            var text = Doc.GetText("text");
            Doc.Transact(() => edit(text));
            _outgoing.Clear();
        }
    }

    public Task<SyncAck> InsertAsync(int index, string value, string? updateId = null) => EditAsync(t => t.Insert(index, value), updateId);

    public async Task<SyncAck> SendUpdateAsync(byte[] update, string? updateId)
    {
        var ack = await Connection.InvokeAsync<SyncAck>("Sync", DocumentId, Branch, SyncMessage.EncodeUpdate(update), updateId);
        if (ack.Seq is { } seq)
        {
            lock (AckedSeqs) AckedSeqs.Add(seq);
        }
        return ack;
    }

    /// <summary>Waits until the peer's text satisfies <paramref name="condition"/>.</summary>
    public async Task WaitForTextAsync(Func<string, bool> condition, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition(Text))
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"Text is still \"{Text}\".");
            await Task.Delay(10);
        }
    }

    public Task WaitForTextAsync(string expected, int timeoutMs = 10_000) => WaitForTextAsync(t => t == expected, timeoutMs);

    public async Task FlushRepliesAsync()
    {
        Task[] pending;
        lock (_replies) pending = [.. _replies];
        await Task.WhenAll(pending);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
    }

    /// <summary>Switches to a new connection (after a server restart) and resyncs: join, then SyncStep1 both ways.</summary>
    public async Task<JoinResult> ReconnectAsync(HubConnection connection)
    {
        await Connection.DisposeAsync();
        Connection = connection;
        Attach(connection);
        return await JoinAsync();
    }

    private void Attach(HubConnection connection)
    {
        connection.On<string, string, byte[]>("Sync", OnSync);
        connection.On<string, string, byte[]>("Awareness", (doc, br, update) => AwarenessReceived.Enqueue(update));
    }

    private void OnSync(string documentId, string branch, byte[] message)
    {
        if (documentId != DocumentId || branch != Branch) return;
        var sync = SyncMessage.Read(message);
        Received.Enqueue((sync.Type, sync.Payload.ToArray()));
        if (sync.Type == SyncMessageType.SyncStep1)
        {
            byte[] diff;
            lock (_docGate) diff = Doc.EncodeStateAsUpdate(sync.Payload.ToArray());
            // Never await an invocation inside a handler: its completion arrives on the loop that runs the handler.
            var reply = Connection.InvokeAsync<SyncAck>("Sync", DocumentId, Branch, SyncMessage.EncodeSyncStep2(diff), Guid.NewGuid().ToString("N"));
            lock (_replies) _replies.Add(reply);
            return;
        }
        lock (_docGate) Doc.ApplyUpdate(sync.Payload.ToArray(), Remote);
    }
}
