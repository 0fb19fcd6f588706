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

    /// <summary>
    /// Written after an import's events (which are the exported log, unchanged): fields <c>title</c>, <c>owner</c> (the
    /// importer, the only role from here on: roles in the imported log are history), <c>originalDocument</c>,
    /// <c>exportedSeq</c> and <c>exportedHash</c> (the exported head of <c>main</c>).
    /// </summary>
    public const string DocumentImported = "document.imported";
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
    /// Writes one directory event on the <c>main</c> of a document that is not in the directory yet (an import being
    /// finished) straight to the store, expecting <c>main</c>'s head: no session can be open on a document access
    /// checks do not know, and opening one would replay the whole imported branch to write one record.
    /// </summary>
    public async Task<long> WriteBeforeOpenAsync(string documentId, string type, Dictionary<string, string> fields, string actor, CancellationToken cancellationToken)
    {
        var main = new BranchRef(new DocumentId(documentId), Main);
        var head = await store.GetHeadAsync(main, cancellationToken).ConfigureAwait(false);
        var written = await store.AppendAsync(main, [new NewEvent(DirectoryRecords.Kind, DomainEvent.EmptyUpdate, actor) { Record = new DomainRecord(type, fields) }], head.Seq, cancellationToken).ConfigureAwait(false);
        return written.Events[0].Seq.Value;
    }

    /// <summary>
    /// Sets the directory's state of one document to what its log says. False (nothing changed) when the log has no
    /// <c>document.created</c>.
    /// </summary>
    public async Task<bool> ReconcileAsync(string documentId, CancellationToken cancellationToken)
    {
        var entries = await EntriesAsync(documentId, cancellationToken).ConfigureAwait(false);
        // An import starts the directory afresh: the imported log's roles are history, the importer is the only owner.
        var start = entries.FindLastIndex(e => e.Type == DirectoryRecords.DocumentImported);
        if (start < 0 && (entries.Count == 0 || entries[0].Type != DirectoryRecords.DocumentCreated)) return false;
        start = Math.Max(start, 0);

        var created = entries[start];
        var owner = created.Fields.GetValueOrDefault("owner") ?? created.By;
        var entry = new DocumentEntry(documentId, created.Fields.GetValueOrDefault("title") ?? documentId, owner, created.At);
        var roles = new Dictionary<string, DocumentRole>(StringComparer.Ordinal) { [owner] = DocumentRole.Owner };
        foreach (var e in entries.Skip(start + 1))
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

    private Task<List<AuditEntry>> EntriesAsync(string documentId, CancellationToken cancellationToken) =>
        records.ReadAsync(new DocumentId(documentId), state =>
            state.Branches.TryGetValue(Main.Value, out var log)
                ? log.Entries.Where(e => e.Kind == DirectoryRecords.Kind.Value).ToList()
                : [], cancellationToken);

    /// <summary>
    /// At startup: every document of the store is set to what its log says. A document the log calls not created and
    /// the journal does not know (a crash between creating the store's document and writing its first event) is
    /// repaired: <c>document.created</c> is written naming the store's recorded creator as owner, so no document is
    /// left without an owner. An import a crash interrupted (its log names another owner than the store's recorded
    /// creator, the importer, and has no <c>document.imported</c> yet — or has no event at all and the directory's journal
    /// says its import was begun by that creator) is left out of the directory — nobody, neither the
    /// imported log's owners nor anyone else, can reach it — and nothing is written to it, so that its importer can
    /// resume it by importing the same file again (<see cref="Proofs.DocumentTransfer.ImportAsync"/>); it is listed in
    /// <see cref="PendingImports"/>.
    /// </summary>
    /// <returns>How many documents were read and how many were repaired.</returns>
    public async Task<(int Documents, int Repaired)> ReconcileAllAsync(CancellationToken cancellationToken)
    {
        int count = 0, repaired = 0;
        var pending = new List<(string, string)>();
        DocumentId? after = null;
        while (true)
        {
            var page = await store.ListDocumentsAsync(after, 500, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0) break;
            foreach (var info in page)
            {
                count++;
                var id = info.Id.Value;
                var entries = await EntriesAsync(id, cancellationToken).ConfigureAwait(false);
                var importedLogBegun = entries.Count > 0 && entries[0].Type == DirectoryRecords.DocumentCreated && !entries.Exists(e => e.Type == DirectoryRecords.DocumentImported)
                    && (entries[0].Fields.GetValueOrDefault("owner") ?? entries[0].By) != info.CreatedBy;
                // An import cut before its first event has no log yet: the directory's journal knows it was begun.
                var importBegunEmpty = entries.Count == 0 && directory.Find(id) is null && directory.ImportBegunBy(id) == info.CreatedBy;
                if (importedLogBegun || importBegunEmpty)
                {
                    pending.Add((id, info.CreatedBy));
                    continue;
                }
                if (await ReconcileAsync(id, cancellationToken).ConfigureAwait(false) || directory.Find(id) is not null) continue;
                await WriteAsync(id, DirectoryRecords.DocumentCreated, new() { ["title"] = id, ["owner"] = info.CreatedBy, ["repaired"] = "true" }, info.CreatedBy, cancellationToken).ConfigureAwait(false);
                await ReconcileAsync(id, cancellationToken).ConfigureAwait(false);
                repaired++;
            }
            after = page[^1].Id;
        }
        PendingImports = pending;
        return (count, repaired);
    }

    /// <summary>
    /// The interrupted imports the last <see cref="ReconcileAllAsync"/> found (document id, importer): out of the
    /// directory until their importer imports the same file again.
    /// </summary>
    public IReadOnlyList<(string Document, string Importer)> PendingImports { get; private set; } = [];
}
