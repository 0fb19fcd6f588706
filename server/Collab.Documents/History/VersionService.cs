using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Collab.Crdt.Document;
using Collab.Crdt.History;
using Collab.Crdt.Merging;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>Body of <c>POST /api/documents/{id}/versions</c>.</summary>
/// <param name="Name">1–100 characters, no control characters and no '/'; unique in the document.</param>
/// <param name="Branch">The branch (default main).</param>
/// <param name="Seq">The position (default: the branch's head).</param>
public sealed record CreateVersionRequest(string? Name, string? Branch, long? Seq);

/// <summary>Body of <c>POST /api/documents/{id}/versions/{name}/restore</c>.</summary>
/// <param name="Branch">The branch to restore onto (default: the version's branch).</param>
public sealed record RestoreRequest(string? Branch);

/// <summary>A named version.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Branch">The branch it is a position of.</param>
/// <param name="Seq">The position.</param>
/// <param name="CreatedBy">Who named it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="RecordBranch">The branch whose log records it.</param>
/// <param name="RecordSeq">The seq of the event that records it.</param>
public sealed record VersionView(string Name, string Branch, long Seq, string CreatedBy, DateTimeOffset CreatedAt, string RecordBranch, long RecordSeq);

/// <summary>What a restore did.</summary>
/// <param name="Version">The version restored.</param>
/// <param name="Branch">The branch it was restored onto.</param>
/// <param name="Seq">The seq of the restore event.</param>
/// <param name="HeadBefore">The branch's head just before it.</param>
/// <param name="ClientId">The fresh Yjs client id the restore wrote with.</param>
/// <param name="Changed">Whether the content changed (false: it already equalled the version; the event is still written as a record).</param>
public sealed record RestoreResult(string Version, string Branch, long? Seq, long HeadBefore, uint ClientId, bool Changed);

/// <summary>
/// Named versions ("Approved by legal"): a name for a position of a branch, recorded as a record-only <c>version</c>
/// event on that branch (so it is in the hash chain), usable wherever a position is. Restore writes one
/// <c>restore</c> event whose update makes the branch's content equal the version's: it reverts everything after the
/// version as new items, written by a fresh client id. Nothing is rewritten.
/// </summary>
public sealed class VersionService(IEventStore store, DocumentCatalog catalog, HistoryIndex index, SessionManager sessions, DocumentRecords? records = null)
{
    /// <summary>The longest version name.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Kind of a version's record-only event.</summary>
    public static readonly EventKind VersionKind = new("version");

    /// <summary>Kind of a restore event.</summary>
    public static readonly EventKind RestoreKind = new("restore");

    private const int MaxAttempts = 3;
    private readonly DocumentReplayer _replayer = new(store);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _naming = new(StringComparer.Ordinal);

