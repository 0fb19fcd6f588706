using System.Net.Http.Headers;
using System.Text.Json;
using Collab.Client.Protocol;

namespace Collab.Client;

public sealed partial class CollabClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Forks <paramref name="name"/> from <paramref name="fromBranch"/> at <paramref name="seq"/>, or at the last event
    /// at or before <paramref name="at"/>, or at its head (<c>POST /api/documents/{id}/branches</c>; editor or owner).
    /// </summary>
    public Task<BranchDetails> ForkAsync(
        HttpClient http, string documentId, string name, string fromBranch = "main", long? seq = null, DateTimeOffset? at = null,
        CancellationToken cancellationToken = default) =>
        PostAsync<BranchDetails>(http, $"api/documents/{Uri.EscapeDataString(documentId)}/branches", new { name, from = new { branch = fromBranch, seq, at } }, cancellationToken);

    /// <summary>Previews a merge of <paramref name="source"/> into <paramref name="target"/>: conflicts and merged content, nothing written.</summary>
    public Task<MergeOutcome> PreviewMergeAsync(
        HttpClient http, string documentId, string source, string target, string? strictness = null, CancellationToken cancellationToken = default) =>
        PostAsync<MergeOutcome>(http, $"api/documents/{Uri.EscapeDataString(documentId)}/merges", new { source, target, dryRun = true, strictness }, cancellationToken);

    /// <summary>
    /// Merges <paramref name="source"/> into <paramref name="target"/> (owner): one <c>merge</c> event on the target, which
    /// its live clients receive at once. <see cref="MergeOutcome.NothingToMerge"/> says when there was nothing to bring in.
    /// </summary>
    public Task<MergeOutcome> MergeAsync(
        HttpClient http, string documentId, string source, string target, string? message = null, string? strictness = null,
        CancellationToken cancellationToken = default) =>
        PostAsync<MergeOutcome>(http, $"api/documents/{Uri.EscapeDataString(documentId)}/merges", new { source, target, dryRun = false, message, strictness }, cancellationToken);

    /// <summary>
    /// "Move my work to a branch": forks <paramref name="newBranch"/> from the document's branch at its head and carries the
    /// open <paramref name="document"/> over to it, unacknowledged edits included (they are sent to the new branch).
    /// Waits first for the updates already on their way to the old branch.
    /// </summary>
    public async Task<MoveResult> MoveToBranchAsync(DocumentConnection document, string newBranch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var oldBranch = document.Branch;
        if (!_documents.TryAdd((document.DocumentId, newBranch), document))
        {
            throw new InvalidOperationException($"{document.DocumentId}@{newBranch} is already open on this client.");
        }

        try
        {
            var result = await document.MoveAsync(newBranch, cancellationToken).ConfigureAwait(false);
            _documents.TryRemove((document.DocumentId, oldBranch), out _);
            return result;
        }
        catch
        {
            _documents.TryRemove((document.DocumentId, newBranch), out _);
            throw;
        }
    }

    private Task<T> PostAsync<T>(HttpClient http, string path, object body, CancellationToken cancellationToken) =>
        SendJsonAsync<T>(http, HttpMethod.Post, path, body, cancellationToken);
}
