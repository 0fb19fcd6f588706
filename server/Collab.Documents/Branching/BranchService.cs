using Collab.Documents.Access;
using Collab.Documents.History;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>A branch with its place in the document's history.</summary>
/// <param name="Name">The branch name.</param>
/// <param name="Parent">The branch it was forked from (null for <c>main</c>).</param>
/// <param name="ForkSeq">The parent's seq it was forked at.</param>
/// <param name="ForkHash">The hash at the fork position.</param>
/// <param name="HeadSeq">The seq of its last durable event.</param>
/// <param name="HeadHash">The hash at the head.</param>
/// <param name="State">open, merged or archived.</param>
/// <param name="CreatedBy">Who forked it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="ParentHeadSeq">The parent's head now (null for <c>main</c>).</param>
/// <param name="Ahead">
/// The branch's own content events not yet merged into its parent: those after max(fork seq, the greatest source seq of
/// a merge of this branch into the parent, as the parent's merge records say), up to its head. Record-only events
/// (proposal, protection, settings, version records) do not count (<see cref="ContentEventCounts"/>). Null for <c>main</c>.
/// </param>
/// <param name="Behind">
/// The parent's content events after the fork point not yet merged into this branch: those after max(fork seq, the
/// greatest source seq of a merge of the parent into this branch), up to the parent's head. Null for <c>main</c>.
/// </param>
public sealed record BranchDetails(
    string Name,
    string? Parent,
    long ForkSeq,
    string ForkHash,
    long HeadSeq,
    string HeadHash,
    string State,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    long? ParentHeadSeq,
    long? Ahead,
    long? Behind)
{
    /// <summary>Whether the branch is protected (client edits and direct merges refused; see <see cref="ProtectionService"/>).</summary>
    public bool Protected { get; init; }
}

/// <summary>
/// Forks and branch details, with their access rules. A fork writes branch metadata only (O(1) whatever the length of
/// the history) and may start at any position of any branch, merged or archived ones included.
/// </summary>
public sealed class BranchService(IEventStore store, DocumentCatalog catalog, SessionManager sessions, DocumentRecords? records = null)
{
    private readonly DocumentReplayer _replayer = new(store);
    private readonly ContentEventCounts _contentEvents = new(store);

