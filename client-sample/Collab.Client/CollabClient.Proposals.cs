using System.Net.Http.Headers;
using System.Text.Json;
using Collab.Client.Protocol;

namespace Collab.Client;

/// <summary>A review of a proposal.</summary>
public sealed record ProposalReview(string Reviewer, string Verdict, string? Comment, DateTimeOffset At, long Seq, long SourceSeq);

/// <summary>How far each side has gone since the merge base, and the preview's conflict count.</summary>
public sealed record ProposalSummary(long SourceHead, long TargetHead, long? SourceAheadOfBase, long? TargetAheadOfBase, int Conflicts, bool NothingToMerge);

/// <summary>A merge proposal as <c>/api/documents/{id}/proposals…</c> return it (docs/branching.md).</summary>
public sealed record ProposalInfo(
    string Id,
    string Source,
    string Target,
    string Title,
    string Description,
    string Author,
    DateTimeOffset OpenedAt,
    long OpenedSeq,
    string State,
    string Review,
    long? ApprovedSourceSeq,
    IReadOnlyList<ProposalReview> Reviews,
    string? MergeId,
    string? MergedBy,
    DateTimeOffset? MergedAt,
    string? ClosedBy,
    DateTimeOffset? ClosedAt,
    DateTimeOffset UpdatedAt,
    bool TargetProtected,
    IReadOnlyList<string>? Blockers,
    MergeOutcome? Preview,
    ProposalSummary? Summary);

/// <summary>A protected branch: who protected it, when, in which event.</summary>
public sealed record BranchProtection(string Branch, string By, DateTimeOffset At, long Seq);

/// <summary>One audit entry: a branch creation or an event whose kind is not <c>update</c>.</summary>
public sealed record AuditEntry(
    string Type,
    string Kind,
    string Branch,
    long Seq,
    string By,
    DateTimeOffset At,
    string Hash,
    IReadOnlyDictionary<string, string> Fields,
    IReadOnlyList<AuditConflict>? Conflicts);

/// <summary>A merge's conflict as the audit trail lists it.</summary>
public sealed record AuditConflict(string Id, string Kind, string AutomaticOutcome);

/// <summary>A page of the audit trail; pass <see cref="Next"/> as <c>after</c> for what follows.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string Next, bool HasMore);

