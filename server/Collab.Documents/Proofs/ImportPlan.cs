using Collab.EventStore;

namespace Collab.Documents.Proofs;

/// <summary>A branch of an import being checked: its header entry and its own events, in seq order.</summary>
internal sealed class ImportBranch(ExportBranch info, BranchRef branchRef, ImportBranch? parent)
{
    public ExportBranch Info { get; } = info;

    public BranchRef Ref { get; } = branchRef;

    public ImportBranch? Parent { get; } = parent;

    public List<ExportEvent> Events { get; } = [];

    public List<EventHash> Hashes { get; } = [];

    public HashSet<string> UpdateIds { get; } = new(StringComparer.Ordinal);

    public EventHash ForkHash { get; set; }

    public EventHash Head => Hashes.Count > 0 ? Hashes[^1] : ForkHash;
}

/// <summary>
/// Checks an export file before anything is written: names, the branch tree, every event's seq, previous-hash link
/// and hash (re-computed from its fields and record, docs/event-store.md), each fork's hash against its parent's
/// chain and each branch's head against the header. Every refusal names the event (branch@seq) or branch at fault.
/// </summary>
internal sealed class ImportPlan
{
    private readonly Dictionary<string, ImportBranch> _branches = new(StringComparer.Ordinal);
    private readonly EventHash _genesis;
    private readonly DocumentId _document;

    public ImportPlan(ExportHeader header)
    {
        if (NameRules.DocumentIdError(header.DocumentId) is { } error) throw DocumentTransfer.Refused($"invalid document id '{header.DocumentId}': {error}.");
        _document = new DocumentId(header.DocumentId);
        _genesis = EventChain.Genesis(_document);
        if (header.Branches is not { Count: > 0 } || header.Branches[0].Name != BranchName.Main.Value || header.Branches[0].Parent is not null)
        {
            throw DocumentTransfer.Refused("the first branch must be main, without a parent.");
        }
        foreach (var b in header.Branches)
        {
            if (NameRules.BranchNameError(b.Name) is { } branchError) throw DocumentTransfer.Refused($"invalid branch name '{b.Name}': {branchError}.");
            if (_branches.ContainsKey(b.Name)) throw DocumentTransfer.Refused($"branch '{b.Name}' is listed twice.");
            ImportBranch? parent = null;
            if (b.Parent is not null && !_branches.TryGetValue(b.Parent, out parent)) throw DocumentTransfer.Refused($"branch '{b.Name}' is listed before its parent '{b.Parent}'.");
            if (b.Parent is null && b.Name != BranchName.Main.Value) throw DocumentTransfer.Refused($"branch '{b.Name}' has no parent.");
            if (b.ForkSeq < 0 || (parent is null && b.ForkSeq != 0) || (parent is not null && b.ForkSeq > parent.Info.HeadSeq) || b.HeadSeq < b.ForkSeq)
            {
                throw DocumentTransfer.Refused($"branch '{b.Name}' has an impossible fork seq {b.ForkSeq} or head seq {b.HeadSeq}.");
            }
            var branch = new ImportBranch(b, new BranchRef(_document, new BranchName(b.Name)), parent) { ForkHash = parent is null ? _genesis : Hash(b.ForkHash, $"the fork hash of branch '{b.Name}'") };
            _branches.Add(b.Name, branch);
            Branches.Add(branch);
        }
    }

    /// <summary>Branches in header order (each after its parent).</summary>
    public List<ImportBranch> Branches { get; } = [];

