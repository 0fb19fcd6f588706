using System.Collections.Concurrent;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// The host's record of hub connections: each one's transport, user, outbox and joined branches, and for each branch
/// the connections that joined it (what SignalR groups did before: broadcasts go to these). It is also the branch
/// broadcaster: a broadcast only enqueues into each member's <see cref="ConnectionOutbox"/>, so it never waits for a
/// slow reader. Joins and leaves go through <see cref="HubMembership"/>, the one leave path. Thread-safe.
/// </summary>
internal sealed class ConnectionRegistry(IOptions<CollabServerOptions> options, ILogger<ConnectionRegistry> logger) : IBranchBroadcaster
{
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    // Copy-on-write member arrays: broadcasts (many) read without a lock; joins and leaves (few) replace the array.
    private readonly ConcurrentDictionary<BranchRef, Connection[]> _members = new();
    private readonly Lock _membersGate = new();

    public int Count => _connections.Count;

    /// <summary>Whether a hub connection with this id is open.</summary>
    public bool IsConnected(string connectionId) => _connections.ContainsKey(connectionId);

    /// <summary>Records a new connection and starts its outbox (see <see cref="TrackingHubLifetimeManager"/>).</summary>
    public void Attach(HubConnectionContext transport)
    {
        var limits = options.Value.Limits;
        var outbox = new ConnectionOutbox(transport, limits.MaxOutboxMessages, limits.MaxOutboxBytes, logger);
        _connections[transport.ConnectionId] = new Connection(transport, outbox);
    }

