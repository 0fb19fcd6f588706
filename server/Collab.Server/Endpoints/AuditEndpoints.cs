using Collab.Documents.Branching;
using Collab.Server.Hubs;

namespace Collab.Server.Endpoints;

/// <summary>The audit trail over REST (docs/branching.md).</summary>
internal static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(DocumentEndpoints.RateLimitPolicy).WithTags("Audit trail");

        api.MapGet("/{id}/audit", (string id, string? after, int? limit, AuditService audit, HttpContext http, CancellationToken ct) =>
                audit.ReadAsync(id, after, limit, HubUser.NameOf(http.User), ct))
            .WithSummary("Every fork, merge (with its conflicts), resolution, revert, proposal, protection and settings event in order, with who, when, branch, seq and hash; ?after=<next>&limit=1..1000 (owner, auditor).")
            .Produces<AuditPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
