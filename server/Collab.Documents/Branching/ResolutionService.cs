using System.Globalization;
using Collab.Crdt;
using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Crdt.Updates;
using Collab.Documents.Access;
using Collab.Documents.History;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Branching;

/// <summary>
/// Decisions on merge conflicts (docs/branching.md, "Deciding conflicts and reverting"). Each request becomes one
/// <c>resolution</c> event on the merge's branch, written through its live session (its clients receive it as an
/// ordinary update), carrying the resolution record in the hash chain: the decisions, who took them, and what each
/// replaced. The merge record (<see cref="MergeService"/>) is the one source of conflicts and decisions; this service
/// adds to it and reads from it. With <see cref="DocumentRecords"/> (the server registers it), a protected branch takes
/// only decisions on the conflicts of an approved proposal's merge.
/// </summary>
public sealed class ResolutionService(
    IEventStore store, DocumentCatalog catalog, SessionManager sessions, MergeService merges, DecisionGate gate, IOptions<MergeOptions> options, DocumentRecords? records = null)
{
    /// <summary>Property names on each recorded decision.</summary>
    public static class Keys
    {
        public const string Actor = "actor";
        public const string Replaced = "replaced";
        public const string RegionChanged = "regionChanged";
        public const string Changed = "changed";
        public const string Message = "message";
    }

    /// <summary>Conflict states.</summary>
    public const string Open = "open", Decided = "decided";

    private const int MaxMessageLength = 2000;
    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>
    /// A merge with the decisions given in <see cref="MergeRequest.Resolutions"/>: the decisions are checked first (a
    /// bad choice writes nothing), the merge is written (refused when it would find other conflicts than those decided),
    /// then the decisions as one resolution event on it. A dry run or a request without decisions is a plain merge.
    /// </summary>
    public async Task<(MergeResult Merge, ResolutionResult? Resolution)> MergeWithDecisionsAsync(string documentId, MergeRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.DryRun || request.Resolutions is not { Count: > 0 } decisions) return (await merges.MergeAsync(documentId, request, user, cancellationToken).ConfigureAwait(false), null);
        catalog.Authorize(documentId, user, DocumentRoles.CanMerge, "decide conflicts of");
        Validate(decisions);
        var merged = await merges.MergeAsync(documentId, request, user, cancellationToken).ConfigureAwait(false);
        if (merged.MergeId is not { } mergeId) return (merged, null);
        var resolution = await ResolveAsync(documentId, mergeId, new ResolveRequest(decisions, request.Message), user, cancellationToken).ConfigureAwait(false);
        return (merged, resolution);
    }

    /// <summary>
    /// Decides conflicts of merge <paramref name="mergeId"/> (owners). Refused, with nothing written, when a conflict id
    /// is unknown (not found), asked twice or already decided (conflict, naming the earlier resolution), or when a
    /// decision cannot be applied (invalid). A decision whose resolution event was reverted (by a revert of exactly that
    /// event, not itself reverted) no longer counts: the conflict is open again.
    /// </summary>
    public async Task<ResolutionResult> ResolveAsync(string documentId, string mergeId, ResolveRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog.Authorize(documentId, user, DocumentRoles.CanMerge, "decide conflicts of");
        var mergeRef = MergeService.ParseMergeId(documentId, mergeId);
        if (request.Message is { Length: > MaxMessageLength }) throw new CollabException(CollabErrorCode.Invalid, $"A message must be at most {MaxMessageLength} characters.");
        var asked = Validate(request.Decisions);

        var record = await store.GetMergeRecordAsync(mergeRef, cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"There is no merge {mergeId} in document '{documentId}'.");
        var name = MergeName(record);
        // On a protected branch only the decisions that complete an approved proposal's merge (ProtectedBranchRules).
        await ProtectedBranchRules.RefuseResolutionAsync(records, record, cancellationToken).ConfigureAwait(false);
        var conflicts = record.Conflicts.ToDictionary(static c => c.Id, MergeService.FromRecord, StringComparer.Ordinal);
        foreach (var decision in asked)
        {
            if (!conflicts.ContainsKey(decision.ConflictId))
            {
                throw CollabException.NotFound($"Merge {name} has no conflict '{decision.ConflictId}'" +
                    (conflicts.Count == 0 ? " (it found none)." : $" (its conflicts: {string.Join(", ", conflicts.Keys)})."));
            }
        }

        var branch = record.Event.Branch;
        using (await gate.EnterAsync(documentId, cancellationToken).ConfigureAwait(false))
        {
            // Under the gate every resolution of this document is written by the holder: what is on record now stays
            // true until the write below.
            var reverts = await RevertsAsync(record.Event.Branch, record.Event.Seq.Value, cancellationToken).ConfigureAwait(false);
            foreach (var earlier in await store.ListResolutionsAsync(record.Event, cancellationToken).ConfigureAwait(false))
            {
                // A resolution whose event was reverted (and not restored by a revert of that revert) decides nothing any more.
                if (earlier.Event.Branch == record.Event.Branch && IsWithdrawn(reverts, earlier.Event.Seq.Value)) continue;
                foreach (var d in earlier.Decisions)
                {
                    if (asked.Any(a => a.ConflictId == d.ConflictId))
                    {
                        throw new CollabException(
                            CollabErrorCode.Conflict,
                            $"Conflict '{d.ConflictId}' of merge {name} was already decided ('{d.Choice}' by {earlier.Author} in resolution " +
                            $"{earlier.Event.Branch.Branch}@{earlier.Event.Seq}); revert that resolution event to decide it again.");
                    }
                }
            }

            var (head, _) = await sessions.SettleAsync(branch, cancellationToken).ConfigureAwait(false);
            var current = (await _replayer.BuildAsync(branch, new EventSeq(head), gc: false, cancellationToken).ConfigureAwait(false)).Doc;
            var clientIds = new Dictionary<string, uint>(StringComparer.Ordinal);
            var maxAttempts = options.Value.MaxAttempts;
            for (var attempt = 1; ; attempt++)
            {
                var (update, decisions) = await ComputeAsync(current, asked, conflicts, clientIds, branch, name, user, request.Message, cancellationToken).ConfigureAwait(false);
                var domainEvent = new DomainEvent(EventKind.Resolution, update, user)
                {
                    Resolution = new ResolutionRecordDraft(record.Event, decisions),
                    // The last attempt is written whatever the head: decisions apply inside their regions' bounds anyway.
                    ExpectedHead = attempt >= maxAttempts ? null : head,
                };
                try
                {
                    var written = await sessions.WriteDomainEventAsync(branch, domainEvent, cancellationToken).ConfigureAwait(false);
                    var seq = written.Seq ?? throw new InvalidOperationException("A resolution event was not written.");
                    var view = await merges.GetAsync(documentId, name, user, cancellationToken).ConfigureAwait(false);
                    var recorded = view.Decisions.Where(d => d.Seq == seq && d.ResolutionId == $"{branch.Branch}@{seq}").ToList();
                    return new ResolutionResult($"{branch.Branch}@{seq}", name, seq, !update.AsSpan().SequenceEqual(DomainEvent.EmptyUpdate), attempt, recorded);
                }
                catch (BranchMovedException)
                {
                    // Someone typed meanwhile: catch the document up with what was stored, and compute again.
                    head = await BranchCatchUp.CatchUpAsync(store, sessions, branch, current, head, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The conflicts of one merge with their state (any role).</summary>
    public async Task<IReadOnlyList<ConflictStateView>> ListMergeConflictsAsync(string documentId, string mergeId, string user, CancellationToken cancellationToken)
    {
        var view = await merges.GetAsync(documentId, mergeId, user, cancellationToken).ConfigureAwait(false);
        return await StatesAsync(documentId, view, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The conflicts of every merge of the document, oldest merge first, filtered by <paramref name="state"/> (<c>open</c>, <c>decided</c> or <c>all</c>; any role).</summary>
    public async Task<IReadOnlyList<ConflictStateView>> ListConflictsAsync(string documentId, string? state, string user, CancellationToken cancellationToken)
    {
        var filter = state?.Trim().ToLowerInvariant() switch
        {
            null or "" or Open => Open,
            Decided => Decided,
            "all" => null,
            _ => throw new CollabException(CollabErrorCode.Invalid, $"Unknown state '{state}': use open, decided or all."),
        };
        var result = new List<ConflictStateView>();
        foreach (var view in await merges.ListAsync(documentId, user, cancellationToken).ConfigureAwait(false)) result.AddRange(await StatesAsync(documentId, view, filter, cancellationToken).ConfigureAwait(false));
        return result;
    }

    private async Task<List<ConflictStateView>> StatesAsync(string documentId, MergeRecordView view, string? filter, CancellationToken cancellationToken)
    {
        var result = new List<ConflictStateView>();
        var reverts = view.Decisions.Count == 0
            ? []
            : await RevertsAsync(DocumentCatalog.ParseBranch(documentId, view.Target), view.Seq, cancellationToken).ConfigureAwait(false);
        foreach (var conflict in view.Conflicts)
        {
            // The merge record keeps every decision ever taken; the one in force is the one whose event was not reverted.
            var decision = view.Decisions.FirstOrDefault(d => d.ConflictId == conflict.Id && !(d.ResolutionId == $"{view.Target}@{d.Seq}" && IsWithdrawn(reverts, d.Seq)));
            var state = decision is null ? Open : Decided;
            if (filter is null || filter == state) result.Add(new ConflictStateView(view.Id, state, conflict, decision));
        }
        return result;
    }

    /// <summary>
    /// The update for every decision, each computed on the document as the earlier ones left it (a copy: the caller's
    /// document stays as the log says), and the decisions to record with what each replaced.
    /// </summary>
    private async Task<(byte[] Update, List<ConflictDecision> Decisions)> ComputeAsync(
        YDoc current, IReadOnlyList<(string ConflictId, string Choice, string? Content)> asked, Dictionary<string, ConflictView> conflicts,
        Dictionary<string, uint> clientIds, BranchRef branch, string mergeName, string user, string? message, CancellationToken cancellationToken)
    {
        var working = new YDoc(new YDocOptions { Gc = false });
        working.ApplyUpdate(current.EncodeStateAsUpdate());
        var updates = new List<byte[]>();
        var decisions = new List<ConflictDecision>();
        foreach (var (conflictId, choice, content) in asked)
        {
            var conflict = conflicts[conflictId];
            var info = ToInfo(conflict);
            byte[] update;
            string? replaced;
            try
            {
                replaced = ConflictResolver.CurrentContent(working, info);
                if (choice == ConflictResolver.ChoiceMerged)
                {
                    update = [];
                }
                else
                {
                    // One fresh client id per decision: a decision is computed on a document that holds the earlier ones.
                    if (!clientIds.TryGetValue(conflictId, out var clientId))
                    {
                        clientId = await sessions.FreshClientIdAsync(branch, cancellationToken).ConfigureAwait(false);
                        clientIds[conflictId] = clientId;
                    }
                    update = ConflictResolver.Resolve(working, info, choice, content, clientId);
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or YjsFormatException)
            {
                throw new CollabException(CollabErrorCode.Invalid, $"The decision '{choice}' on conflict '{conflictId}' of merge {mergeName} cannot be applied: {ex.Message}", ex);
            }
            if (update.Length > 0)
            {
                working.ApplyUpdate(update);
                updates.Add(update);
            }

            var properties = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [Keys.Actor] = user,
                [Keys.Changed] = update.Length > 0 ? "true" : "false",
                [Keys.RegionChanged] = replaced == conflict.Merged ? "false" : "true",
            };
            if (replaced is not null) properties[Keys.Replaced] = replaced;
            if (message is { Length: > 0 }) properties[Keys.Message] = message;
            decisions.Add(new ConflictDecision(conflictId, choice, choice == ConflictResolver.ChoiceCustom ? content : null) { Properties = properties });
        }
        var combined = updates.Count switch
        {
            0 => DomainEvent.EmptyUpdate,
            1 => updates[0],
            _ => YUpdate.Merge(updates),
        };
        return (combined, decisions);
    }

    /// <summary>
    /// The reverts of exactly one event on <paramref name="branch"/> after <paramref name="after"/>: reverted seq → the
    /// revert event's seq. (Reverting a single event is how a decision is taken back; see <see cref="IsWithdrawn"/>.)
    /// </summary>
    private async Task<Dictionary<long, long>> RevertsAsync(BranchRef branch, long after, CancellationToken cancellationToken)
    {
        var reverts = new Dictionary<long, long>();
        await foreach (var e in store.ReadAsync(branch, new EventSeq(after + 1), EventSeq.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (e.Kind != EventKind.Revert || e.Record is not { Type: RevertService.RecordType } record) continue;
            if (long.TryParse(record.Fields.GetValueOrDefault(RevertService.Fields.FromSeq), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                && long.TryParse(record.Fields.GetValueOrDefault(RevertService.Fields.ToSeq), NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                && to == from + 1)
            {
                reverts[to] = e.Seq.Value;
            }
        }
        return reverts;
    }

    /// <summary>Whether the event at <paramref name="seq"/> was reverted an odd number of times (revert, revert of the revert…).</summary>
    private static bool IsWithdrawn(Dictionary<long, long> reverts, long seq)
    {
        var withdrawn = false;
        for (var at = seq; reverts.TryGetValue(at, out var revert) && revert > at; at = revert) withdrawn = !withdrawn;
        return withdrawn;
    }

    internal static List<(string ConflictId, string Choice, string? Content)> Validate(IReadOnlyList<DecisionRequest>? decisions)
    {
        if (decisions is null || decisions.Count == 0) throw new CollabException(CollabErrorCode.Invalid, "A resolution needs at least one decision: {conflictId, choice}.");
        var result = new List<(string, string, string?)>(decisions.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in decisions)
        {
            if (d is null || string.IsNullOrWhiteSpace(d.ConflictId)) throw new CollabException(CollabErrorCode.Invalid, "Every decision needs a 'conflictId'.");
            var choice = d.Choice?.Trim().ToLowerInvariant() switch
            {
                ConflictResolver.ChoiceMerged => ConflictResolver.ChoiceMerged,
                ConflictResolver.ChoiceOurs => ConflictResolver.ChoiceOurs,
                ConflictResolver.ChoiceTheirs => ConflictResolver.ChoiceTheirs,
                ConflictResolver.ChoiceCustom => ConflictResolver.ChoiceCustom,
                _ => throw new CollabException(CollabErrorCode.Invalid, $"Unknown choice '{d.Choice}' for conflict '{d.ConflictId}': use merged, ours, theirs or custom."),
            };
            if (choice == ConflictResolver.ChoiceCustom && d.Content is null) throw new CollabException(CollabErrorCode.Invalid, $"A custom decision needs 'content' (conflict '{d.ConflictId}').");
            if (choice != ConflictResolver.ChoiceCustom && d.Content is not null) throw new CollabException(CollabErrorCode.Invalid, $"Only a custom decision takes 'content' (conflict '{d.ConflictId}' chose '{choice}').");
            if (!seen.Add(d.ConflictId)) throw new CollabException(CollabErrorCode.Invalid, $"Conflict '{d.ConflictId}' is decided twice in one request.");
            result.Add((d.ConflictId, choice, d.Content));
        }
        return result;
    }

    private static string MergeName(MergeRecord record) => $"{record.Event.Branch.Branch}@{record.Event.Seq}";

    private static MergeConflictInfo ToInfo(ConflictView c) => new(
        c.Id, c.Kind, c.Root, c.Path, c.Key, Bytes(c.Start), Bytes(c.End), c.Base, c.Ours, c.Theirs, c.Merged, c.AutomaticOutcome);

    private static byte[]? Bytes(string? base64) => base64 is null ? null : Convert.FromBase64String(base64);
}