    /// <summary>Checks one event and keeps it.</summary>
    public void Add(ExportEvent e)
    {
        if (e.Branch is null || !_branches.TryGetValue(e.Branch, out var branch)) throw DocumentTransfer.Refused($"event {e.Branch}@{e.Seq} names a branch the header does not list.");
        var at = $"{e.Branch}@{e.Seq}";
        var expectedSeq = branch.Info.ForkSeq + branch.Events.Count + 1;
        if (e.Seq != expectedSeq) throw DocumentTransfer.Refused($"event {at} is where {e.Branch}@{expectedSeq} belongs: an event was deleted, added or moved.");
        var previous = Hash(e.PreviousHash, $"event {at}'s previous hash");
        if (previous != branch.Head) throw DocumentTransfer.Refused($"event {at}: its previous hash {previous} is not the hash before it ({branch.Head}): an event before it was changed, deleted or moved.");
        if (e.UpdateId is { } id && !branch.UpdateIds.Add(id)) throw DocumentTransfer.Refused($"event {at}: client update id '{id}' is used twice on branch '{e.Branch}'.");

        StoredEvent stored;
        byte[] record;
        try
        {
            stored = new StoredEvent(branch.Ref, new EventSeq(e.Seq), new EventKind(e.Kind), e.Payload ?? [], e.Author, e.ClientIds ?? [],
                DateTimeOffset.FromUnixTimeMilliseconds(e.Time), e.UpdateId, e.SchemaVersion, previous, default);
            record = Encode(e, branch, stored);
        }
        catch (Exception ex) when (ex is ArgumentException or EventStoreException or NullReferenceException or FormatException)
        {
            throw DocumentTransfer.Refused($"event {at} is malformed: {ex.Message}");
        }
        var computed = EventChain.ComputeHash(stored, record);
        var claimed = Hash(e.Hash, $"event {at}'s hash");
        if (computed != claimed) throw DocumentTransfer.Refused($"event {at} was changed: its fields and record hash to {computed}, the file says {claimed}.");
        branch.Events.Add(e);
        branch.Hashes.Add(computed);
    }

    /// <summary>Checks every branch's end against the header and every fork hash against its parent's chain.</summary>
    public void Finish()
    {
        foreach (var branch in Branches)
        {
            var head = branch.Info.ForkSeq + branch.Events.Count;
            if (head != branch.Info.HeadSeq) throw DocumentTransfer.Refused($"branch '{branch.Info.Name}' ends at seq {head}, the header says {branch.Info.HeadSeq}: events are missing at {branch.Info.Name}@{head + 1}.");
            if (branch.Head != Hash(branch.Info.HeadHash, $"the head hash of branch '{branch.Info.Name}'")) throw DocumentTransfer.Refused($"branch '{branch.Info.Name}' ends with hash {branch.Head}, the header says {branch.Info.HeadHash}.");
            if (branch.Parent is { } parent && HashAt(parent, branch.Info.ForkSeq) != branch.ForkHash)
            {
                throw DocumentTransfer.Refused($"branch '{branch.Info.Name}' was forked at {parent.Info.Name}@{branch.Info.ForkSeq} with hash {branch.ForkHash}, which is not the hash there ({HashAt(parent, branch.Info.ForkSeq)}).");
            }
        }
    }

    private EventHash HashAt(ImportBranch branch, long seq)
    {
        if (seq == 0) return _genesis;
        if (seq <= branch.Info.ForkSeq) return branch.Parent is { } parent ? HashAt(parent, seq) : _genesis;
        return branch.Hashes[(int)(seq - branch.Info.ForkSeq - 1)];
    }

    private byte[] Encode(ExportEvent e, ImportBranch branch, StoredEvent stored)
    {
        if (e.Record is null) return [];
        if (e.Record.Domain is { } domain) return EventChain.EncodeRecord(domain);
        if (e.Record.Merge is { } m)
        {
            var targetHead = new BranchDigest(branch.Ref, new EventSeq(e.Seq - 1), stored.PreviousHash);
            return EventChain.EncodeRecord(new MergeRecord(stored.Ref, default, targetHead, Digest(_document, m.Source), Digest(_document, m.Base), m.Conflicts, e.Author, stored.ServerTime, m.Properties));
        }
        if (e.Record.Resolution is { } r) return EventChain.EncodeRecord(new ResolutionRecord(stored.Ref, default, RefOf(_document, r), r.Decisions, e.Author, stored.ServerTime));
        throw new ArgumentException("its record is empty");
    }

    // A record's digests and refs are always in the event's document.
    internal static BranchDigest Digest(DocumentId document, ExportDigest d) => new(new BranchRef(document, new BranchName(d.Branch)), new EventSeq(d.Seq), EventHash.Parse(d.Hash));

    internal static EventRef RefOf(DocumentId document, ExportResolution r) => new(new BranchRef(document, new BranchName(r.MergeBranch)), new EventSeq(r.MergeSeq));

    private static EventHash Hash(string? hex, string what)
    {
        try
        {
            return EventHash.Parse(hex ?? "");
        }
        catch (FormatException)
        {
            throw DocumentTransfer.Refused($"{what} is not 64 hex digits.");
        }
    }
}
