using Collab.Documents.Proofs;
using Collab.Server.Hubs;

namespace Collab.Server.Endpoints;

/// <summary>
/// Merkle digests and proofs over a branch's view (docs/verification.md). Under <c>/{id}/proofs/…?branch=</c> rather
/// than <c>/{id}/branches/{branch}/…</c>, because branch names contain slashes and the branch route is a catch-all.
/// </summary>
internal static class ProofEndpoints
{
    public static RouteGroupBuilder MapProofEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(DocumentEndpoints.RateLimitPolicy).WithTags("Proofs");

        api.MapGet("/{id}/proofs/digest", (string id, string? branch, long? seq, ProofService proofs, HttpContext http, CancellationToken ct) =>
                proofs.DigestAsync(id, branch, seq, HubUser.NameOf(http.User), ct))
            .WithSummary("The Merkle digest of a branch (default main) at ?seq= (default head): tree size, chain hash, root hash (owner, auditor).")
            .Produces<DigestView>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/proofs/inclusion", (string id, string? branch, long? seq, long? treeSize, ProofService proofs, HttpContext http, CancellationToken ct) =>
                proofs.InclusionAsync(id, branch, seq, treeSize, HubUser.NameOf(http.User), ct))
            .WithSummary("Proof that the event at ?seq= is in the branch's tree of ?treeSize= leaves (default head), O(log n) hashes (owner, auditor).")
            .Produces<InclusionProofView>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/proofs/consistency", (string id, string? branch, long? from, long? to, ProofService proofs, HttpContext http, CancellationToken ct) =>
                proofs.ConsistencyAsync(id, branch, from, to, HubUser.NameOf(http.User), ct))
            .WithSummary("Proof that the branch's tree of ?to= leaves (default head) extends its tree of ?from= leaves, O(log n) hashes (owner, auditor).")
            .Produces<ConsistencyProofView>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/export", async (string id, DocumentTransfer transfer, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                // Authorize before the first byte, so that a refusal is still a problem response.
                Catalog(http).Authorize(id, user, Collab.Documents.Access.DocumentRoles.CanReadHistory, "export");
                http.Response.ContentType = "application/x-ndjson";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"{id}.collab.ndjson\"";
                await transfer.ExportAsync(id, user, http.Response.Body, ct);
            })
            .WithSummary("The document's whole log (every branch, every record in the chain) as one newline-delimited JSON file (owner, auditor).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/import", async (DocumentTransfer transfer, HttpContext http, CancellationToken ct) =>
            {
                // An export of a long log is larger than Kestrel's default 30 MB body limit.
                if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBytes;
                var result = await transfer.ImportAsync(http.Request.Body, HubUser.NameOf(http.User), ct);
                return Results.Created($"/api/documents/{result.DocumentId}", result);
            })
            .WithSummary("Import an export file: every hash is verified before anything is written; a tampered file is refused naming the event. The caller becomes owner.")
            .Produces<ImportResult>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }

    /// <summary>The largest import body (bytes).</summary>
    public const long MaxImportBytes = 2L << 30;

    private static Collab.Documents.Access.DocumentCatalog Catalog(HttpContext http) => http.RequestServices.GetRequiredService<Collab.Documents.Access.DocumentCatalog>();
}
