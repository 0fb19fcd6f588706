using Collab.Documents.Branching;
using Collab.Server.Hubs;

namespace Collab.Server.Endpoints;

/// <summary>The REST surface for decisions on merge conflicts and for reverts (docs/branching.md, "Deciding conflicts and reverting").</summary>
internal static class DecisionEndpoints
{
    public static RouteGroupBuilder MapDecisionEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(DocumentEndpoints.RateLimitPolicy).WithTags("Decisions and reverts");

        api.MapPost("/{id}/merges/{mergeId}/resolutions", async (string id, string mergeId, ResolveRequest request, ResolutionService resolutions, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var result = await resolutions.ResolveAsync(id, MergeId(mergeId), request, user, ct);
                await notifier.ResolvedAsync(id, result, user);
                return Results.Created($"/api/documents/{id}/merges/{Uri.EscapeDataString(result.MergeId)}", result);
            })
            .WithSummary("Decide conflicts of a merge (owner): {decisions: [{conflictId, choice: merged|ours|theirs|custom, content?}], message?}. One resolution event.")
            .Produces<ResolutionResult>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id}/merges/{mergeId}/conflicts", (string id, string mergeId, ResolutionService resolutions, HttpContext http, CancellationToken ct) =>
                resolutions.ListMergeConflictsAsync(id, MergeId(mergeId), HubUser.NameOf(http.User), ct))
            .WithSummary("The conflicts of one merge with their state (open, decided) and decision (any role).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/conflicts", (string id, string? state, ResolutionService resolutions, HttpContext http, CancellationToken ct) =>
                resolutions.ListConflictsAsync(id, state, HubUser.NameOf(http.User), ct))
            .WithSummary("The conflicts of every merge of the document: ?state=open (default), decided or all (any role).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/reverts", async (string id, RevertRequest request, RevertService reverts, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var result = await reverts.RevertAsync(id, request, user, ct);
                if (result.RevertId is null) return Results.Ok(result);
                await notifier.RevertedAsync(id, result, user);
                return Results.Created($"/api/documents/{id}/reverts", result);
            })
            .WithSummary("Undo a merge or the events (fromSeq..toSeq] of a branch (owner): {branch, merge?, fromSeq?, toSeq?, message?}. One revert event; 200 with nothingToRevert when there is nothing to undo.")
            .Produces<RevertResult>(StatusCodes.Status200OK).Produces<RevertResult>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id}/reverts", (string id, string? branch, RevertService reverts, HttpContext http, CancellationToken ct) =>
                reverts.ListAsync(id, branch, HubUser.NameOf(http.User), ct))
            .WithSummary("Every revert of the document (or of ?branch=), oldest first (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    /// <summary>A merge id from one path segment: a branch name's '/' travels there as %2F, which routing leaves encoded.</summary>
    private static string MergeId(string segment) => Uri.UnescapeDataString(segment);
}
