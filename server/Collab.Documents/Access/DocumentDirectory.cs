using System.Text.Json;
using System.Text.Json.Serialization;

namespace Collab.Documents.Access;

/// <summary>A document's descriptive metadata kept beside the event log (the log itself has no title).</summary>
public sealed record DocumentEntry(string Id, string Title, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>One user's role on one document.</summary>
public sealed record DocumentGrant(string DocumentId, string User, DocumentRole Role);

/// <summary>
/// Titles and per-document roles. Reads come from memory; every change is appended to a JSON-lines journal and fsynced
/// before the call returns, so a grant that was answered survives a crash. A journal (not a LiteDB collection) keeps
/// this file independent of the event store's single LiteDB writer, and role changes are rare enough that one fsync
/// per change costs nothing. With no path the directory lives in memory only (tests).
/// </summary>
public sealed class DocumentDirectory : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, DocumentEntry> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, DocumentRole>> _grants = new(StringComparer.Ordinal);
    private readonly FileStream? _journal;

    // Imports begun and not yet in the directory (document → importer): journaled before the store's document exists,
    // so that a crash before the import's first event is known for an interrupted import, not a create to repair.
    private readonly Dictionary<string, string> _importsBegun = new(StringComparer.Ordinal);

    /// <summary>Opens (or creates) the journal at <paramref name="journalPath"/>, or an in-memory directory when null.</summary>
    public DocumentDirectory(string? journalPath)
    {
        if (journalPath is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(journalPath))!);
        // Unbuffered: a change is written by one call, so a failed write (a full disk) leaves no bytes behind in a buffer.
        _journal = new FileStream(journalPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        Replay(_journal);
        _journal.Seek(0, SeekOrigin.End);
    }

    /// <summary>The document's metadata, or null when unknown.</summary>
    public DocumentEntry? Find(string documentId)
    {
        lock (_gate) return _documents.GetValueOrDefault(documentId);
    }

    /// <summary>The user's role on the document; <see cref="DocumentRole.None"/> when there is no grant.</summary>
    public DocumentRole RoleOf(string documentId, string user)
    {
        lock (_gate)
        {
            return _grants.TryGetValue(documentId, out var users) && users.TryGetValue(user, out var role) ? role : DocumentRole.None;
        }
    }

    /// <summary>Every document on which the user has a role, ordered by id.</summary>
    public IReadOnlyList<(DocumentEntry Document, DocumentRole Role)> ListFor(string user)
    {
        var result = new List<(DocumentEntry, DocumentRole)>();
        lock (_gate)
        {
            foreach (var (documentId, users) in _grants)
            {
                if (users.TryGetValue(user, out var role) && _documents.TryGetValue(documentId, out var entry)) result.Add((entry, role));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1.Id, b.Item1.Id));
        return result;
    }

    /// <summary>All grants on a document, ordered by user.</summary>
    public IReadOnlyList<DocumentGrant> Grants(string documentId)
    {
        var result = new List<DocumentGrant>();
        lock (_gate)
        {
            if (_grants.TryGetValue(documentId, out var users))
            {
                foreach (var (user, role) in users) result.Add(new DocumentGrant(documentId, user, role));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.User, b.User));
        return result;
    }

    /// <summary>Records a new document with its creator as owner.</summary>
    public void Add(DocumentEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            if (_documents.ContainsKey(entry.Id)) throw new CollabException(CollabErrorCode.Conflict, $"Document '{entry.Id}' already exists.");
            Write(
                new JournalLine { Op = "doc", Document = entry.Id, Title = entry.Title, User = entry.CreatedBy, At = entry.CreatedAt },
                new JournalLine { Op = "grant", Document = entry.Id, User = entry.CreatedBy, Role = DocumentRole.Owner.ToWire() });
            ApplyDocument(entry);
            ApplyGrant(entry.Id, entry.CreatedBy, DocumentRole.Owner);
        }
    }

    /// <summary>
    /// Records (durably, before the store's document is created) that <paramref name="importer"/> begins importing
    /// <paramref name="documentId"/>; forgotten once the document is in the directory or <see cref="DropImport"/> is called.
    /// </summary>
    public void BeginImport(string documentId, string importer)
    {
        lock (_gate)
        {
            if (_importsBegun.GetValueOrDefault(documentId) == importer) return;
            Write(new JournalLine { Op = "importing", Document = documentId, User = importer });
            _importsBegun[documentId] = importer;
        }
    }

    /// <summary>Forgets an import that did not get as far as creating its document in the store.</summary>
    public void DropImport(string documentId)
    {
        lock (_gate)
        {
            if (!_importsBegun.ContainsKey(documentId)) return;
            Write(new JournalLine { Op = "import-dropped", Document = documentId });
            _importsBegun.Remove(documentId);
        }
    }

    /// <summary>Who began importing the document, when an import of it was begun and it is not in the directory yet.</summary>
    public string? ImportBegunBy(string documentId)
    {
        lock (_gate) return _importsBegun.GetValueOrDefault(documentId);
    }

    /// <summary>Gives the user a role on the document (replacing any other role).</summary>
    public void Grant(string documentId, string user, DocumentRole role)
    {
        if (role == DocumentRole.None) throw new CollabException(CollabErrorCode.Invalid, "Role must be owner, editor, viewer or auditor.");
        lock (_gate)
        {
            RequireDocument(documentId);
            if (role != DocumentRole.Owner) RequireAnotherOwner(documentId, user);
            Write(new JournalLine { Op = "grant", Document = documentId, User = user, Role = role.ToWire() });
            ApplyGrant(documentId, user, role);
        }
    }

    /// <summary>Removes the user's role. Returns false when the user had none. The last owner cannot be removed.</summary>
    public bool Revoke(string documentId, string user)
    {
        lock (_gate)
        {
            RequireDocument(documentId);
            if (!_grants.TryGetValue(documentId, out var users) || !users.ContainsKey(user)) return false;
            RequireAnotherOwner(documentId, user);
            Write(new JournalLine { Op = "revoke", Document = documentId, User = user });
            users.Remove(user);
            return true;
        }
    }

    /// <summary>Checks, without changing anything, that <see cref="Grant"/> would succeed (the same errors).</summary>
    public void CheckGrant(string documentId, string user, DocumentRole role)
    {
        if (role == DocumentRole.None) throw new CollabException(CollabErrorCode.Invalid, "Role must be owner, editor, viewer or auditor.");
        lock (_gate)
        {
            RequireDocument(documentId);
            if (role != DocumentRole.Owner) RequireAnotherOwner(documentId, user);
        }
    }

    /// <summary>Checks, without changing anything, that <see cref="Revoke"/> would succeed; false when the user has no role.</summary>
    public bool CheckRevoke(string documentId, string user)
    {
        lock (_gate)
        {
            RequireDocument(documentId);
            if (!_grants.TryGetValue(documentId, out var users) || !users.ContainsKey(user)) return false;
            RequireAnotherOwner(documentId, user);
            return true;
        }
    }

    /// <summary>Changes a document's title.</summary>
    public void Retitle(string documentId, string title)
    {
        lock (_gate)
        {
            RequireDocument(documentId);
            Write(new JournalLine { Op = "title", Document = documentId, Title = title });
            _documents[documentId] = _documents[documentId] with { Title = title };
        }
    }

    /// <summary>
    /// Replaces what the directory holds for one document with <paramref name="entry"/> and exactly
    /// <paramref name="roles"/> (the state the document's log says). Writes the journal only when something differs.
    /// </summary>
    /// <returns>Whether anything changed.</returns>
    public bool Restore(DocumentEntry entry, IReadOnlyDictionary<string, DocumentRole> roles)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(roles);
        lock (_gate)
        {
            var current = _grants.GetValueOrDefault(entry.Id);
            var same = _documents.GetValueOrDefault(entry.Id) == entry
                && (current?.Count ?? 0) == roles.Count
                && roles.All(r => current!.TryGetValue(r.Key, out var role) && role == r.Value);
            if (same) return false;

            var lines = new List<JournalLine>
            {
                new() { Op = "reset", Document = entry.Id, Title = entry.Title, User = entry.CreatedBy, At = entry.CreatedAt },
            };
            foreach (var (user, role) in roles) lines.Add(new JournalLine { Op = "grant", Document = entry.Id, User = user, Role = role.ToWire() });
            Write([.. lines]);
            ApplyDocument(entry);
            _grants.Remove(entry.Id);
            foreach (var (user, role) in roles) ApplyGrant(entry.Id, user, role);
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _journal?.Dispose();

    private void RequireDocument(string documentId)
    {
        if (!_documents.ContainsKey(documentId)) throw CollabException.NotFound($"Document '{documentId}' does not exist.");
    }

    // A document always keeps an owner: otherwise nobody could ever grant access to it again.
    private void RequireAnotherOwner(string documentId, string user)
    {
        if (!_grants.TryGetValue(documentId, out var users) || users.GetValueOrDefault(user) != DocumentRole.Owner) return;
        foreach (var (other, role) in users)
        {
            if (role == DocumentRole.Owner && other != user) return;
        }
        throw new CollabException(CollabErrorCode.Conflict, $"'{user}' is the last owner of '{documentId}'; grant owner to someone else first.");
    }

    private void ApplyDocument(DocumentEntry entry)
    {
        _documents[entry.Id] = entry;
        _importsBegun.Remove(entry.Id);
    }

    private void ApplyGrant(string documentId, string user, DocumentRole role)
    {
        if (!_grants.TryGetValue(documentId, out var users)) _grants[documentId] = users = new Dictionary<string, DocumentRole>(StringComparer.Ordinal);
        users[user] = role;
    }

    /// <summary>
    /// Appends the lines and fsyncs them, or leaves the journal as it was and refuses with <c>unavailable</c>: a write that
    /// failed part way (a full disk) is cut off again, so that the next change does not continue a torn line (which
    /// replay would take for the end of the journal, dropping every later change).
    /// </summary>
    private void Write(params ReadOnlySpan<JournalLine> lines)
    {
        if (_journal is null) return;
        var buffer = new MemoryStream();
        foreach (var line in lines)
        {
            JsonSerializer.Serialize(buffer, line, JsonOptions);
            buffer.WriteByte((byte)'\n');
        }

        var start = _journal.Length;
        try
        {
            _journal.Seek(start, SeekOrigin.Begin);
            _journal.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            _journal.Flush(flushToDisk: true);
        }
        catch (IOException ex)
        {
            try
            {
                _journal.SetLength(start);
                _journal.Seek(start, SeekOrigin.Begin);
            }
            catch (IOException)
            {
                // Shrinking needs no space; should it fail anyway, replay still stops at the torn line.
            }

            throw new CollabException(CollabErrorCode.Unavailable, "The document directory could not be written (is the disk full?); nothing was changed, try again.", ex);
        }
    }

    private void Replay(FileStream stream)
    {
        using var reader = new StreamReader(stream, leaveOpen: true);
        long goodLength = 0;
        while (reader.ReadLine() is { } text)
        {
            JournalLine? line;
            try
            {
                line = JsonSerializer.Deserialize<JournalLine>(text, JsonOptions);
            }
            catch (JsonException)
            {
                break; // a torn last line from a crash mid-write: its call never returned, so dropping it is right
            }
            if (line?.Document is null) break;
            goodLength += System.Text.Encoding.UTF8.GetByteCount(text) + 1;
            switch (line.Op)
            {
                case "doc":
                    ApplyDocument(new DocumentEntry(line.Document, line.Title ?? line.Document, line.User ?? "", line.At ?? default));
                    break;
                case "reset":
                    ApplyDocument(new DocumentEntry(line.Document, line.Title ?? line.Document, line.User ?? "", line.At ?? default));
                    _grants.Remove(line.Document);
                    break;
                case "title" when line.Title is not null && _documents.TryGetValue(line.Document, out var titled):
                    _documents[line.Document] = titled with { Title = line.Title };
                    break;
                case "grant" when line.User is not null && DocumentRoles.TryParseGrantable(line.Role, out var role):
                    ApplyGrant(line.Document, line.User, role);
                    break;
                case "revoke" when line.User is not null && _grants.TryGetValue(line.Document, out var users):
                    users.Remove(line.User);
                    break;
                case "importing" when line.User is not null:
                    _importsBegun[line.Document] = line.User;
                    break;
                case "import-dropped":
                    _importsBegun.Remove(line.Document);
                    break;
            }
        }
        stream.SetLength(goodLength);
    }

    private sealed class JournalLine
    {
        public string Op { get; set; } = "";

        public string? Document { get; set; }

        public string? Title { get; set; }

        public string? User { get; set; }

        public string? Role { get; set; }

        public DateTimeOffset? At { get; set; }
    }
}
