using System.Net.Http.Headers;
using System.Text.Json;
using Collab.Client.Protocol;

namespace Collab.Client;

public sealed partial class CollabClient
{
    /// <summary>
    /// Decides conflicts of merge <paramref name="mergeId"/> (<c>branch@seq</c>; owner): one <c>resolution</c> event on
    /// the merge's branch, which its live clients receive at once. A conflict decided before is refused (409).
    /// </summary>
    public Task<ResolutionOutcome> ResolveAsync(
        HttpClient http, string documentId, string mergeId, IEnumerable<ConflictChoice> decisions, string? message = null,
        CancellationToken cancellationToken = default) =>
        PostAsync<ResolutionOutcome>(
            http,
            $"api/documents/{Uri.EscapeDataString(documentId)}/merges/{Uri.EscapeDataString(mergeId)}/resolutions",
            new { decisions = decisions?.ToList() ?? throw new ArgumentNullException(nameof(decisions)), message },
            cancellationToken);

    /// <summary>
    /// The conflicts of one merge (when <paramref name="mergeId"/> is given: every state), or of every merge of the
    /// document in <paramref name="state"/> (<c>open</c>, <c>decided</c> or <c>all</c>).
    /// </summary>
    public Task<IReadOnlyList<ConflictState>> ListConflictsAsync(
        HttpClient http, string documentId, string? mergeId = null, string state = "open", CancellationToken cancellationToken = default)
    {
        var document = Uri.EscapeDataString(documentId);
        var path = mergeId is null
            ? $"api/documents/{document}/conflicts?state={Uri.EscapeDataString(state)}"
            : $"api/documents/{document}/merges/{Uri.EscapeDataString(mergeId)}/conflicts";
        return GetAsync<IReadOnlyList<ConflictState>>(http, path, cancellationToken);
    }

    /// <summary>
    /// Undoes merge <paramref name="merge"/>, or the events (<paramref name="fromSeq"/>..<paramref name="toSeq"/>] of
    /// <paramref name="branch"/> (to its head when <paramref name="toSeq"/> is null), as one <c>revert</c> event (owner).
    /// Revert a revert (its seq - 1 .. its seq) to restore. <see cref="RevertOutcome.NothingToRevert"/> says when nothing was left to undo.
    /// </summary>
    public Task<RevertOutcome> RevertAsync(
        HttpClient http, string documentId, string? branch = null, string? merge = null, long? fromSeq = null, long? toSeq = null, string? message = null,
        CancellationToken cancellationToken = default) =>
        PostAsync<RevertOutcome>(http, $"api/documents/{Uri.EscapeDataString(documentId)}/reverts", new { branch, merge, fromSeq, toSeq, message }, cancellationToken);

    /// <summary>Every revert of the document (or of <paramref name="branch"/>), oldest first.</summary>
    public Task<IReadOnlyList<RevertRecord>> ListRevertsAsync(HttpClient http, string documentId, string? branch = null, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<RevertRecord>>(
            http,
            $"api/documents/{Uri.EscapeDataString(documentId)}/reverts" + (branch is null ? "" : $"?branch={Uri.EscapeDataString(branch)}"),
            cancellationToken);

    private Task<T> GetAsync<T>(HttpClient http, string path, CancellationToken cancellationToken) =>
        SendJsonAsync<T>(http, HttpMethod.Get, path, null, cancellationToken);

    /// <summary>"code: detail" from a problem-details body (title is the stable code), else the body as it is.</summary>
    private static string ProblemReason(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            return $"{problem.RootElement.GetProperty("title").GetString()}: {problem.RootElement.GetProperty("detail").GetString()}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body;
        }
    }
}
