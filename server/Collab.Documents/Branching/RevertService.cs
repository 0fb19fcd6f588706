using System.Globalization;
using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Branching;

/// <summary>
/// Reverts: undo a merge, or the events (fromSeq..toSeq] of a branch, by compensating updates
/// (<see cref="RevertBuilder"/>) written as one <c>revert</c> event through the branch's live session, with a
/// <c>revert</c> <see cref="DomainRecord"/> in the hash chain. Changes made after the range are kept. Reverting a revert
/// event restores what it undid. With <see cref="DocumentRecords"/> (the server registers it), reverts on a protected
/// branch are refused: revert on a fork and propose it.
/// </summary>
public sealed class RevertService(IEventStore store, DocumentCatalog catalog, SessionManager sessions, DecisionGate gate, IOptions<MergeOptions> options, DocumentRecords? records = null)
{
    /// <summary>The domain record type of a revert.</summary>
    public const string RecordType = "revert";

    /// <summary>Field names of the <c>revert</c> record.</summary>
    public static class Fields
    {
        public const string Actor = "actor";
        public const string Branch = "branch";
        public const string FromSeq = "fromSeq";
        public const string ToSeq = "toSeq";
        public const string Merge = "merge";
        public const string Reverts = "reverts";
        public const string Message = "message";
    }

    private const int MaxMessageLength = 2000;