    /// <summary>Forgets a closed connection and stops its outbox. Its branches were left before (hub disconnect).</summary>
    public void Detach(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var connection)) return;
        connection.Outbox.Close();
        lock (connection.Joined)
        {
            foreach (var branch in connection.Joined) RemoveMember(branch, connection);
            connection.Joined.Clear();
        }
    }

    /// <summary>The transport of an open connection (to close it with a reason), or null.</summary>
    public HubConnectionContext? TransportOf(string connectionId) => _connections.TryGetValue(connectionId, out var connection) ? connection.Transport : null;

    /// <summary>The branches a connection has joined.</summary>
    public IReadOnlyList<BranchRef> JoinedBranches(string connectionId)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return [];
        lock (connection.Joined) return [.. connection.Joined];
    }

    /// <summary>
    /// Records a join: from now on the connection receives the branch's broadcasts. False when the connection is at its
    /// limit or gone (re-joining a joined branch always succeeds).
    /// </summary>
    public bool TryJoin(string connectionId, BranchRef branch, int maxBranches)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return false;
        lock (connection.Joined)
        {
            if (connection.Joined.Contains(branch)) return true;
            if (connection.Joined.Count >= maxBranches) return false;
            connection.Joined.Add(branch);
            AddMember(branch, connection);
            return true;
        }
    }

    public bool IsJoined(string connectionId, BranchRef branch)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return false;
        lock (connection.Joined) return connection.Joined.Contains(branch);
    }

    /// <summary>Forgets a join; false when the connection had not joined the branch. Use <see cref="HubMembership"/>.</summary>
    public bool Leave(string connectionId, BranchRef branch)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return false;
        lock (connection.Joined)
        {
            if (!connection.Joined.Remove(branch)) return false;
            RemoveMember(branch, connection);
            return true;
        }
    }

    /// <summary>The connections of <paramref name="user"/> that joined some branch of <paramref name="document"/>.</summary>
    public IReadOnlyList<(string ConnectionId, BranchRef Branch)> JoinedBy(string user, DocumentId document)
    {
        var result = new List<(string, BranchRef)>();
        foreach (var (id, connection) in _connections)
        {
            if (connection.User != user) continue;
            lock (connection.Joined)
            {
                foreach (var branch in connection.Joined) if (branch.Document == document) result.Add((id, branch));
            }
        }
        return result;
    }

    /// <summary>The connections that joined some branch of <paramref name="document"/>.</summary>
    public IReadOnlyList<string> JoinedTo(DocumentId document)
    {
        var result = new List<string>();
        foreach (var (id, connection) in _connections)
        {
            lock (connection.Joined)
            {
                foreach (var branch in connection.Joined)
                {
                    if (branch.Document != document) continue;
                    result.Add(id);
                    break;
                }
            }
        }
        return result;
    }

    public Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken)
    {
        Broadcast(branch, nameof(IDocumentClient.Sync), message, exceptConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Broadcasts a commit's sync messages: each member receives those it did not send, in order, in one outbox entry
    /// (one write and one frame) — see <see cref="SyncBatchMessages"/>.
    /// </summary>
    public void BroadcastSyncBatch(BranchRef branch, IReadOnlyList<BranchSyncMessage> batch)
    {
        if (batch.Count == 1)
        {
            Broadcast(branch, nameof(IDocumentClient.Sync), batch[0].Message, batch[0].ExceptConnectionId);
            return;
        }
        if (batch.Count == 0 || !_members.TryGetValue(branch, out var members)) return;
        var messages = new SyncBatchMessages(branch, batch);
        foreach (var member in members)
        {
            if (messages.For(member.Transport.Protocol, member.Transport.ConnectionId, out var size) is { } message)
            {
                member.Outbox.TryEnqueue(message, size);
            }
        }
    }

    public Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken)
    {
        Broadcast(branch, nameof(IDocumentClient.Awareness), update, exceptConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>Closes every connection with <paramref name="reason"/> (server shutdown); returns how many.</summary>
    public async Task<int> CloseAllAsync(string reason, CancellationToken cancellationToken)
    {
        var closing = new List<Task>();
        foreach (var connection in _connections.Values)
        {
            closing.Add(HubConnectionClosing.CloseAsync(connection.Transport, reason, TimeSpan.FromSeconds(2), cancellationToken));
        }
        await Task.WhenAll(closing);
        return closing.Count;
    }

    /// <summary>
    /// For the footprint account: branches joined (summed over connections), broadcast member entries (summed over
    /// branches), and the messages and bytes waiting in every outbox.
    /// </summary>
    public (int Joins, int BranchMembers, int OutboxMessages, long OutboxBytes) Totals()
    {
        int joins = 0, members = 0, messages = 0;
        long bytes = 0;
        foreach (var connection in _connections.Values)
        {
            lock (connection.Joined) joins += connection.Joined.Count;
            messages += connection.Outbox.QueuedMessages;
            bytes += connection.Outbox.QueuedBytes;
        }
        foreach (var branchMembers in _members.Values) members += branchMembers.Length;
        return (joins, members, messages, bytes);
    }

    private void Broadcast(BranchRef branch, string method, byte[] payload, string? exceptConnectionId)
    {
        if (!_members.TryGetValue(branch, out var members)) return;
        // Serialized once per protocol and shared by every recipient, as a SignalR group send does.
        var message = new SerializedHubMessage(new InvocationMessage(method, [branch.Document.Value, branch.Branch.Value, payload]));
        var size = payload.Length + 64;
        foreach (var member in members)
        {
            if (exceptConnectionId is not null && member.Transport.ConnectionId == exceptConnectionId) continue;
            member.Outbox.TryEnqueue(message, size);
        }
    }

    private void AddMember(BranchRef branch, Connection connection)
    {
        lock (_membersGate)
        {
            var current = _members.GetValueOrDefault(branch) ?? [];
            if (Array.IndexOf(current, connection) < 0) _members[branch] = [.. current, connection];
        }
    }

    private void RemoveMember(BranchRef branch, Connection connection)
    {
        lock (_membersGate)
        {
            if (!_members.TryGetValue(branch, out var current)) return;
            var remaining = Array.FindAll(current, c => !ReferenceEquals(c, connection));
            if (remaining.Length == 0) _members.TryRemove(branch, out _);
            else _members[branch] = remaining;
        }
    }

    private sealed class Connection(HubConnectionContext transport, ConnectionOutbox outbox)
    {
        public HubConnectionContext Transport { get; } = transport;

        public ConnectionOutbox Outbox { get; } = outbox;

        /// <summary>The user name the permission checks use (the token's subject), read once.</summary>
        public string? User { get; } = transport.User is { } principal ? HubUser.TryNameOf(principal) : null;

        public HashSet<BranchRef> Joined { get; } = [];
    }
}
