using System.Globalization;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>Body of <c>POST /api/documents/{id}/proposals</c>.</summary>
public sealed record OpenProposalRequest(string? Source, string? Target, string? Title, string? Description);

/// <summary>Body of <c>POST …/proposals/{pid}/reviews</c>: <c>approve</c> or <c>request-changes</c>, with an optional comment.</summary>
public sealed record ReviewRequest(string? Verdict, string? Comment);

/// <summary>Body of <c>POST …/proposals/{pid}/merge</c>.</summary>
/// <param name="Resolutions">
/// Decisions on the conflicts the proposal's preview shows, by conflict id: written as one resolution event right after
/// the merge (refused, with nothing written, when the merge would find other conflicts: look at the proposal again).
/// </param>
/// <param name="Message">The merge message (defaults to the proposal's title).</param>
public sealed record MergeProposalRequest(IReadOnlyList<DecisionRequest>? Resolutions, string? Message);

/// <summary>Body of <c>POST …/proposals/{pid}/close</c>.</summary>
public sealed record CloseProposalRequest(string? Comment);

/// <summary>How far each branch has gone since the merge base (events, record-only ones included; null where the base is not a position of that branch's history).</summary>
public sealed record ProposalSummary(long SourceHead, long TargetHead, long? SourceAheadOfBase, long? TargetAheadOfBase, int Conflicts, bool NothingToMerge);

/// <summary>A merge proposal as its records say, with (for a single proposal) a live preview computed now.</summary>
/// <param name="Id">Stable id: <c>p-{target}-{seq of the proposal.opened event}</c> ('/' in the target written '~').</param>
/// <param name="Source">The branch to merge.</param>
/// <param name="Target">The branch to merge into (the proposal's events are written there).</param>
/// <param name="Title">Its title.</param>
/// <param name="Description">Its description.</param>
/// <param name="Author">Who opened it.</param>
/// <param name="OpenedAt">When.</param>
/// <param name="OpenedSeq">The seq of the <c>proposal.opened</c> event on the target.</param>
/// <param name="State"><c>open</c>, <c>merged</c> or <c>closed</c>.</param>
/// <param name="Review"><c>none</c>, <c>approved</c> or <c>changes-requested</c> (each reviewer's latest verdict counts).</param>
/// <param name="ApprovedSourceSeq">The source head the latest approval covers, when approved.</param>
/// <param name="Reviews">Every review, oldest first.</param>
/// <param name="MergeId">The merge it led to (<c>target@seq</c>), once merged.</param>
/// <param name="MergedBy">Who merged it.</param>
/// <param name="MergedAt">When.</param>
/// <param name="ClosedBy">Who closed it without merging.</param>
/// <param name="ClosedAt">When.</param>
/// <param name="UpdatedAt">Its last recorded change.</param>
/// <param name="TargetProtected">Whether the target is protected (then only an approval covering the source's content lets an owner merge).</param>
/// <param name="Blockers">Why it cannot be merged now (empty when it can; only for a single proposal).</param>
/// <param name="Preview">The merge preview computed now (only for a single open proposal).</param>
/// <param name="Summary">Ahead/behind and conflict counts from the preview (only with it).</param>
public sealed record ProposalView(
    string Id,
    string Source,
    string Target,
    string Title,
    string Description,
    string Author,
    DateTimeOffset OpenedAt,
    long OpenedSeq,
    string State,
    string Review,
    long? ApprovedSourceSeq,
    IReadOnlyList<ReviewView> Reviews,
    string? MergeId,
    string? MergedBy,
    DateTimeOffset? MergedAt,
    string? ClosedBy,
    DateTimeOffset? ClosedAt,
    DateTimeOffset UpdatedAt,
    bool TargetProtected,
    IReadOnlyList<string>? Blockers,
    MergeResult? Preview,
    ProposalSummary? Summary);

