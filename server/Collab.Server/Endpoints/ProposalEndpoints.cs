using Collab.Documents;
using Collab.Documents.Branching;
using Collab.Server.Hubs;

namespace Collab.Server.Endpoints;

/// <summary>Body of <c>PUT /api/documents/{id}/settings</c>.</summary>
public sealed record SettingsRequest(bool? EditorsMayMerge);

/// <summary>The REST surface for merge proposals, protected branches and document settings (docs/branching.md).</summary>
internal static class ProposalEndpoints
{
    private const string ProtectionSuffix = "/protection";

    public static RouteGroupBuilder MapProposalEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(DocumentEndpoints.RateLimitPolicy).WithTags("Proposals and protected branches");

        api.MapPost("/{id}/proposals", async (string id, OpenProposalRequest request, ProposalService proposals, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var opened = await proposals.OpenAsync(id, request, user, ct);
                await notifier.ProposalChangedAsync(id, opened, "opened", user);
                return Results.Created($"/api/documents/{id}/proposals/{opened.Id}", opened);
            })
            .WithSummary("Open a proposal to merge source into target: {source, target, title, description} (editor, owner).")
            .Produces<ProposalView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id}/proposals", (string id, string? state, ProposalService proposals, HttpContext http, CancellationToken ct) =>
                proposals.ListAsync(id, state, HubUser.NameOf(http.User), ct))
            .WithSummary("The document's proposals: ?state=open (default), merged, closed or all; newest first (any role).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/proposals/{pid}", (string id, string pid, ProposalService proposals, HttpContext http, CancellationToken ct) =>
                proposals.GetAsync(id, pid, HubUser.NameOf(http.User), ct))
            .WithSummary("One proposal with its reviews and, while open, a live merge preview computed now (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/proposals/{pid}/reviews", async (string id, string pid, ReviewRequest request, ProposalService proposals, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var reviewed = await proposals.ReviewAsync(id, pid, request, user, ct);
                await notifier.ProposalChangedAsync(id, reviewed, request.Verdict == ProposalService.Approve ? "approved" : "changes-requested", user);
                return Results.Ok(reviewed);
            })
            .WithSummary("Review an open proposal: {verdict: approve | request-changes, comment?} (editor, owner; not its author).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/{id}/proposals/{pid}/merge", async (string id, string pid, MergeProposalRequest? request, ProposalService proposals, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var merged = await proposals.MergeAsync(id, pid, request ?? new MergeProposalRequest(null, null), user, ct);
                await notifier.ProposalChangedAsync(id, merged, "merged", user);
                return Results.Ok(merged);
            })
            .WithSummary("Merge an open proposal: {message?} (owner; editors too when editorsMayMerge and the target is unprotected). A protected target needs an approval.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/{id}/proposals/{pid}/close", async (string id, string pid, CloseProposalRequest? request, ProposalService proposals, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var closed = await proposals.CloseAsync(id, pid, request, user, ct);
                await notifier.ProposalChangedAsync(id, closed, "closed", user);
                return Results.Ok(closed);
            })
            .WithSummary("Close an open proposal without merging: {comment?} (its author or an owner).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        // Branch names may contain '/', so the branch and the "/protection" suffix share one catch-all segment.
        api.MapPut("/{id}/branches/{**branchProtection}", async (string id, string branchProtection, ProtectionService protection, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var branch = ProtectedBranch(branchProtection);
                var view = await protection.ProtectAsync(id, branch, user, ct);
                await notifier.ProtectionChangedAsync(id, branch, true, user);
                return Results.Ok(view);
            })
            .WithSummary("Protect a branch: PUT /api/documents/{id}/branches/{branch}/protection (owner). Client edits and direct merges are then refused.")
            .Produces<ProtectionView>()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/{id}/branches/{**branchProtection}", async (string id, string branchProtection, ProtectionService protection, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var branch = ProtectedBranch(branchProtection);
                var lifted = await protection.UnprotectAsync(id, branch, user, ct);
                if (lifted) await notifier.ProtectionChangedAsync(id, branch, false, user);
                return Results.NoContent();
            })
            .WithSummary("Lift a branch's protection: DELETE /api/documents/{id}/branches/{branch}/protection (owner).")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/protected-branches", (string id, ProtectionService protection, HttpContext http, CancellationToken ct) =>
                protection.ListAsync(id, HubUser.NameOf(http.User), ct))
            .WithSummary("The document's protected branches: who protected each and in which event (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/settings", (string id, SettingsService settings, HttpContext http, CancellationToken ct) =>
                settings.GetAsync(id, HubUser.NameOf(http.User), ct))
            .WithSummary("The document's settings: {editorsMayMerge} (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/{id}/settings", (string id, SettingsRequest request, SettingsService settings, HttpContext http, CancellationToken ct) =>
                settings.SetAsync(id, request.EditorsMayMerge, HubUser.NameOf(http.User), ct))
            .WithSummary("Change the document's settings: {editorsMayMerge: bool} lets editors merge into unprotected branches (owner). Recorded on main.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    private static string ProtectedBranch(string path) =>
        path.EndsWith(ProtectionSuffix, StringComparison.Ordinal) && path.Length > ProtectionSuffix.Length
            ? path[..^ProtectionSuffix.Length]
            : throw new CollabException(CollabErrorCode.NotFound, $"There is nothing at branches/{path}: protection is at /api/documents/{{id}}/branches/{{branch}}/protection.");
}