    /// <summary>Names a position (editors and owners).</summary>
    public async Task<VersionView> CreateAsync(string documentId, CreateVersionRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog.Authorize(documentId, user, DocumentRoles.CanWrite, "name versions of");
        var name = ValidateName(request.Name);
        // one namer per document at a time, so that two requests cannot both take a name
        var gate = _naming.GetOrAdd(documentId, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BranchRef branch;
            PositionView position;
            using (var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false))
            {
                if (lease.History.Versions.Exists(v => v.Name == name)) throw new CollabException(CollabErrorCode.Conflict, $"Document '{documentId}' already has a version named '{name}'.");
                (branch, position) = await HistoryPositions.ResolveAsync(lease.History, _replayer, documentId, new PositionQuery(request.Branch, request.Seq), cancellationToken).ConfigureAwait(false);
            }
            var record = new DomainRecord(VersionRecords.Named, new Dictionary<string, string>
            {
                [VersionRecords.Name] = name,
                [VersionRecords.Branch] = position.Branch,
                [VersionRecords.Seq] = position.Seq.ToString(CultureInfo.InvariantCulture),
            });
            var written = await sessions.WriteDomainEventAsync(branch, DomainEvent.RecordOnly(VersionKind, record, user), cancellationToken).ConfigureAwait(false);
            var stored = await store.ReadPageAsync(branch, new EventSeq(written.Seq!.Value), 1, cancellationToken).ConfigureAwait(false);
            var time = stored.Count > 0 ? stored[0].ServerTime : DateTimeOffset.UtcNow;
            return new VersionView(name, position.Branch, position.Seq, user, time, position.Branch, written.Seq.Value);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Every named version of the document, by time (any role that can read).</summary>
    public async Task<IReadOnlyList<VersionView>> ListAsync(string documentId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        using var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        return lease.History.Versions.OrderBy(static v => v.CreatedAt).Select(View).ToList();
    }

    /// <summary>
    /// Makes a branch's content equal a version's as one new <c>restore</c> event (editors and owners), which live
    /// clients receive as an ordinary update. The version must be in the branch's history (its items all held there).
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(string documentId, string name, RestoreRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog.Authorize(documentId, user, DocumentRoles.CanWrite, "restore versions of");
        for (var attempt = 1; ; attempt++)
        {
            VersionEntry version;
            BranchRef target;
            HashSet<uint> knownClients;
            Dictionary<string, RootKind> hints;
            using (var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false))
            {
                var history = lease.History;
                version = history.Versions.Find(v => v.Name == name) ?? throw CollabException.NotFound($"Document '{documentId}' has no version named '{name}'.");
                target = DocumentCatalog.ParseBranch(documentId, request.Branch ?? version.Branch.Value);
                if (!history.Branches.ContainsKey(target.Branch)) throw CollabException.NotFound($"Branch '{target.Branch}' of document '{documentId}' does not exist.");
                knownClients = [.. history.Originals.Keys, .. history.Copies.Keys];
                hints = HistoryPositions.Hints(history);
            }

            // A protected branch changes only by an approved proposal's merge: restore onto a fork and propose it.
            await ProtectedBranchRules.RefuseRestoreAsync(records, target, cancellationToken).ConfigureAwait(false);
            var versionRef = new BranchRef(target.Document, version.Branch);
            var before = (await _replayer.BuildAsync(versionRef, new EventSeq(version.Seq), gc: false, cancellationToken).ConfigureAwait(false)).Doc;
            var built = await _replayer.BuildAsync(target, null, gc: false, cancellationToken).ConfigureAwait(false);
            var current = built.Doc;
            var currentState = current.GetStateVector();
            foreach (var (client, clock) in before.GetStateVector())
            {
                if (clock > currentState.GetValueOrDefault(client))
                {
                    throw new CollabException(CollabErrorCode.Conflict, $"Version '{name}' ({version.Branch}@{version.Seq}) holds changes branch '{target.Branch}' does not have: restore it onto its own branch or one that contains it.");
                }
            }

            var clientId = FreshClientId(currentState, knownClients);
            // Already equal: the event is only a record (a revert would delete and re-insert the same text as new items).
            var changed = !Same(Render(current, hints), Render(before, hints), out _);
            var update = changed ? RevertBuilder.Revert(current, before, current, clientId) : [];
            changed = update.Length > 0;
            if (changed) Verify(current, before, update, hints, name);

            var record = new DomainRecord(VersionRecords.Restored, new Dictionary<string, string>
            {
                [VersionRecords.Name] = version.Name,
                [VersionRecords.Branch] = version.Branch.Value,
                [VersionRecords.Seq] = version.Seq.ToString(CultureInfo.InvariantCulture),
                ["restoredOver"] = built.Seq.Value.ToString(CultureInfo.InvariantCulture),
                ["clientId"] = clientId.ToString(CultureInfo.InvariantCulture),
            });
            var domainEvent = new DomainEvent(RestoreKind, changed ? update : DomainEvent.EmptyUpdate, user) { Record = record, ExpectedHead = built.Seq.Value };
            try
            {
                var written = await sessions.WriteDomainEventAsync(target, domainEvent, cancellationToken).ConfigureAwait(false);
                return new RestoreResult(version.Name, target.Branch.Value, written.Seq, written.HeadBefore, clientId, changed);
            }
            catch (BranchMovedException) when (attempt < MaxAttempts)
            {
                // someone wrote in between: build again from the new head
            }
            catch (BranchMovedException ex)
            {
                throw new CollabException(CollabErrorCode.Conflict, $"Branch '{target.Branch}' kept moving while the restore was prepared; try again.", ex);
            }
        }
    }

    internal static VersionView View(VersionEntry v) => new(v.Name, v.Branch.Value, v.Seq, v.CreatedBy, v.CreatedAt, v.RecordBranch.Value, v.RecordSeq);

    private static string ValidateName(string? name)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength) throw new CollabException(CollabErrorCode.Invalid, $"A version name must be 1 to {MaxNameLength} characters.");
        if (name.Any(static c => char.IsControl(c) || c == '/')) throw new CollabException(CollabErrorCode.Invalid, "A version name must not contain control characters or '/'.");
        if (name.StartsWith("version:", StringComparison.Ordinal)) throw new CollabException(CollabErrorCode.Invalid, "A version name must not start with 'version:'.");
        return name;
    }

    /// <summary>
    /// A client id no branch of the document has written with (the client-id rule: one id, one line of history), nor
    /// the current document holds.
    /// </summary>
    private static uint FreshClientId(Dictionary<uint, uint> current, HashSet<uint> known)
    {
        while (true)
        {
            var id = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
            if (!current.ContainsKey(id) && !known.Contains(id)) return id;
        }
    }

    /// <summary>Refuses a restore whose result would not equal the version (nothing is written then).</summary>
    private static void Verify(YDoc current, YDoc version, byte[] update, Dictionary<string, RootKind> hints, string name)
    {
        var result = new YDoc(new YDocOptions { Gc = false });
        result.ApplyUpdate(current.EncodeStateAsUpdate());
        result.ApplyUpdate(update);
        if (!Same(Render(version, hints), Render(result, hints), out var root))
        {
            throw new CollabException(CollabErrorCode.Conflict, $"Restoring version '{name}' would not give its content back exactly (root '{root}' differs); nothing was written.");
        }
    }

    private static bool Same(Dictionary<string, string> a, Dictionary<string, string> b, out string? differing)
    {
        foreach (var key in a.Keys.Union(b.Keys))
        {
            if (a.GetValueOrDefault(key) != b.GetValueOrDefault(key))
            {
                differing = key;
                return false;
            }
        }
        differing = null;
        return true;
    }

    /// <summary>Each root's content; empty roots left out (a root the version never had renders empty afterwards).</summary>
    private static Dictionary<string, string> Render(YDoc doc, Dictionary<string, RootKind> hints)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var root in DocumentRender.RenderAll(doc, hints))
        {
            var content = root.DeltaJson ?? root.Json ?? root.Xml ?? "";
            if (content is "" or "[]" or "{}") continue;
            result[root.Name] = content;
        }
        return result;
    }
}