    /// <summary>
    /// Forks <paramref name="name"/> from <paramref name="fromBranch"/> at <paramref name="seq"/>, or at the last event
    /// at or before <paramref name="at"/>, or at its durable head when neither is given (editors and owners).
    /// </summary>
    public async Task<BranchDetails> ForkAsync(string documentId, string name, string fromBranch, long? seq, DateTimeOffset? at, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanFork, "fork branches of");
        if (seq is not null && at is not null) throw new CollabException(CollabErrorCode.Invalid, "Give the fork position as 'seq' or as 'at', not both.");
        var source = DocumentCatalog.ParseBranch(documentId, fromBranch);
        var target = DocumentCatalog.ParseBranch(documentId, name);
        var info = await store.GetBranchAsync(source, cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"Branch '{fromBranch}' of document '{documentId}' does not exist.");
        EventSeq position;
        if (seq is { } s)
        {
            if (s < 0 || s > info.Head.Value) throw new CollabException(CollabErrorCode.Invalid, $"Seq {s} is outside branch '{fromBranch}' (its head is {info.Head}).");
            position = new EventSeq(s);
        }
        else if (at is { } time)
        {
            position = await _replayer.SeqAtTimeAsync(source, time, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            position = info.Head;
        }
        return await ForkAtAsync(source, position, target, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// "Move my work to a branch": lets <paramref name="fromBranch"/> store every update it received so far, then forks
    /// <paramref name="name"/> at its durable head (editors and owners).
    /// </summary>
    public async Task<BranchDetails> ForkFromHeadAsync(string documentId, string fromBranch, string name, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanFork, "fork branches of");
        var source = DocumentCatalog.ParseBranch(documentId, fromBranch);
        var target = DocumentCatalog.ParseBranch(documentId, name);
        var (head, _) = await sessions.SettleAsync(source, cancellationToken).ConfigureAwait(false);
        return await ForkAtAsync(source, new EventSeq(head), target, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One branch with its fork point and ahead/behind counts against its parent (any role).</summary>
    public async Task<BranchDetails> GetAsync(string documentId, string branch, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        var info = await store.GetBranchAsync(DocumentCatalog.ParseBranch(documentId, branch), cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"Branch '{branch}' of document '{documentId}' does not exist.");
        var details = await DetailsAsync(info, cancellationToken).ConfigureAwait(false);
        return records is null ? details : details with { Protected = await records.IsProtectedAsync(info.Ref, cancellationToken).ConfigureAwait(false) };
    }

    private async Task<BranchDetails> ForkAtAsync(BranchRef source, EventSeq position, BranchRef target, string user, CancellationToken cancellationToken)
    {
        BranchInfo created;
        try
        {
            created = await store.ForkAsync(source, position, target.Branch, user, cancellationToken).ConfigureAwait(false);
        }
        catch (EventStoreException ex) when (ex.Error == EventStoreError.BranchAlreadyExists)
        {
            throw new CollabException(CollabErrorCode.Conflict, $"Branch '{target.Branch}' of document '{target.Document}' already exists.", ex);
        }
        catch (EventStoreException ex) when (ex.Error == EventStoreError.SeqBeyondHead)
        {
            throw new CollabException(CollabErrorCode.Invalid, $"Seq {position} is beyond the head of branch '{source.Branch}'.", ex);
        }
        return await DetailsAsync(created, cancellationToken, justForked: true).ConfigureAwait(false);
    }

    /// <param name="info">The branch.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <param name="justForked">
    /// The branch was created by this call: no merge record can concern it yet, so none is read (two store queries
    /// saved on every fork). Nothing names it, and its view (its parent's view up to the fork point) holds no merge
    /// of its parent into an ancestor: such a merge lands on the ancestor after the ancestor's head when the parent
    /// was forked, so after the fork point of every branch that inherits that part of the ancestor.
    /// </param>
    private async Task<BranchDetails> DetailsAsync(BranchInfo info, CancellationToken cancellationToken, bool justForked = false)
    {
        long? parentHead = null, ahead = null, behind = null;
        if (info.Parent is { } parentRef && await store.GetBranchAsync(parentRef, cancellationToken).ConfigureAwait(false) is { } parent)
        {
            parentHead = parent.Head.Value;
            var mergedIntoParent = justForked ? 0 : await LastMergedAsync(parentRef, info.Ref, cancellationToken).ConfigureAwait(false);
            var parentMergedIn = justForked ? 0 : await LastMergedAsync(info.Ref, parentRef, cancellationToken).ConfigureAwait(false);
            // Only events that change content count: a proposal's reviews on the parent do not put a branch behind.
            ahead = await _contentEvents.CountAsync(info, Math.Max(info.ForkSeq.Value, mergedIntoParent), info.Head.Value, cancellationToken).ConfigureAwait(false);
            behind = await _contentEvents.CountAsync(parent, Math.Max(info.ForkSeq.Value, parentMergedIn), parent.Head.Value, cancellationToken).ConfigureAwait(false);
        }
        return new BranchDetails(
            info.Ref.Branch.Value,
            info.Parent?.Branch.Value,
            info.ForkSeq.Value,
            info.ForkHash.ToString(),
            info.Head.Value,
            info.HeadHash.ToString(),
            info.State.ToString().ToLowerInvariant(),
            info.CreatedBy,
            info.CreatedAt,
            parentHead,
            ahead,
            behind);
    }

    /// <summary>The greatest source seq of a merge of <paramref name="source"/> recorded in <paramref name="into"/>'s view (0 when none).</summary>
    private async Task<long> LastMergedAsync(BranchRef into, BranchRef source, CancellationToken cancellationToken)
    {
        long last = 0;
        foreach (var record in await store.ListMergeRecordsAsync(into, cancellationToken).ConfigureAwait(false))
        {
            if (record.Source.Branch == source) last = Math.Max(last, record.Source.Seq.Value);
        }
        return last;
    }
}
