using System.Collections.Concurrent;
using Collab.EventStore;
using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Hubs;

/// <summary>
/// Which branches each hub connection joined, and the connection contexts themselves so that shutdown and revocation
/// can reach them. Thread-safe; per-connection state is guarded by its own small lock.
/// </summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HubConnectionContext> _transports = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    /// <summary>Whether a hub connection with this id is open.</summary>
    public bool IsConnected(string connectionId) => _connections.ContainsKey(connectionId);

    public void Connected(HubCallerContext context, string user) => _connections[context.ConnectionId] = new Connection(context, user);

    /// <summary>Forgets a connection and returns the branches it had joined.</summary>
    public IReadOnlyList<BranchRef> Disconnected(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var connection)) return [];
        lock (connection.Joined) return [.. connection.Joined];
    }

    /// <summary>Records a join; false when the connection is at its limit (re-joining a joined branch always succeeds).</summary>
    public bool TryJoin(string connectionId, BranchRef branch, int maxBranches)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return false;
        lock (connection.Joined)
        {
            if (connection.Joined.Contains(branch)) return true;
            if (connection.Joined.Count >= maxBranches) return false;
            connection.Joined.Add(branch);
            return true;
        }
    }

    public bool IsJoined(string connectionId, BranchRef branch)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return false;
        lock (connection.Joined) return connection.Joined.Contains(branch);
    }

    public bool Leave(string connectionId, BranchRef branch)
    {
        if (!_connections.TryGetValue(connectionId, out var connection)) return false;
        lock (connection.Joined) return connection.Joined.Remove(branch);
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

    /// <summary>Remembers the SignalR connection itself (see <see cref="TrackingHubLifetimeManager"/>).</summary>
    public void Attach(HubConnectionContext connection) => _transports[connection.ConnectionId] = connection;

    public void Detach(string connectionId) => _transports.TryRemove(connectionId, out _);

    /// <summary>Closes every connection with <paramref name="reason"/> (server shutdown); returns how many.</summary>
    public async Task<int> CloseAllAsync(string reason, CancellationToken cancellationToken)
    {
        var closing = new List<Task>();
        foreach (var connection in _transports.Values) closing.Add(HubConnectionClosing.CloseAsync(connection, reason, TimeSpan.FromSeconds(2), cancellationToken));
        // Connections whose transport was never recorded are aborted without a reason.
        foreach (var (id, connection) in _connections)
        {
            if (!_transports.ContainsKey(id)) connection.Context.Abort();
        }
        await Task.WhenAll(closing);
        return closing.Count;
    }

    private sealed record Connection(HubCallerContext Context, string User)
    {
        public HashSet<BranchRef> Joined { get; } = [];
    }
}
