using System.Text.Json;
using Collab.Documents.Branching;
using Collab.EventStore;
using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Hubs;

/// <summary>
/// Tells every connection joined to any branch of a document that a branch was created or merged into
/// (<see cref="IDocumentClient.BranchEvent"/>), so that editors can update their branch lists without polling.
/// </summary>
internal sealed class BranchNotifier(IHubContext<DocumentHub, IDocumentClient> hub, ConnectionRegistry registry, ILogger<BranchNotifier> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task BranchCreatedAsync(string documentId, BranchDetails branch, string user) =>
        SendAsync(documentId, new BranchCreatedEvent("branch-created", branch.Name, branch.Parent, branch.ForkSeq, branch.HeadSeq, user, branch.CreatedAt));

    public Task MergedAsync(string documentId, MergeResult merge, string user) =>
        SendAsync(documentId, new MergedEvent("merged", merge.MergeId, merge.Target.Branch, merge.Source.Branch, merge.Source.Seq, merge.Seq, merge.Conflicts.Count, user));

    /// <summary>
    /// Tells <paramref name="user"/>'s own connections joined to the document that their role changed (null: removed),
    /// so that an editor opened read-only becomes writable at once. Other users are not told about someone's grant.
    /// </summary>
    public Task RoleChangedAsync(string documentId, string user, string? role, string by)
    {
        var connections = registry.JoinedBy(user, new DocumentId(documentId)).Select(c => c.ConnectionId).Distinct().ToList();
        return SendToAsync(documentId, connections, new RoleChangedEvent("role-changed", user, role, by));
    }

    private Task SendAsync<T>(string documentId, T payload) => SendToAsync(documentId, registry.JoinedTo(new DocumentId(documentId)), payload);

    private async Task SendToAsync<T>(string documentId, IReadOnlyList<string> connections, T payload)
    {
        if (connections.Count == 0) return;
        try
        {
            await hub.Clients.Clients(connections).BranchEvent(documentId, JsonSerializer.Serialize(payload, Json));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A notification is a convenience: the fork or merge it announces is stored whatever happens here.
            ServerLog.NotificationFailed(logger, documentId, ex);
        }
    }

    private sealed record BranchCreatedEvent(string Type, string Branch, string? Parent, long ForkSeq, long HeadSeq, string By, DateTimeOffset At);

    private sealed record RoleChangedEvent(string Type, string User, string? Role, string By);

    private sealed record MergedEvent(string Type, string? MergeId, string Target, string Source, long SourceSeq, long? Seq, int Conflicts, string By);
}