public sealed partial class CollabClient
{
    /// <summary>Opens a proposal to merge <paramref name="source"/> into <paramref name="target"/> (editor or owner).</summary>
    public Task<ProposalInfo> OpenProposalAsync(
        HttpClient http, string documentId, string source, string target, string title, string? description = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<ProposalInfo>(http, HttpMethod.Post, $"{DocumentPath(documentId)}/proposals", new { source, target, title, description }, cancellationToken);

    /// <summary>The document's proposals in <paramref name="state"/> (open, merged, closed or all), newest first.</summary>
    public Task<IReadOnlyList<ProposalInfo>> ListProposalsAsync(HttpClient http, string documentId, string state = "open", CancellationToken cancellationToken = default) =>
        SendJsonAsync<IReadOnlyList<ProposalInfo>>(http, HttpMethod.Get, $"{DocumentPath(documentId)}/proposals?state={Uri.EscapeDataString(state)}", null, cancellationToken);

    /// <summary>One proposal with, while it is open, its merge preview computed now.</summary>
    public Task<ProposalInfo> GetProposalAsync(HttpClient http, string documentId, string proposalId, CancellationToken cancellationToken = default) =>
        SendJsonAsync<ProposalInfo>(http, HttpMethod.Get, ProposalPath(documentId, proposalId), null, cancellationToken);

    /// <summary>Reviews a proposal: <paramref name="approve"/> or request changes (editor or owner, not its author).</summary>
    public Task<ProposalInfo> ReviewProposalAsync(HttpClient http, string documentId, string proposalId, bool approve, string? comment = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<ProposalInfo>(http, HttpMethod.Post, $"{ProposalPath(documentId, proposalId)}/reviews", new { verdict = approve ? "approve" : "request-changes", comment }, cancellationToken);

    /// <summary>Merges a proposal (owner; into a protected target only once approved).</summary>
    public Task<ProposalInfo> MergeProposalAsync(HttpClient http, string documentId, string proposalId, string? message = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<ProposalInfo>(http, HttpMethod.Post, $"{ProposalPath(documentId, proposalId)}/merge", new { message }, cancellationToken);

    /// <summary>Closes a proposal without merging it (its author or an owner).</summary>
    public Task<ProposalInfo> CloseProposalAsync(HttpClient http, string documentId, string proposalId, string? comment = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<ProposalInfo>(http, HttpMethod.Post, $"{ProposalPath(documentId, proposalId)}/close", new { comment }, cancellationToken);

    /// <summary>Protects a branch (owner): client edits and direct merges are then refused with <c>branch_protected</c>.</summary>
    public Task<BranchProtection> ProtectBranchAsync(HttpClient http, string documentId, string branch, CancellationToken cancellationToken = default) =>
        SendJsonAsync<BranchProtection>(http, HttpMethod.Put, $"{DocumentPath(documentId)}/branches/{BranchPath(branch)}/protection", null, cancellationToken);

    /// <summary>Lifts a branch's protection (owner).</summary>
    public Task UnprotectBranchAsync(HttpClient http, string documentId, string branch, CancellationToken cancellationToken = default) =>
        SendJsonAsync<JsonElement?>(http, HttpMethod.Delete, $"{DocumentPath(documentId)}/branches/{BranchPath(branch)}/protection", null, cancellationToken);

    /// <summary>The document's protected branches.</summary>
    public Task<IReadOnlyList<BranchProtection>> ListProtectedBranchesAsync(HttpClient http, string documentId, CancellationToken cancellationToken = default) =>
        SendJsonAsync<IReadOnlyList<BranchProtection>>(http, HttpMethod.Get, $"{DocumentPath(documentId)}/protected-branches", null, cancellationToken);

    /// <summary>Lets editors merge into unprotected branches, or not (owner).</summary>
    public Task SetEditorsMayMergeAsync(HttpClient http, string documentId, bool editorsMayMerge, CancellationToken cancellationToken = default) =>
        SendJsonAsync<JsonElement>(http, HttpMethod.Put, $"{DocumentPath(documentId)}/settings", new { editorsMayMerge }, cancellationToken);

    /// <summary>A page of the audit trail after <paramref name="after"/> (a cursor from an earlier page), for owners and auditors.</summary>
    public Task<AuditPage> ReadAuditAsync(HttpClient http, string documentId, string? after = null, int limit = 100, CancellationToken cancellationToken = default) =>
        SendJsonAsync<AuditPage>(http, HttpMethod.Get, $"{DocumentPath(documentId)}/audit?limit={limit}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}"), null, cancellationToken);

    private static string DocumentPath(string documentId) => $"api/documents/{Uri.EscapeDataString(documentId)}";

    private static string ProposalPath(string documentId, string proposalId) => $"{DocumentPath(documentId)}/proposals/{Uri.EscapeDataString(proposalId)}";

    // Branch names may contain '/', which stays a path separator (the server's routes take the rest of the path).
    private static string BranchPath(string branch) => string.Join('/', branch.Split('/').Select(Uri.EscapeDataString));

    /// <summary>
    /// Sends a JSON request and reads the JSON answer; errors as <see cref="HttpRequestException"/> with the problem's code
    /// and detail. A sized body: JsonContent streams chunked, which cost about 50 ms per request on loopback (docs/benchmarks.md).
    /// </summary>
    private async Task<T> SendJsonAsync<T>(HttpClient http, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(method, new Uri(_options.ServerUrl, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, Json));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _options.AccessTokenProvider().ConfigureAwait(false));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode} {ProblemReason(text)}", null, response.StatusCode);
        return text.Length == 0 ? default! : JsonSerializer.Deserialize<T>(text, Json)!;
    }
}
