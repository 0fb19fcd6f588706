using System.Collections.Concurrent;
using System.Net.WebSockets;
using Collab.EventStore;

namespace Collab.Server.Protocols;

/// <summary>What a broadcast carries: a y-protocols sync message or an awareness update.</summary>
internal enum BroadcastKind
{
    Sync,
    Awareness,

    /// <summary>A Hocuspocus stateless message (UTF-8), relayed between Hocuspocus sockets only.</summary>
    Stateless,
}

/// <summary>
/// One raw WebSocket speaking a Yjs provider protocol (y-websocket, …): who it is, its outbox, and how it frames a
/// branch's broadcasts. The connection id is unique among hub connections and sockets (awareness is kept per id).
/// </summary>
internal abstract class SocketPeer(string connectionId, string user, SocketOutbox outbox)
{
    public string ConnectionId { get; } = connectionId;

    public string User { get; } = user;

    public SocketOutbox Outbox { get; } = outbox;

    /// <summary>
    /// Peers whose frames for a branch are byte-identical share this key, so a broadcast encodes once per key (null:
    /// encode for this peer alone).
    /// </summary>
    public abstract string? FrameKey(BranchRef branch);

    /// <summary>
    /// The frame that carries <paramref name="payload"/> of <paramref name="kind"/> for <paramref name="branch"/> to this
    /// peer; null when its protocol has no such message (the peer is skipped).
    /// </summary>
    public abstract byte[]? Frame(BranchRef branch, BroadcastKind kind, byte[] payload);

    /// <summary>Closes the socket with a reason (server shutdown).</summary>
    public virtual void Close(WebSocketCloseStatus status, string reason) => Outbox.Close(status, reason);

    /// <summary>
    /// The user lost every role on <paramref name="document"/>: its broadcasts have already stopped reaching this socket.
    /// A protocol whose socket serves that one document closes it; one that carries several documents keeps the others.
    /// </summary>
    public virtual void Revoked(DocumentId document)
    {
    }
}

/// <summary>
/// The raw sockets and the branches they joined, next to <see cref="Hubs.ConnectionRegistry"/> for hub connections:
/// <see cref="BroadcastFanOut"/> sends every branch broadcast to both. A broadcast only enqueues into each socket's
/// <see cref="SocketOutbox"/>. Also counts each user's open sockets against the per-user connection cap. Thread-safe.
/// </summary>
internal sealed class SocketRegistry
{
    private readonly ConcurrentDictionary<string, SocketPeer> _peers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perUser = new(StringComparer.Ordinal);
    // Copy-on-write member arrays: broadcasts (many) read without a lock; joins and leaves (few) replace the array.
    private readonly ConcurrentDictionary<BranchRef, SocketPeer[]> _members = new();
    private readonly Lock _gate = new();

    /// <summary>Open sockets.</summary>
    public int Count => _peers.Count;

    /// <summary>Whether a socket with this connection id is open (the idle sweep drops members that are not).</summary>
    public bool IsConnected(string connectionId) => _peers.ContainsKey(connectionId);

    /// <summary>Records an open socket; false (nothing recorded) when its user already holds <paramref name="maxPerUser"/> sockets.</summary>
    public bool TryAttach(SocketPeer peer, int maxPerUser)
    {
        lock (_gate)
        {
            var count = _perUser.GetValueOrDefault(peer.User);
            if (count >= maxPerUser) return false;
            _perUser[peer.User] = count + 1;
            _peers[peer.ConnectionId] = peer;
            return true;
        }
    }

    /// <summary>Forgets a closed socket and every branch it joined (leave the sessions first, see the endpoint).</summary>
    public void Detach(SocketPeer peer)
    {
        lock (_gate)
        {
            if (!_peers.TryRemove(peer.ConnectionId, out _)) return;
            var count = _perUser.GetValueOrDefault(peer.User) - 1;
            if (count <= 0) _perUser.TryRemove(peer.User, out _);
            else _perUser[peer.User] = count;
            foreach (var (branch, members) in _members)
            {
                if (Array.IndexOf(members, peer) >= 0) RemoveMember(branch, peer);
            }
        }
    }

