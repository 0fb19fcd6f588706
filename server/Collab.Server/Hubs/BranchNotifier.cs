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

    /// <summary>Conflicts of a merge were decided (a <c>resolved</c> branch event).</summary>
    public Task ResolvedAsync(string documentId, ResolutionResult resolution, string user) =>
        SendAsync(documentId, new ResolvedEvent(
            "resolved", resolution.ResolutionId, resolution.MergeId, resolution.Seq, resolution.Decisions.Select(static d => d.ConflictId).ToList(), user));

    /// <summary>Changes were reverted (a <c>reverted</c> branch event).</summary>
    public Task RevertedAsync(string documentId, RevertResult revert, string user) =>
        SendAsync(documentId, new RevertedEvent("reverted", revert.RevertId, revert.Branch, revert.FromSeq, revert.ToSeq, revert.Seq, revert.Merge, revert.Reverts, user));

    private sealed record ResolvedEvent(string Type, string ResolutionId, string MergeId, long Seq, IReadOnlyList<string> Conflicts, string By);

    private sealed record RevertedEvent(string Type, string? RevertId, string Branch, long FromSeq, long ToSeq, long? Seq, string? Merge, string? Reverts, string By);

    /// <summary>A proposal was opened, reviewed, merged or closed (<c>change</c>: opened, approved, changes-requested, merged, closed).</summary>
    public Task ProposalChangedAsync(string documentId, ProposalView proposal, string change, string user) =>
        SendAsync(documentId, new ProposalChangedEvent("proposal-changed", proposal.Id, change, proposal.Source, proposal.Target, proposal.State, proposal.Review, proposal.MergeId, user));

    /// <summary>A branch was protected or its protection lifted.</summary>
    public Task ProtectionChangedAsync(string documentId, string branch, bool isProtected, string user) =>
        SendAsync(documentId, new ProtectionChangedEvent(isProtected ? "branch-protected" : "branch-unprotected", branch, isProtected, user));

    private sealed record ProposalChangedEvent(string Type, string Proposal, string Change, string Source, string Target, string State, string Review, string? MergeId, string By);

    private sealed record ProtectionChangedEvent(string Type, string Branch, bool Protected, string By);
}
