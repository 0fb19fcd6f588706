using Collab.EventStore;

namespace Collab.Documents.Access;

/// <summary>A document as a user sees it.</summary>
public sealed record DocumentView(string Id, string Title, string CreatedBy, DateTimeOffset CreatedAt, string Role);

/// <summary>A branch as a user sees it.</summary>
public sealed record BranchView(string Name, string? Parent, long ForkSeq, long HeadSeq, string HeadHash, string State, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>One event of the log, for auditors.</summary>
public sealed record EventView(long Seq, string Kind, string Author, DateTimeOffset ServerTime, string? UpdateId, IReadOnlyList<uint> ClientIds, string Hash, string PreviousHash, byte[] Payload);

/// <summary>The outcome of re-hashing a branch's chain.</summary>
public sealed record VerificationView(bool Valid, long HeadSeq, string HeadHash, long EventsChecked, long? FirstBrokenSeq, string? FirstBrokenReason);

/// <summary>
/// Document-level operations with their access rules: create (the creator becomes owner), list, read metadata and
/// branches, read history, and manage roles. Every method checks the caller's role; nothing is allowed by default.
/// </summary>
/// <remarks>
/// With a <see cref="DirectoryLog"/> (the server always has one) creation, title changes and role changes are first
/// written as <c>directory</c> events on the document's <c>main</c> branch, then applied to the in-memory directory;
/// without one (unit tests of other features) they go to the directory only.
/// </remarks>
public sealed class DocumentCatalog(IEventStore store, DocumentDirectory directory, TimeProvider time, DirectoryLog? log = null)
{
    /// <summary>The most events one history page returns.</summary>
    public const int MaxPage = 1000;

    /// <summary>Creates a document with its <c>main</c> branch; <paramref name="user"/> becomes its owner.</summary>
    public async Task<DocumentView> CreateAsync(string? id, string? title, string user, CancellationToken cancellationToken)
    {
        (id, title) = CheckNew(id, title);
        var info = await CreateInStoreAsync(id, user, cancellationToken).ConfigureAwait(false);
        if (log is not null)
        {
            // The created event is the document's first: until it is durable the document does not exist for access
            // checks; a crash before it is repaired at startup (DirectoryLog.ReconcileAllAsync).
            var createdTitle = title;
            await log.ChangeAsync(async () =>
            {
                await log.WriteAsync(id, DirectoryRecords.DocumentCreated, new() { ["title"] = createdTitle, ["owner"] = user }, user, cancellationToken).ConfigureAwait(false);
                return await log.ReconcileAsync(id, CancellationToken.None).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return View(directory.Find(id)!, DocumentRole.Owner);
        }
        var entry = new DocumentEntry(id, title, user, info.CreatedAt == default ? time.GetUtcNow() : info.CreatedAt);
        directory.Add(entry);
        return View(entry, DocumentRole.Owner);
    }

    /// <summary>
    /// First step of an import: creates the document in the store (the importer recorded as its creator) but not in
    /// the directory, so nobody can reach it while its events are written. Returns the checked id and title.
    /// </summary>
    public async Task<(string Id, string Title)> BeginImportAsync(string? id, string? title, string user, CancellationToken cancellationToken)
    {
        (id, title) = CheckNew(id, title);
        // Journaled first: a crash before the import's first event must not pass for a create to repair at startup.
        directory.BeginImport(id, user);
        try
        {
            await CreateInStoreAsync(id, user, cancellationToken).ConfigureAwait(false);
        }
        catch (CollabException ex) when (ex.Code == CollabErrorCode.Conflict)
        {
            directory.DropImport(id); // the id was taken: this import never began
            throw;
        }
        return (id, title);
    }

    /// <summary>
    /// Last step of an import, once the imported events are durable: writes <c>document.imported</c> (after them, so the
    /// exported log keeps its hashes) naming <paramref name="user"/> the only owner, then opens the document to access
    /// checks. <paramref name="fields"/> adds what the record tells of the origin (exported head, original id).
    /// </summary>
    public async Task<DocumentView> CompleteImportAsync(string id, string title, string user, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (log is null)
        {
            var entry = new DocumentEntry(id, title, user, time.GetUtcNow());
            directory.Add(entry);
            return View(entry, DocumentRole.Owner);
        }
        var record = new Dictionary<string, string>(fields, StringComparer.Ordinal) { ["title"] = title, ["owner"] = user };
        await log.ChangeAsync(async () =>
        {
            await log.WriteBeforeOpenAsync(id, DirectoryRecords.DocumentImported, record, user, cancellationToken).ConfigureAwait(false);
            return await log.ReconcileAsync(id, CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return View(directory.Find(id)!, DocumentRole.Owner);
    }

    private (string Id, string Title) CheckNew(string? id, string? title)
    {
        id = string.IsNullOrWhiteSpace(id) ? "doc-" + Guid.NewGuid().ToString("N")[..12] : id.Trim();
        if (NameRules.DocumentIdError(id) is { } error) throw new CollabException(CollabErrorCode.Invalid, $"Invalid document id '{id}': {error}.");
        title = string.IsNullOrWhiteSpace(title) ? id : title.Trim();
        if (title.Length > 200) throw new CollabException(CollabErrorCode.Invalid, "A title must be at most 200 characters.");
        if (directory.Find(id) is not null) throw new CollabException(CollabErrorCode.Conflict, $"Document '{id}' already exists.");
        return (id, title);
    }

    private async Task<DocumentInfo> CreateInStoreAsync(string id, string user, CancellationToken cancellationToken)
    {
        try
        {
            return await store.CreateDocumentAsync(new DocumentId(id), user, cancellationToken).ConfigureAwait(false);
        }
        catch (EventStoreException ex) when (ex.Error == EventStoreError.DocumentAlreadyExists)
        {
            throw new CollabException(CollabErrorCode.Conflict, $"Document '{id}' already exists.", ex);
        }
    }

    /// <summary>Changes the document's title (owners only).</summary>
    public async Task<DocumentView> RetitleAsync(string documentId, string? title, string user, CancellationToken cancellationToken)
    {
        var role = Authorize(documentId, user, DocumentRoles.CanManage, "rename");
        title = title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > 200) throw new CollabException(CollabErrorCode.Invalid, "A title must be 1 to 200 characters.");
        if (log is null)
        {
            directory.Retitle(documentId, title);
        }
        else
        {
            await log.ChangeAsync(async () =>
            {
                Authorize(documentId, user, DocumentRoles.CanManage, "rename");
                await log.WriteAsync(documentId, DirectoryRecords.DocumentRetitled, new() { ["title"] = title }, user, cancellationToken).ConfigureAwait(false);
                directory.Retitle(documentId, title);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        return View(directory.Find(documentId)!, role);
    }

    /// <summary>Every document the user has a role on.</summary>
    public IReadOnlyList<DocumentView> List(string user)
    {
        var result = new List<DocumentView>();
        foreach (var (entry, role) in directory.ListFor(user)) result.Add(View(entry, role));
        return result;
    }

    /// <summary>One document's metadata; any role may read it.</summary>
    public DocumentView Get(string documentId, string user)
    {
        var role = Authorize(documentId, user, DocumentRoles.CanRead, "read");
        return View(directory.Find(documentId)!, role);
    }

    /// <summary>The document's branches; any role may read them.</summary>
    public async Task<IReadOnlyList<BranchView>> BranchesAsync(string documentId, string user, CancellationToken cancellationToken)
    {
        Authorize(documentId, user, DocumentRoles.CanRead, "read");
        var branches = await store.ListBranchesAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        var result = new List<BranchView>(branches.Count);
        foreach (var b in branches)
        {
            result.Add(new BranchView(b.Ref.Branch.Value, b.Parent?.Branch.Value, b.ForkSeq.Value, b.Head.Value, b.HeadHash.ToString(), b.State.ToString().ToLowerInvariant(), b.CreatedBy, b.CreatedAt));
        }
        return result;
    }

    /// <summary>A page of a branch's event log (owners and auditors).</summary>
    public async Task<IReadOnlyList<EventView>> EventsAsync(string documentId, string branch, long from, int max, string user, CancellationToken cancellationToken)
    {
        Authorize(documentId, user, DocumentRoles.CanReadHistory, "read the history of");
        var branchRef = ParseBranch(documentId, branch);
        var page = await store.ReadPageAsync(branchRef, new EventSeq(Math.Max(1, from)), Math.Clamp(max, 1, MaxPage), cancellationToken).ConfigureAwait(false);
        var result = new List<EventView>(page.Count);
        foreach (var e in page)
        {
            result.Add(new EventView(e.Seq.Value, e.Kind.Value, e.Author, e.ServerTime, e.ClientUpdateId, e.ClientIds, e.Hash.ToString(), e.PreviousHash.ToString(), e.Payload.ToArray()));
        }
        return result;
    }

    /// <summary>Re-hashes a branch's chain (owners and auditors) and names the first broken link, if any.</summary>
    public async Task<VerificationView> VerifyAsync(string documentId, string branch, string user, CancellationToken cancellationToken)
    {
        Authorize(documentId, user, DocumentRoles.CanReadHistory, "verify the history of");
        var result = await store.VerifyAsync(ParseBranch(documentId, branch), cancellationToken).ConfigureAwait(false);
        return new VerificationView(
            result.IsValid,
            result.Head.Seq.Value,
            result.Head.Hash.ToString(),
            result.EventsChecked,
            result.FirstBroken?.Event.Seq.Value,
            result.FirstBroken?.Reason);
    }

    /// <summary>All grants on the document (owners only).</summary>
    public IReadOnlyList<DocumentGrant> Grants(string documentId, string user)
    {
        Authorize(documentId, user, DocumentRoles.CanManage, "see the permissions of");
        return directory.Grants(documentId);
    }

    /// <summary>Gives <paramref name="target"/> a role (owners only).</summary>
    public async Task<DocumentGrant> GrantAsync(string documentId, string user, string target, string? role, CancellationToken cancellationToken)
    {
        Authorize(documentId, user, DocumentRoles.CanManage, "change the permissions of");
        if (!DocumentRoles.TryParseGrantable(role, out var parsed))
        {
            throw new CollabException(CollabErrorCode.Invalid, $"Unknown role '{role}': use owner, editor, viewer or auditor.");
        }
        ValidateUser(target);
        if (log is null)
        {
            directory.Grant(documentId, target, parsed);
        }
        else
        {
            await log.ChangeAsync(async () =>
            {
                // Checked again inside the gate: another change may have come first.
                Authorize(documentId, user, DocumentRoles.CanManage, "change the permissions of");
                directory.CheckGrant(documentId, target, parsed);
                await log.WriteAsync(documentId, DirectoryRecords.RoleGranted, new() { ["user"] = target, ["role"] = parsed.ToWire() }, user, cancellationToken).ConfigureAwait(false);
                directory.Grant(documentId, target, parsed);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        return new DocumentGrant(documentId, target, parsed);
    }

    /// <summary>Removes <paramref name="target"/>'s role (owners only). False when there was none.</summary>
    public async Task<bool> RevokeAsync(string documentId, string user, string target, CancellationToken cancellationToken)
    {
        Authorize(documentId, user, DocumentRoles.CanManage, "change the permissions of");
        if (log is null) return directory.Revoke(documentId, target);
        return await log.ChangeAsync(async () =>
        {
            Authorize(documentId, user, DocumentRoles.CanManage, "change the permissions of");
            if (!directory.CheckRevoke(documentId, target)) return false;
            await log.WriteAsync(documentId, DirectoryRecords.RoleRevoked, new() { ["user"] = target }, user, cancellationToken).ConfigureAwait(false);
            return directory.Revoke(documentId, target);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The user's role, if it allows <paramref name="allowed"/>. Unknown documents are "not found"; known documents
    /// without a fitting role are "forbidden".
    /// </summary>
    public DocumentRole Authorize(string documentId, string user, Func<DocumentRole, bool> allowed, string action)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (string.IsNullOrEmpty(documentId) || directory.Find(documentId) is null)
        {
            throw CollabException.NotFound($"Document '{documentId}' does not exist.");
        }
        var role = directory.RoleOf(documentId, user);
        if (!allowed(role))
        {
            throw CollabException.Forbidden(role == DocumentRole.None
                ? $"You have no role on document '{documentId}'."
                : $"Your role ({role.ToWire()}) may not {action} document '{documentId}'.");
        }
        return role;
    }

    /// <summary>Parses a (document, branch) pair with a clear error.</summary>
    public static BranchRef ParseBranch(string documentId, string branch)
    {
        if (NameRules.DocumentIdError(documentId) is { } docError) throw new CollabException(CollabErrorCode.Invalid, $"Invalid document id: {docError}.");
        if (NameRules.BranchNameError(branch) is { } branchError) throw new CollabException(CollabErrorCode.Invalid, $"Invalid branch name: {branchError}.");
        return new BranchRef(new DocumentId(documentId), new BranchName(branch));
    }

    private static void ValidateUser(string user)
    {
        if (string.IsNullOrWhiteSpace(user) || user.Length > NewEvent.MaxAuthorLength)
        {
            throw new CollabException(CollabErrorCode.Invalid, $"A user name must be 1 to {NewEvent.MaxAuthorLength} characters.");
        }
    }

    private static DocumentView View(DocumentEntry entry, DocumentRole role) => new(entry.Id, entry.Title, entry.CreatedBy, entry.CreatedAt, role.ToWire());
}