    /// <summary>From now on the socket receives the branch's broadcasts.</summary>
    public void Join(SocketPeer peer, BranchRef branch)
    {
        lock (_gate)
        {
            var current = _members.GetValueOrDefault(branch) ?? [];
            if (Array.IndexOf(current, peer) < 0) _members[branch] = [.. current, peer];
        }
    }

    /// <summary>Stops the branch's broadcasts to the socket; false when it had not joined.</summary>
    public bool Leave(SocketPeer peer, BranchRef branch)
    {
        lock (_gate)
        {
            if (!_members.TryGetValue(branch, out var current) || Array.IndexOf(current, peer) < 0) return false;
            RemoveMember(branch, peer);
            return true;
        }
    }

    /// <summary>Enqueues <paramref name="payload"/> for every socket of the branch but <paramref name="exceptConnectionId"/>.</summary>
    public void Broadcast(BranchRef branch, BroadcastKind kind, byte[] payload, string? exceptConnectionId)
    {
        if (!_members.TryGetValue(branch, out var members)) return;
        // Encoded once per frame key (one for every y-websocket socket of the branch).
        string? lastKey = null;
        byte[]? lastFrame = null;
        foreach (var peer in members)
        {
            if (exceptConnectionId is not null && peer.ConnectionId == exceptConnectionId) continue;
            var key = peer.FrameKey(branch);
            byte[]? frame;
            if (key is not null && key == lastKey) frame = lastFrame;
            else
            {
                frame = peer.Frame(branch, kind, payload);
                (lastKey, lastFrame) = (key, frame);
            }
            if (frame is not null) peer.Outbox.TrySend(frame);
        }
    }

    /// <summary>
    /// The user's role on <paramref name="document"/> was revoked: its sockets stop receiving the document's broadcasts at
    /// once (not at their next frame, when the role is read again), and each is told (<see cref="SocketPeer.Revoked"/>).
    /// </summary>
    public void Revoke(string user, DocumentId document)
    {
        var revoked = new HashSet<SocketPeer>();
        lock (_gate)
        {
            foreach (var (branch, members) in _members)
            {
                if (branch.Document != document) continue;
                foreach (var peer in members)
                {
                    if (peer.User != user) continue;
                    RemoveMember(branch, peer);
                    revoked.Add(peer);
                }
            }
        }
        foreach (var peer in revoked) peer.Revoked(document);
    }

    /// <summary>Closes every socket with a reason (server shutdown); returns how many.</summary>
    public int CloseAll(WebSocketCloseStatus status, string reason)
    {
        var peers = _peers.Values.ToList();
        foreach (var peer in peers) peer.Close(status, reason);
        return peers.Count;
    }

    /// <summary>
    /// For the footprint account: users with an open socket, broadcast member entries (summed over branches), and the
    /// frames and bytes waiting in every socket's outbox.
    /// </summary>
    public (int Users, int BranchMembers, int OutboxFrames, long OutboxBytes) Totals()
    {
        int users, members = 0, frames = 0;
        long bytes = 0;
        lock (_gate) users = _perUser.Count;
        foreach (var branchMembers in _members.Values) members += branchMembers.Length;
        foreach (var peer in _peers.Values)
        {
            frames += peer.Outbox.QueuedFrames;
            bytes += peer.Outbox.QueuedBytes;
        }
        return (users, members, frames, bytes);
    }

    private void RemoveMember(BranchRef branch, SocketPeer peer)
    {
        if (!_members.TryGetValue(branch, out var current)) return;
        var remaining = Array.FindAll(current, p => !ReferenceEquals(p, peer));
        if (remaining.Length == 0) _members.TryRemove(branch, out _);
        else _members[branch] = remaining;
    }
}
