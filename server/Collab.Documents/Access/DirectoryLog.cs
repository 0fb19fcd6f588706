using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Access;

/// <summary>The kind and record types of the document directory's record-only events (docs/security.md, "Roles are in the log").</summary>
public static class DirectoryRecords
{
    /// <summary>The kind of directory events (written on the document's <c>main</c> branch).</summary>
    public static readonly EventKind Kind = new("directory");

    /// <summary>The document's first event: fields <c>title</c>, <c>owner</c>.</summary>
    public const string DocumentCreated = "document.created";

    /// <summary>A title change: field <c>title</c>.</summary>
    public const string DocumentRetitled = "document.retitled";

    /// <summary>A role given (replacing any other): fields <c>user</c>, <c>role</c>.</summary>
    public const string RoleGranted = "role.granted";

    /// <summary>A role taken away: field <c>user</c>.</summary>
    public const string RoleRevoked = "role.revoked";
}

/// <summary>
/// Writes the directory's changes (creation, title, roles) as record-only events on the document's <c>main</c> branch,
/// through the branch's single writer, and rebuilds the in-memory <see cref="DocumentDirectory"/> from them. The log
/// is the source of truth; the directory (with its journal) is the projection access checks read in O(1), updated only
/// after the event is durable.
/// </summary>
/// <remarks>
/// Changes take turns (one gate for all documents: role changes are rare), so a check ("not the last owner") and the
/// event it leads to cannot interleave with another change. A document whose log has no <c>document.created</c>
/// (created before directory events existed) keeps the journal's state.
/// </remarks>
public sealed class DirectoryLog(IEventStore store, SessionManager sessions, DocumentRecords records, DocumentDirectory directory)
{
    private static readonly BranchName Main = new("main");
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Runs <paramref name="change"/> alone among directory changes.</summary>
    public async Task<T> ChangeAsync<T>(Func<Task<T>> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await change().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Writes one directory event on the document's <c>main</c> and returns its seq once it is durable.</summary>
    public Task<long> WriteAsync(string documentId, string type, Dictionary<string, string> fields, string actor, CancellationToken cancellationToken) =>
        DocumentRecords.WriteAsync(sessions, new BranchRef(new DocumentId(documentId), Main), DirectoryRecords.Kind, type, fields, actor, cancellationToken);

    /// <summary>
    /// Sets the directory's state of one document to what its log says. False (nothing changed) when the log has no
    /// <c>document.created</c>.
    /// </summary>
    public async Task<bool> ReconcileAsync(string documentId, CancellationToken cancellationToken)
    {
        var entries = await records.ReadAsync(new DocumentId(documentId), state =>
            state.Branches.TryGetValue(Main.Value, out var log)
                ? log.Entries.Where(e => e.Kind == DirectoryRecords.Kind.Value).ToList()
                : [], cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0 || entries[0].Type != DirectoryRecords.DocumentCreated) return false;

        var created = entries[0];
        var owner = created.Fields.GetValueOrDefault("owner") ?? created.By;
        var entry = new DocumentEntry(documentId, created.Fields.GetValueOrDefault("title") ?? documentId, owner, created.At);
        var roles = new Dictionary<string, DocumentRole>(StringComparer.Ordinal) { [owner] = DocumentRole.Owner };
        foreach (var e in entries.Skip(1))
        {
            var user = e.Fields.GetValueOrDefault("user");
            switch (e.Type)
            {
                case DirectoryRecords.DocumentRetitled when e.Fields.GetValueOrDefault("title") is { } title:
                    entry = entry with { Title = title };
                    break;
                case DirectoryRecords.RoleGranted when user is not null && DocumentRoles.TryParseGrantable(e.Fields.GetValueOrDefault("role"), out var role):
                    roles[user] = role;
                    break;
                case DirectoryRecords.RoleRevoked when user is not null:
                    roles.Remove(user);
                    break;
            }
        }
        directory.Restore(entry, roles);
        return true;
    }

    /// <summary>
    /// At startup: every document of the store is set to what its log says. A document the log calls not created and
    /// the journal does not know (a crash between creating the store's document and writing its first event) is
    /// repaired: <c>document.created</c> is written naming the store's recorded creator as owner, so no document is
    /// left without an owner.
    /// </summary>
    /// <returns>How many documents were read and how many were repaired.</returns>
    public async Task<(int Documents, int Repaired)> ReconcileAllAsync(CancellationToken cancellationToken)
    {
        int count = 0, repaired = 0;
        DocumentId? after = null;
        while (true)
        {
            var page = await store.ListDocumentsAsync(after, 500, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0) break;
            foreach (var info in page)
            {
                count++;
                var id = info.Id.Value;
                if (await ReconcileAsync(id, cancellationToken).ConfigureAwait(false) || directory.Find(id) is not null) continue;
                await WriteAsync(id, DirectoryRecords.DocumentCreated, new() { ["title"] = id, ["owner"] = info.CreatedBy, ["repaired"] = "true" }, info.CreatedBy, cancellationToken).ConfigureAwait(false);
                await ReconcileAsync(id, cancellationToken).ConfigureAwait(false);
                repaired++;
            }
            after = page[^1].Id;
        }
        return (count, repaired);
    }
}
