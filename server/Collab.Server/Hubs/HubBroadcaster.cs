using Collab.Documents.Sessions;
using Collab.EventStore;
using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Hubs;

/// <summary>Reaches a branch's connections through its SignalR group.</summary>
internal sealed class HubBroadcaster(IHubContext<DocumentHub, IDocumentClient> hub) : IBranchBroadcaster
{
    /// <summary>The SignalR group of a branch.</summary>
    public static string GroupOf(BranchRef branch) => $"{branch.Document.Value}\n{branch.Branch.Value}";

    public Task BroadcastSyncAsync(BranchRef branch, byte[] message, string? exceptConnectionId, CancellationToken cancellationToken) =>
        Target(branch, exceptConnectionId).Sync(branch.Document.Value, branch.Branch.Value, message);

    public Task BroadcastAwarenessAsync(BranchRef branch, byte[] update, string? exceptConnectionId, CancellationToken cancellationToken) =>
        Target(branch, exceptConnectionId).Awareness(branch.Document.Value, branch.Branch.Value, update);

    private IDocumentClient Target(BranchRef branch, string? exceptConnectionId) =>
        exceptConnectionId is null ? hub.Clients.Group(GroupOf(branch)) : hub.Clients.GroupExcept(GroupOf(branch), exceptConnectionId);
}
