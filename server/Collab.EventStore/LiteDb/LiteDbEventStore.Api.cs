using System.Runtime.CompilerServices;
using Collab.EventStore.Internal;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>The public operations: writes go to the writer thread, reads run on the caller's thread.</summary>
public sealed partial class LiteDbEventStore
{
    private const int ReadPageSize = 512;

    /// <inheritdoc />
    public Task<DocumentInfo> CreateDocumentAsync(DocumentId id, string createdBy, CancellationToken cancellationToken = default)
    {
        Validation.Document(id);
        Validation.Actor(createdBy, "the creator");
        return Enqueue(new CreateDocumentOp(id, createdBy), cancellationToken);
    }

    /// <inheritdoc />
    public Task<DocumentInfo?> GetDocumentAsync(DocumentId id, CancellationToken cancellationToken = default)
    {
        Validation.Document(id);
        var doc = FindDocument(id);
        return Task.FromResult(doc is null ? null : Bson.Document(doc));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DocumentInfo>> ListDocumentsAsync(DocumentId? after, int maxCount, CancellationToken cancellationToken = default)
    {
        Validation.MaxCount(maxCount);
        var query = after is { } a ? Bson.IdAbove(Bson.DocumentKey(a)) : Bson.All;
        var list = new List<DocumentInfo>();
        foreach (var doc in _documents.Find(query, 0, maxCount))
        {
            var info = Bson.Document(doc);
            if (!_unpublishedDocuments.ContainsKey(info.Id)) list.Add(info);
        }
        return Task.FromResult<IReadOnlyList<DocumentInfo>>(list);
    }

    /// <inheritdoc />
    public Task<BranchInfo?> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        return Task.FromResult(FindEntry(branch)?.Info);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BranchInfo>> ListBranchesAsync(DocumentId document, CancellationToken cancellationToken = default)
    {
        Validation.Document(document);
        if (FindDocument(document) is null) throw Validation.DocumentNotFound(document);
        var (from, to) = Bson.BranchKeyRange(document);

        // Forks still in the fork journal first: one copied into LiteDB meanwhile is then found there as well.
        var names = new SortedSet<string>(JournaledBranchNames(document), StringComparer.Ordinal);
        foreach (var doc in _branchDocs.Find(Bson.IdBetween(from, to)))
        {
            var key = doc[Bson.Id].AsBinary;
            names.Add(System.Text.Encoding.UTF8.GetString(key, from.Length, key.Length - from.Length));
        }

        var list = new List<BranchInfo>(names.Count);
        foreach (var name in names)
        {
            var entry = FindEntry(new BranchRef(document, new BranchName(name)));
            if (entry is not null) list.Add(entry.Info);
        }

        return Task.FromResult<IReadOnlyList<BranchInfo>>(list);
    }

    /// <inheritdoc />
    public Task<BranchInfo> ForkAsync(BranchRef source, EventSeq at, BranchName name, string createdBy, CancellationToken cancellationToken = default)
    {
        Validation.Fork(source, at, name, createdBy);
        return Enqueue(new ForkOp(source, at, name, createdBy), cancellationToken);
    }

    /// <inheritdoc />
    public Task<BranchInfo> SetBranchStateAsync(BranchRef branch, BranchState state, CancellationToken cancellationToken = default)
    {
        Validation.StateChange(branch, state);
        return Enqueue(new SetStateOp(branch, state), cancellationToken);
    }

    /// <inheritdoc />
    public Task<AppendResult> AppendAsync(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead = null, CancellationToken cancellationToken = default)
    {
        Validation.Events(branch, events, expectedHead, _options);
        var op = new AppendOp(branch, events, expectedHead);
        return NeedsUpdateIds(branch, events, out var entry) ? PreloadThenAppendAsync(branch, entry, op, cancellationToken) : Enqueue(op, cancellationToken);
    }

    /// <inheritdoc />
    public Task<Snapshot> PutSnapshotAsync(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion, CancellationToken cancellationToken = default)
    {
        Validation.Snapshot(branch, seq, state, _options);
        return Enqueue(new SnapshotOp(branch, seq, state, formatVersion), cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadAsync(BranchRef branch, EventSeq from, EventSeq to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // The head is fixed at the start; pages are read whole so no LiteDB cursor outlives a thread switch.
        var info = Entry(branch).Info;
        foreach (var segment in Ancestry.Segments(info, Math.Max(from.Value, 1), to.Value, Info))
        {
            var number = Entry(segment.Owner).Number;
            for (var next = segment.From; next <= segment.To;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = ReadOwn(segment.Owner, number, next, segment.To, ReadPageSize, upcast: true);
                foreach (var e in page) yield return e;
                next += page.Count;
                if (page.Count == 0) break;
            }

            await Task.Yield();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadPageAsync(BranchRef branch, EventSeq from, int maxCount, CancellationToken cancellationToken = default)
    {
        Validation.MaxCount(maxCount);
        var list = new List<StoredEvent>();
        foreach (var segment in Ancestry.Segments(Entry(branch).Info, Math.Max(from.Value, 1), long.MaxValue, Info))
        {
            list.AddRange(ReadOwn(segment.Owner, Entry(segment.Owner).Number, segment.From, segment.To, maxCount - list.Count, upcast: true));
            if (list.Count >= maxCount) break;
        }

        return Task.FromResult<IReadOnlyList<StoredEvent>>(list);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StoredEvent> SubscribeAsync(BranchRef branch, EventSeq after, CancellationToken cancellationToken = default)
    {
        Entry(branch);
        return Subscription.Run(branch, after, _signals, () => Entry(branch).Info.Head, (from, max, ct) => ReadPageAsync(branch, from, max, ct), _disposed.Token, cancellationToken);
    }

    /// <inheritdoc />
    public Task<BranchDigest> GetDigestAsync(BranchRef branch, EventSeq? at = null, CancellationToken cancellationToken = default)
    {
        var info = Entry(branch).Info;
        var seq = at ?? info.Head;
        Validation.Seq(seq, "the position");
        if (seq > info.Head) throw Validation.BeyondHead(branch, seq, info.Head);
        return Task.FromResult(new BranchDigest(branch, seq, Ancestry.HashAt(info, seq, Info, StoredHash)));
    }

    /// <inheritdoc />
    public Task<VerificationResult> VerifyAsync(BranchRef branch, CancellationToken cancellationToken = default)
    {
        var info = Entry(branch).Info;
        var verifier = new ChainVerifier(info, EventChain.Genesis(branch.Document), this);
        foreach (var segment in Ancestry.Segments(info, 1, long.MaxValue, Info))
        {
            var number = Entry(segment.Owner).Number;
            for (var next = segment.From; next <= segment.To;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = ReadOwn(segment.Owner, number, next, segment.To, ReadPageSize, upcast: false);
                foreach (var e in page)
                {
                    if (!verifier.Next(e)) return Task.FromResult(verifier.Finish());
                }

                if (page.Count == 0) break;
                next += page.Count;
            }
        }

        return Task.FromResult(verifier.Finish());
    }

    private List<StoredEvent> ReadOwn(BranchRef owner, int number, long from, long to, int maxCount, bool upcast)
    {
        var list = new List<StoredEvent>(Math.Min(maxCount, ReadPageSize));
        if (maxCount <= 0) return list;
        foreach (var e in OwnEvents(owner, number, from, to))
        {
            list.Add(upcast ? _upcasting.Apply(e) : e);
            if (list.Count == maxCount) break;
        }

        return list;
    }
}
