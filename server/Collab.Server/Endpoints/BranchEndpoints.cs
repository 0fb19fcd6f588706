using Collab.Documents.Branching;
using Collab.Server.Hubs;

namespace Collab.Server.Endpoints;

/// <summary>Where a fork starts: a branch and either a seq or a time (the last event at or before it); its head when neither.</summary>
public sealed record ForkFrom(string? Branch, long? Seq, DateTimeOffset? At);

/// <summary>Body of <c>POST /api/documents/{id}/branches</c>.</summary>
public sealed record ForkRequest(string? Name, ForkFrom? From);

/// <summary>The REST surface for forks and merges (docs/branching.md).</summary>
internal static class BranchEndpoints
{
    public static RouteGroupBuilder MapBranchEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(DocumentEndpoints.RateLimitPolicy).WithTags("Branches and merges");

        api.MapPost("/{id}/branches", async (string id, ForkRequest request, BranchService branches, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var created = await branches.ForkAsync(id, request.Name ?? "", request.From?.Branch ?? "main", request.From?.Seq, request.From?.At, user, ct);
                await notifier.BranchCreatedAsync(id, created, user);
                return Results.Created($"/api/documents/{id}/branches/{created.Name}", created);
            })
            .WithSummary("Fork a branch from any position of any branch: {name, from: {branch, seq} | {branch, at}} (editor, owner). O(1).")
            .Produces<BranchDetails>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id}/branches/{**branch}", (string id, string branch, BranchService branches, HttpContext http, CancellationToken ct) =>
                branches.GetAsync(id, branch, HubUser.NameOf(http.User), ct))
            .WithSummary("One branch: parent, fork point, head, state, ahead/behind its parent (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/merges", async (string id, MergeRequest request, ResolutionService resolutions, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var (result, resolution) = await resolutions.MergeWithDecisionsAsync(id, request, user, ct);
                if (result.MergeId is null) return Results.Ok(result);
                await notifier.MergedAsync(id, result, user);
                if (resolution is not null) await notifier.ResolvedAsync(id, resolution, user);
                return Results.Created($"/api/documents/{id}/merges/{result.MergeId}", result with { Resolution = resolution });
            })
            .WithSummary("Preview (dryRun: any role) or perform (owner) a merge of source into target: {source, target, dryRun, message?, strictness?, resolutions?: [{conflictId, choice, content?}]}.")
            .Produces<MergeResult>(StatusCodes.Status200OK).Produces<MergeResult>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/merges", (string id, MergeService merges, HttpContext http, CancellationToken ct) => merges.ListAsync(id, HubUser.NameOf(http.User), ct))
            .WithSummary("Every merge of the document with its conflicts and decisions (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/merges/{**mergeId}", (string id, string mergeId, MergeService merges, HttpContext http, CancellationToken ct) =>
                merges.GetAsync(id, mergeId, HubUser.NameOf(http.User), ct))
            .WithSummary("One merge record (id: target@seq) with its conflicts and decisions (any role).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