/// <summary>
/// Merge proposals: the review workflow on top of <see cref="MergeService"/>. Every state change is a record-only
/// <c>proposal</c> event on the target branch (in its hash chain); the state is the projection
/// <see cref="DocumentRecords"/> rebuilds from those records.
/// </summary>
/// <remarks>
/// Rules: editors and owners open proposals and review them, but nobody reviews their own proposal; owners merge (or
/// editors, when the document lets editors merge and the target is not protected); the author or an owner closes.
/// Into a protected target only an approved proposal is merged, and only while the approval covers the source's
/// content (a source edited after the approval needs a new one); the merge takes the source at the head just checked.
/// </remarks>
public sealed class ProposalService(IEventStore store, DocumentCatalog catalog, SessionManager sessions, MergeService merges, DocumentRecords records, ResolutionService resolutions)
{
    /// <summary>The verdict that approves.</summary>
    public const string Approve = "approve";

    /// <summary>The verdict that asks for changes.</summary>
    public const string RequestChanges = "request-changes";

    private const int MaxTitle = 200;
    private const int MaxText = 4000;

    /// <summary>The id of the proposal opened by event <paramref name="seq"/> on <paramref name="target"/>.</summary>
    public static string IdOf(string target, long seq) => $"p-{target.Replace('/', '~')}-{seq.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Opens a proposal to merge <c>source</c> into <c>target</c> (editors and owners).</summary>
    public async Task<ProposalView> OpenAsync(string documentId, OpenProposalRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog.Authorize(documentId, user, DocumentRoles.CanWrite, "open proposals on");
        if (string.IsNullOrWhiteSpace(request.Source) || string.IsNullOrWhiteSpace(request.Target)) throw new CollabException(CollabErrorCode.Invalid, "A proposal needs a 'source' and a 'target' branch.");
        var title = request.Title?.Trim() ?? "";
        if (title.Length is 0 or > MaxTitle) throw new CollabException(CollabErrorCode.Invalid, $"A proposal needs a title of 1–{MaxTitle} characters.");
        var description = request.Description ?? "";
        if (description.Length > MaxText) throw new CollabException(CollabErrorCode.Invalid, $"A description must be at most {MaxText} characters.");
        var source = DocumentCatalog.ParseBranch(documentId, request.Source);
        var target = DocumentCatalog.ParseBranch(documentId, request.Target);
        if (source == target) throw new CollabException(CollabErrorCode.Invalid, "A proposal needs two different branches.");
        var sourceInfo = await BranchAsync(source, cancellationToken).ConfigureAwait(false);
        await BranchAsync(target, cancellationToken).ConfigureAwait(false);

        var id = await records.ChangeAsync(target.Document, async state =>
        {
            var duplicate = state.Proposals.Values.FirstOrDefault(p => p.State == "open" && p.Source == source.Branch.Value && p.Target == target.Branch.Value);
            if (duplicate is not null) throw new CollabException(CollabErrorCode.Conflict, $"Proposal {duplicate.Id} already proposes to merge '{duplicate.Source}' into '{duplicate.Target}'.");
            var fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["source"] = source.Branch.Value,
                ["target"] = target.Branch.Value,
                ["title"] = title,
                ["description"] = description,
                ["sourceSeq"] = sourceInfo.Head.Value.ToString(CultureInfo.InvariantCulture),
            };
            var seq = await DocumentRecords.WriteAsync(sessions, target, PolicyRecords.ProposalKind, PolicyRecords.ProposalOpened, fields, user, cancellationToken).ConfigureAwait(false);
            return IdOf(target.Branch.Value, seq);
        }, cancellationToken).ConfigureAwait(false);
        return await GetAsync(documentId, id, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The document's proposals in the given state (<c>open</c>, <c>merged</c>, <c>closed</c> or <c>all</c>), newest first (any role).</summary>
    public async Task<IReadOnlyList<ProposalView>> ListAsync(string documentId, string? state, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        var wanted = (state ?? "open").Trim().ToLowerInvariant();
        if (wanted is not ("open" or "merged" or "closed" or "all")) throw new CollabException(CollabErrorCode.Invalid, $"Unknown proposal state '{state}': use open, merged, closed or all.");
        return await records.ReadAsync(new DocumentId(documentId), s => s.Proposals.Values
            .Where(p => wanted == "all" || p.State == wanted)
            .OrderByDescending(p => p.OpenedAt).ThenBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => View(p, s.Protected.ContainsKey(p.Target), null, null, null))
            .ToList(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One proposal with, while it is open, a live preview of its merge computed now (any role).</summary>
    public async Task<ProposalView> GetAsync(string documentId, string proposalId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        var view = await records.ReadAsync(new DocumentId(documentId), s =>
        {
            var proposal = Find(s, documentId, proposalId);
            return View(proposal, s.Protected.ContainsKey(proposal.Target), null, null, null);
        }, cancellationToken).ConfigureAwait(false);
        if (view.State != "open") return view with { Blockers = [$"The proposal is {view.State}."] };

        var preview = await merges.MergeAsync(documentId, new MergeRequest(view.Source, view.Target, DryRun: true, null, null), user, cancellationToken).ConfigureAwait(false);
        var source = await BranchAsync(DocumentCatalog.ParseBranch(documentId, view.Source), cancellationToken).ConfigureAwait(false);
        var target = await BranchAsync(DocumentCatalog.ParseBranch(documentId, view.Target), cancellationToken).ConfigureAwait(false);
        var summary = new ProposalSummary(
            preview.Source.Seq,
            preview.Target.Seq,
            await SinceBaseAsync(source, preview.Base, cancellationToken).ConfigureAwait(false),
            await SinceBaseAsync(target, preview.Base, cancellationToken).ConfigureAwait(false),
            preview.Conflicts.Count,
            preview.NothingToMerge);
        var blockers = await BlockersAsync(view, source, cancellationToken).ConfigureAwait(false);
        return view with { Preview = preview, Summary = summary, Blockers = blockers };
    }

    /// <summary>Records a review (editors and owners other than the proposal's author) of an open proposal.</summary>
    public async Task<ProposalView> ReviewAsync(string documentId, string proposalId, ReviewRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog.Authorize(documentId, user, DocumentRoles.CanWrite, "review proposals on");
        var verdict = request.Verdict?.Trim().ToLowerInvariant();
        var type = verdict switch
        {
            Approve => PolicyRecords.ProposalApproved,
            RequestChanges => PolicyRecords.ProposalChangesRequested,
            _ => throw new CollabException(CollabErrorCode.Invalid, $"Unknown verdict '{request.Verdict}': use approve or request-changes."),
        };
        if (request.Comment is { Length: > MaxText }) throw new CollabException(CollabErrorCode.Invalid, $"A comment must be at most {MaxText} characters.");
        await records.ChangeAsync(new DocumentId(documentId), async state =>
        {
            var proposal = Open(Find(state, documentId, proposalId));
            if (proposal.Author == user) throw CollabException.Forbidden($"You opened proposal {proposal.Id}: someone else must review it.");
            var source = await BranchAsync(DocumentCatalog.ParseBranch(documentId, proposal.Source), cancellationToken).ConfigureAwait(false);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["proposal"] = proposal.Id,
                ["sourceSeq"] = source.Head.Value.ToString(CultureInfo.InvariantCulture),
                ["sourceHash"] = source.HeadHash.ToString(),
            };
            if (!string.IsNullOrEmpty(request.Comment)) fields["comment"] = request.Comment;
            return await DocumentRecords.WriteAsync(sessions, DocumentCatalog.ParseBranch(documentId, proposal.Target), PolicyRecords.ProposalKind, type, fields, user, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return await GetAsync(documentId, proposalId, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Merges an open proposal through <see cref="MergeService"/> and records the merge id (owners; editors too when the
    /// document lets them and the target is not protected). Into a protected target only an approved proposal.
    /// </summary>
    public async Task<ProposalView> MergeAsync(string documentId, string proposalId, MergeProposalRequest request, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var role = catalog.Authorize(documentId, user, DocumentRoles.CanWrite, "merge proposals on");
        if (request.Resolutions is { Count: > 0 } asked)
        {
            catalog.Authorize(documentId, user, DocumentRoles.CanMerge, "decide conflicts of");
            ResolutionService.Validate(asked); // a bad choice is refused before anything is written
        }
        string? writtenMerge = null;
        await records.ChangeAsync(new DocumentId(documentId), async state =>
        {
            var proposal = Open(Find(state, documentId, proposalId));
            var targetProtected = state.Protected.ContainsKey(proposal.Target);
            if (!role.CanMerge())
            {
                if (targetProtected) throw CollabException.Forbidden($"Branch '{proposal.Target}' is protected: only an owner merges proposals into it.");
                if (!state.EditorsMayMerge) throw CollabException.Forbidden($"Your role (editor) may not merge proposals of document '{documentId}' (an owner can allow it: PUT /api/documents/{documentId}/settings {{\"editorsMayMerge\": true}}).");
            }
            var source = await BranchAsync(DocumentCatalog.ParseBranch(documentId, proposal.Source), cancellationToken).ConfigureAwait(false);
            if (targetProtected && await ApprovalBlockerAsync(proposal, source, cancellationToken).ConfigureAwait(false) is { } blocker)
            {
                throw new CollabException(CollabErrorCode.BranchProtected, $"Branch '{proposal.Target}' is protected: {blocker}");
            }
            var message = string.IsNullOrWhiteSpace(request.Message) ? $"{proposal.Id}: {proposal.Title}" : request.Message;
            var result = await merges.MergeForProposalAsync(documentId, new MergeRequest(proposal.Source, proposal.Target, DryRun: false, message, null, request.Resolutions), user, proposal.Id, source.Head.Value, cancellationToken).ConfigureAwait(false);
            writtenMerge = result.MergeId;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["proposal"] = proposal.Id,
                ["sourceSeq"] = result.Source.Seq.ToString(CultureInfo.InvariantCulture),
                ["sourceHash"] = result.Source.Hash,
                ["conflicts"] = result.Conflicts.Count.ToString(CultureInfo.InvariantCulture),
            };
            if (result.MergeId is { } mergeId) fields["mergeId"] = mergeId;
            else fields["nothingToMerge"] = "true";
            return await DocumentRecords.WriteAsync(sessions, DocumentCatalog.ParseBranch(documentId, proposal.Target), PolicyRecords.ProposalKind, PolicyRecords.ProposalMerged, fields, user, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        if (writtenMerge is not null && request.Resolutions is { Count: > 0 } decisions)
        {
            await resolutions.ResolveAsync(documentId, writtenMerge, new ResolveRequest(decisions, request.Message), user, cancellationToken).ConfigureAwait(false);
        }
        return await GetAsync(documentId, proposalId, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes an open proposal without merging it (its author or an owner); recorded.</summary>
    public async Task<ProposalView> CloseAsync(string documentId, string proposalId, CloseProposalRequest? request, string user, CancellationToken cancellationToken)
    {
        var role = catalog.Authorize(documentId, user, DocumentRoles.CanRead, "close proposals on");
        if (request?.Comment is { Length: > MaxText }) throw new CollabException(CollabErrorCode.Invalid, $"A comment must be at most {MaxText} characters.");
        await records.ChangeAsync(new DocumentId(documentId), async state =>
        {
            var proposal = Open(Find(state, documentId, proposalId));
            if (proposal.Author != user && role != DocumentRole.Owner) throw CollabException.Forbidden($"Only the author of proposal {proposal.Id} ({proposal.Author}) or an owner may close it.");
            var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["proposal"] = proposal.Id };
            if (!string.IsNullOrEmpty(request?.Comment)) fields["comment"] = request.Comment;
            return await DocumentRecords.WriteAsync(sessions, DocumentCatalog.ParseBranch(documentId, proposal.Target), PolicyRecords.ProposalKind, PolicyRecords.ProposalClosed, fields, user, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return await GetAsync(documentId, proposalId, user, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<string>> BlockersAsync(ProposalView view, BranchInfo source, CancellationToken cancellationToken)
    {
        if (!view.TargetProtected) return [];
        var state = await records.ReadAsync(source.Ref.Document, s => s.Proposals.GetValueOrDefault(view.Id), cancellationToken).ConfigureAwait(false);
        if (state is null) return [];
        return await ApprovalBlockerAsync(state, source, cancellationToken).ConfigureAwait(false) is { } blocker ? [blocker] : [];
    }

    /// <summary>Why the proposal's approval does not allow merging into a protected target now, or null when it does.</summary>
    private async Task<string?> ApprovalBlockerAsync(ProposalState proposal, BranchInfo source, CancellationToken cancellationToken)
    {
        var (review, approvedSeq) = proposal.ReviewStatus();
        if (review == "changes-requested") return $"changes were requested on proposal {proposal.Id}: merge an approved proposal.";
        if (approvedSeq is not { } seq) return $"proposal {proposal.Id} is not approved: merge an approved proposal.";
        if (seq < source.Head.Value && await ContentChangedAfterAsync(source.Ref, seq, source.Head, cancellationToken).ConfigureAwait(false))
        {
            return $"'{proposal.Source}' changed after the approval (approved at seq {seq}, now {source.Head.Value}): it needs a new approval.";
        }
        return null;
    }

    /// <summary>Whether any event after <paramref name="seq"/> up to <paramref name="head"/> changes content (record-only events do not).</summary>
    private async Task<bool> ContentChangedAfterAsync(BranchRef branch, long seq, EventSeq head, CancellationToken cancellationToken)
    {
        var empty = DomainEvent.EmptyUpdate;
        await foreach (var e in store.ReadAsync(branch, new EventSeq(seq + 1), head, cancellationToken).ConfigureAwait(false))
        {
            if (!e.Payload.Span.SequenceEqual(empty)) return true;
        }
        return false;
    }

    /// <summary>Events of <paramref name="branch"/>'s view after <paramref name="basePosition"/>, when that position is in its history.</summary>
    private async Task<long?> SinceBaseAsync(BranchInfo branch, PositionView basePosition, CancellationToken cancellationToken)
    {
        var current = branch;
        var limit = branch.Head.Value;
        for (var depth = 0; depth < 1000; depth++)
        {
            if (current.Ref.Branch.Value == basePosition.Branch) return basePosition.Seq <= limit ? branch.Head.Value - basePosition.Seq : null;
            if (current.Parent is not { } parent) return null;
            limit = Math.Min(limit, current.ForkSeq.Value);
            current = await BranchAsync(parent, cancellationToken).ConfigureAwait(false);
        }
        return null;
    }

    private static ProposalState Find(DocumentRecords.DocumentState state, string documentId, string proposalId) =>
        state.Proposals.GetValueOrDefault(proposalId ?? "") ?? throw CollabException.NotFound($"There is no proposal '{proposalId}' in document '{documentId}'.");

    private static ProposalState Open(ProposalState proposal) =>
        proposal.State == "open" ? proposal : throw new CollabException(CollabErrorCode.Conflict, $"Proposal {proposal.Id} is {proposal.State}.");

    private async Task<BranchInfo> BranchAsync(BranchRef branch, CancellationToken cancellationToken) =>
        await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
        ?? throw CollabException.NotFound($"Branch '{branch.Branch}' of document '{branch.Document}' does not exist.");

    private static ProposalView View(ProposalState p, bool targetProtected, IReadOnlyList<string>? blockers, MergeResult? preview, ProposalSummary? summary)
    {
        var (review, approvedSeq) = p.ReviewStatus();
        return new ProposalView(
            p.Id, p.Source, p.Target, p.Title, p.Description, p.Author, p.OpenedAt, p.OpenedSeq, p.State, review, approvedSeq,
            p.Reviews.ToList(), p.MergeId, p.MergedBy, p.MergedAt, p.ClosedBy, p.ClosedAt, p.UpdatedAt, targetProtected, blockers, preview, summary);
    }
}