    /// <summary>
    /// Reverts a merge or a range of a branch (owners). Nothing to undo (the branch shows none of the range's changes any
    /// more): nothing is written and <see cref="RevertResult.NothingToRevert"/> says so. A range reverted before is
    /// refused (conflict, naming that revert): revert the revert instead.
    /// </summary>
    public async Task<RevertResult> RevertAsync(string documentId, RevertRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog.Authorize(documentId, user, DocumentRoles.CanMerge, "revert changes of");
        if (request.Message is { Length: > MaxMessageLength }) throw new CollabException(CollabErrorCode.Invalid, $"A message must be at most {MaxMessageLength} characters.");

        BranchRef branch;
        long from, to;
        string? mergeName = null;
        if (request.Merge is { } mergeId)
        {
            if (request.FromSeq is not null || request.ToSeq is not null) throw new CollabException(CollabErrorCode.Invalid, "Give either a 'merge' or a range ('fromSeq', 'toSeq'), not both.");
            var mergeRef = MergeService.ParseMergeId(documentId, mergeId);
            branch = request.Branch is null ? mergeRef.Branch : DocumentCatalog.ParseBranch(documentId, request.Branch);
            // Another branch may revert it too when the merge event is in its view (it was forked after the merge).
            if (branch != mergeRef.Branch)
            {
                var there = await store.ReadPageAsync(branch, mergeRef.Seq, 1, cancellationToken).ConfigureAwait(false);
                if (there.Count == 0 || there[0].Branch != mergeRef.Branch)
                {
                    throw new CollabException(CollabErrorCode.Invalid, $"Merge {mergeId} is not in the history of branch '{branch.Branch}': revert it on '{mergeRef.Branch.Branch}'.");
                }
            }
            var record = await store.GetMergeRecordAsync(mergeRef, cancellationToken).ConfigureAwait(false)
                ?? throw CollabException.NotFound($"There is no merge {mergeId} in document '{documentId}'.");
            mergeName = $"{record.Event.Branch.Branch}@{record.Event.Seq}";
            to = record.Event.Seq.Value;
            from = to - 1;
        }
        else
        {
            if (string.IsNullOrWhiteSpace(request.Branch)) throw new CollabException(CollabErrorCode.Invalid, "A revert needs a 'branch' (and 'fromSeq'), or a 'merge'.");
            if (request.FromSeq is not { } fromSeq) throw new CollabException(CollabErrorCode.Invalid, "A revert of a range needs 'fromSeq': the changes after it are undone.");
            branch = DocumentCatalog.ParseBranch(documentId, request.Branch);
            from = fromSeq;
            to = request.ToSeq ?? long.MaxValue;
        }

        var info = await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"Branch '{branch.Branch}' of document '{documentId}' does not exist.");
        await ProtectedBranchRules.RefuseRevertAsync(records, branch, cancellationToken).ConfigureAwait(false);
        using (await gate.EnterAsync(documentId, cancellationToken).ConfigureAwait(false))
        {
            var (head, _) = await sessions.SettleAsync(branch, cancellationToken).ConfigureAwait(false);
            if (to == long.MaxValue) to = head;
            if (from < 0 || from >= to || to > head)
            {
                throw new CollabException(CollabErrorCode.Invalid, $"A range to revert is (fromSeq..toSeq] with 0 ≤ fromSeq < toSeq ≤ head; branch '{info.Ref.Branch}' has head {head}, got ({from}..{to}].");
            }

            // A range is undone once: undoing it again would bring back its deleted content a second time. To change
            // one's mind, revert the revert (and that one in turn).
            await foreach (var later in store.ReadAsync(branch, new EventSeq(to + 1), new EventSeq(head), cancellationToken).ConfigureAwait(false))
            {
                // (Positions up to a revert in this branch's view are the same events whichever branch wrote it.)
                if (later.Kind == EventKind.Revert && later.Record is { Type: RecordType } earlier
                    && earlier.Fields.GetValueOrDefault(Fields.FromSeq) == from.ToString(CultureInfo.InvariantCulture)
                    && earlier.Fields.GetValueOrDefault(Fields.ToSeq) == to.ToString(CultureInfo.InvariantCulture))
                {
                    throw new CollabException(
                        CollabErrorCode.Conflict,
                        $"Events ({from}..{to}] of branch '{branch.Branch}' were already reverted by {later.Branch.Branch}@{later.Seq}; revert that revert to bring them back.");
                }
            }

            // One read of the log builds the three versions: before the range, after it, and now.
            var before = new YDoc(new YDocOptions { Gc = false });
            var after = new YDoc(new YDocOptions { Gc = false });
            var current = new YDoc(new YDocOptions { Gc = false });
            StoredEvent? single = null;
            await foreach (var stored in store.ReadAsync(branch, new EventSeq(1), new EventSeq(head), cancellationToken).ConfigureAwait(false))
            {
                var payload = stored.Payload.ToArray();
                var seq = stored.Seq.Value;
                if (seq <= from) before.ApplyUpdate(payload);
                if (seq <= to) after.ApplyUpdate(payload);
                current.ApplyUpdate(payload);
                if (seq == to && to == from + 1) single = stored;
            }
            // A range of exactly one revert event is a revert of a revert; of exactly one merge event, a merge's revert.
            var revertName = single is not null && single.Kind == EventKind.Revert ? $"{single.Branch.Branch}@{single.Seq}" : null;
            if (mergeName is null && single is not null && single.Kind == EventKind.Merge && await store.GetMergeRecordAsync(single.Ref, cancellationToken).ConfigureAwait(false) is not null)
            {
                mergeName = $"{single.Branch.Branch}@{single.Seq}";
            }

            var clientId = await sessions.FreshClientIdAsync(branch, cancellationToken).ConfigureAwait(false);
            var maxAttempts = options.Value.MaxAttempts;
            for (var attempt = 1; ; attempt++)
            {
                var update = RevertBuilder.Revert(current, before, after, clientId);
                if (update.Length == 0) return new RevertResult(null, true, branch.Branch.Value, from, to, null, mergeName, revertName, attempt);
                var fields = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [Fields.Actor] = user,
                    [Fields.Branch] = branch.Branch.Value,
                    [Fields.FromSeq] = from.ToString(CultureInfo.InvariantCulture),
                    [Fields.ToSeq] = to.ToString(CultureInfo.InvariantCulture),
                };
                if (mergeName is not null) fields[Fields.Merge] = mergeName;
                if (revertName is not null) fields[Fields.Reverts] = revertName;
                if (request.Message is { Length: > 0 } message) fields[Fields.Message] = message;
                var domainEvent = new DomainEvent(EventKind.Revert, update, user)
                {
                    Record = new DomainRecord(RecordType, fields),
                    ExpectedHead = attempt >= maxAttempts ? null : head,
                };
                try
                {
                    var written = await sessions.WriteDomainEventAsync(branch, domainEvent, cancellationToken).ConfigureAwait(false);
                    var seq = written.Seq ?? throw new InvalidOperationException("A revert event was not written.");
                    return new RevertResult($"{branch.Branch}@{seq}", false, branch.Branch.Value, from, to, seq, mergeName, revertName, attempt);
                }
                catch (BranchMovedException)
                {
                    // Someone typed meanwhile: bring the current version up to date and compute again (their edits are kept).
                    head = await BranchCatchUp.CatchUpAsync(store, sessions, branch, current, head, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Every revert of the document (or of one branch), in order of time (any role).</summary>
    public async Task<IReadOnlyList<RevertView>> ListAsync(string documentId, string? branch, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read reverts of");
        IEnumerable<BranchRef> branches = branch is null
            ? (await store.ListBranchesAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false)).Select(static b => b.Ref)
            : [DocumentCatalog.ParseBranch(documentId, branch)];
        var result = new List<RevertView>();
        foreach (var b in branches)
        {
            var info = await store.GetBranchAsync(b, cancellationToken).ConfigureAwait(false)
                ?? throw CollabException.NotFound($"Branch '{b.Branch}' of document '{documentId}' does not exist.");
            // A branch's own events only: an ancestor's revert is listed under the ancestor.
            var first = info.Parent is null ? new EventSeq(1) : info.ForkSeq.Next;
            if (first > info.Head) continue;
            await foreach (var e in store.ReadAsync(b, first, info.Head, cancellationToken).ConfigureAwait(false))
            {
                if (e.Branch != b || e.Kind != EventKind.Revert || e.Record is not { Type: RecordType } record) continue;
                var fields = record.Fields;
                result.Add(new RevertView(
                    $"{b.Branch}@{e.Seq}",
                    b.Branch.Value,
                    e.Seq.Value,
                    e.Hash.ToString(),
                    fields.GetValueOrDefault(Fields.Actor) ?? e.Author,
                    e.ServerTime,
                    Seq(fields, Fields.FromSeq),
                    Seq(fields, Fields.ToSeq),
                    fields.GetValueOrDefault(Fields.Merge),
                    fields.GetValueOrDefault(Fields.Reverts),
                    fields.GetValueOrDefault(Fields.Message)));
            }
        }
        result.Sort((a, b) => a.RecordedAt != b.RecordedAt ? a.RecordedAt.CompareTo(b.RecordedAt) : string.CompareOrdinal(a.Id, b.Id));
        return result;
    }

    private static long Seq(IReadOnlyDictionary<string, string> fields, string name) =>
        long.TryParse(fields.GetValueOrDefault(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
