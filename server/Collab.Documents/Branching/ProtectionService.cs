using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>The document's settings as the log says.</summary>
/// <param name="EditorsMayMerge">Whether editors may merge into unprotected branches (owners always may).</param>
public sealed record DocumentSettingsView(bool EditorsMayMerge);

/// <summary>
/// Protected branches (owners protect and unprotect; any role reads). A protected branch refuses client edits and direct
/// merges: only an owner's merge of an approved proposal changes it. Each change is a record-only event
/// (<c>branch.protected</c> / <c>branch.unprotected</c>) on the branch itself, in its hash chain.
/// </summary>
public sealed class ProtectionService(DocumentCatalog catalog, SessionManager sessions, DocumentRecords records)
{
    /// <summary>Protects <paramref name="branch"/> (owners). Protecting a protected branch writes nothing.</summary>
    public Task<ProtectionView> ProtectAsync(string documentId, string branch, string user, CancellationToken cancellationToken) =>
        SetAsync(documentId, branch, user, protect: true, cancellationToken)!;

    /// <summary>Lifts the protection of <paramref name="branch"/> (owners). False when it was not protected (nothing written).</summary>
    public async Task<bool> UnprotectAsync(string documentId, string branch, string user, CancellationToken cancellationToken) =>
        await SetAsync(documentId, branch, user, protect: false, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>The document's protected branches (any role).</summary>
    public async Task<IReadOnlyList<ProtectionView>> ListAsync(string documentId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        var state = await records.LoadedAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        return state.Protected.Values.OrderBy(p => p.Branch, StringComparer.Ordinal).ToList();
    }

    private async Task<ProtectionView?> SetAsync(string documentId, string branch, string user, bool protect, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanManage, protect ? "protect branches of" : "unprotect branches of");
        var branchRef = DocumentCatalog.ParseBranch(documentId, branch);
        return await records.ChangeAsync<ProtectionView?>(branchRef.Document, async state =>
        {
            var name = branchRef.Branch.Value;
            if (!state.Branches.ContainsKey(name)) throw CollabException.NotFound($"Branch '{name}' of document '{documentId}' does not exist.");
            var current = state.Protected.GetValueOrDefault(name);
            if (protect == (current is not null)) return current;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["branch"] = name };
            if (!protect)
            {
                await DocumentRecords.WriteAsync(sessions, branchRef, PolicyRecords.BranchKind, PolicyRecords.BranchUnprotected, fields, user, cancellationToken).ConfigureAwait(false);
                state.Protected.TryRemove(name, out _);
                return current;
            }
            // Protected before the event is written, so that no client edit is admitted after the event; the event
            // (read back by the projection) then says who and when.
            var pending = new ProtectionView(name, user, DateTimeOffset.UtcNow, 0);
            state.Protected[name] = pending;
            try
            {
                var seq = await DocumentRecords.WriteAsync(sessions, branchRef, PolicyRecords.BranchKind, PolicyRecords.BranchProtected, fields, user, cancellationToken).ConfigureAwait(false);
                return pending with { Seq = seq };
            }
            catch
            {
                state.Protected.TryRemove(new KeyValuePair<string, ProtectionView>(name, pending));
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// Per-document settings (owners change them; any role reads): today "editors may merge into unprotected branches".
/// A change is a record-only <c>settings.changed</c> event on <c>main</c>.
/// </summary>
public sealed class SettingsService(DocumentCatalog catalog, SessionManager sessions, DocumentRecords records)
{
    /// <summary>The settings.changed field that holds the setting ("true"/"false").</summary>
    public const string EditorsMayMergeField = "editorsMayMerge";

    /// <summary>The document's settings (any role).</summary>
    public async Task<DocumentSettingsView> GetAsync(string documentId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        return new DocumentSettingsView(await records.EditorsMayMergeAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Changes the settings (owners); a value equal to the current one writes nothing.</summary>
    public async Task<DocumentSettingsView> SetAsync(string documentId, bool? editorsMayMerge, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanManage, "change the settings of");
        if (editorsMayMerge is not { } value) throw new CollabException(CollabErrorCode.Invalid, "Give the setting to change: {\"editorsMayMerge\": true|false}.");
        var document = new DocumentId(documentId);
        return await records.ChangeAsync(document, async state =>
        {
            if (state.EditorsMayMerge != value)
            {
                var fields = new Dictionary<string, string>(StringComparer.Ordinal) { [EditorsMayMergeField] = value ? "true" : "false" };
                await DocumentRecords.WriteAsync(sessions, new BranchRef(document, BranchName.Main), PolicyRecords.SettingsKind, PolicyRecords.SettingsChanged, fields, user, cancellationToken).ConfigureAwait(false);
                state.EditorsMayMerge = value;
            }
            return new DocumentSettingsView(value);
        }, cancellationToken).ConfigureAwait(false);
    }
}
