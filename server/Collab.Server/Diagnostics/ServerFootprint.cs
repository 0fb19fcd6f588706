using Collab.Documents.Sessions;
using Collab.Server.Hubs;
using Collab.Server.Protocols;

namespace Collab.Server.Diagnostics;

/// <summary>
/// The server's footprint account: every kind of state a client can make the server hold, counted by the component that
/// owns it (issue 13). The structural figures (<see cref="Structural"/>) are exact counts that must return to what they
/// were once a client has left, whatever it did; the per-account tables are kept per user name by design (bounded by
/// the number of accounts, pruned past 10,000 entries); the heap figure is the managed heap, for comparison only.
/// </summary>
/// <param name="Sessions">What the live branch sessions hold.</param>
/// <param name="HubConnections">Open hub (SignalR) connections.</param>
/// <param name="HubJoins">Branches joined, summed over the hub connections.</param>
/// <param name="HubBranchMembers">Broadcast member entries of hub connections, summed over branches.</param>
/// <param name="HubOutboxMessages">Messages waiting in hub connections' outboxes.</param>
/// <param name="HubOutboxBytes">Bytes waiting in hub connections' outboxes.</param>
/// <param name="Sockets">Open raw protocol sockets (y-websocket, Hocuspocus).</param>
/// <param name="SocketUsers">Users with at least one open raw socket (their per-user counters).</param>
/// <param name="SocketBranchMembers">Broadcast member entries of raw sockets, summed over branches.</param>
/// <param name="SocketOutboxFrames">Frames waiting in raw sockets' outboxes.</param>
/// <param name="SocketOutboxBytes">Bytes waiting in raw sockets' outboxes.</param>
/// <param name="CappedUsers">Users with a hub connection counted against the per-user connection cap.</param>
/// <param name="CappedConnections">Hub connections counted against that cap.</param>
/// <param name="RateLimitBuckets">Per-account: users with a hub rate-limit bucket.</param>
/// <param name="RefusalLogUsers">Per-account: users with a refusal-log counter.</param>
/// <param name="ManagedHeapBytes">The managed heap in bytes (after a forced full collection when one was asked for).</param>
public sealed record ServerFootprint(
    SessionFootprint Sessions,
    int HubConnections,
    int HubJoins,
    int HubBranchMembers,
    int HubOutboxMessages,
    long HubOutboxBytes,
    int Sockets,
    int SocketUsers,
    int SocketBranchMembers,
    int SocketOutboxFrames,
    long SocketOutboxBytes,
    int CappedUsers,
    int CappedConnections,
    int RateLimitBuckets,
    int RefusalLogUsers,
    long ManagedHeapBytes)
{
    /// <summary>
    /// The structural figures only, so that two can be compared: the per-account tables, the heap and the client-clock
    /// table set to zero (that table follows what the log holds: an attacker's accepted, stored content stays in it).
    /// </summary>
    public ServerFootprint Structural() =>
        this with { RateLimitBuckets = 0, RefusalLogUsers = 0, ManagedHeapBytes = 0, Sessions = Sessions with { ClientClockEntries = 0 } };
}

/// <summary>Builds <see cref="ServerFootprint"/> snapshots by asking each owner for its counts (no locks held across owners).</summary>
internal sealed class FootprintAccount(
    SessionManager sessions,
    ConnectionRegistry connections,
    SocketRegistry sockets,
    ConnectionCapFilter connectionCap,
    HubRateLimiter rateLimiter,
    RefusalLogThrottle refusalLog)
{
    /// <summary>
    /// The current footprint. With <paramref name="collect"/>, a blocking, compacting full garbage collection runs first
    /// (twice, around the finalizers), so that the heap figure counts live objects only: slow, for tests and operators.
    /// </summary>
    public ServerFootprint Snapshot(bool collect = false)
    {
        var session = sessions.Footprint();
        var hub = connections.Totals();
        var socket = sockets.Totals();
        if (collect)
        {
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        return new ServerFootprint(
            session,
            connections.Count,
            hub.Joins,
            hub.BranchMembers,
            hub.OutboxMessages,
            hub.OutboxBytes,
            sockets.Count,
            socket.Users,
            socket.BranchMembers,
            socket.OutboxFrames,
            socket.OutboxBytes,
            connectionCap.UserCount,
            connectionCap.CountedConnections,
            rateLimiter.BucketCount,
            refusalLog.UserCount,
            GC.GetTotalMemory(forceFullCollection: false));
    }
}
