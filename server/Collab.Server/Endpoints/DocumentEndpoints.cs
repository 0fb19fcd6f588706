using Collab.Documents;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.Server.Hubs;
using Microsoft.AspNetCore.SignalR;

namespace Collab.Server.Endpoints;

/// <summary>Body of <c>POST /api/documents</c>.</summary>
public sealed record CreateDocumentRequest(string? Id, string? Title);

/// <summary>Body of <c>PUT /api/documents/{id}/permissions/{user}</c>.</summary>
public sealed record GrantRequest(string? Role);

/// <summary>A new title for a document.</summary>
public sealed record RetitleRequest(string? Title);

/// <summary>A user's role on a document, with the role by name ("owner", "editor", "viewer", "auditor") as everywhere else.</summary>
public sealed record PermissionView(string DocumentId, string User, string Role)
{
    internal static PermissionView Of(DocumentGrant grant) => new(grant.DocumentId, grant.User, grant.Role.ToWire());
}

/// <summary>A branch's content at its durable head, as one Yjs v1 update (base64 in JSON).</summary>
public sealed record ContentResponse(string Branch, long HeadSeq, byte[] Update);

/// <summary>The REST surface for documents, branches, history and permissions.</summary>
internal static class DocumentEndpoints
{
    public const string RateLimitPolicy = "per-user";

    public static RouteGroupBuilder MapDocumentEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(RateLimitPolicy).WithTags("Documents");

        api.MapPost("/", async (CreateDocumentRequest request, DocumentCatalog catalog, HttpContext http, CancellationToken ct) =>
            {
                var created = await catalog.CreateAsync(request.Id, request.Title, HubUser.NameOf(http.User), ct);
                return Results.Created($"/api/documents/{created.Id}", created);
            })
            .WithSummary("Create a document with its main branch; the caller becomes owner.")
            .Produces<DocumentView>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/", (DocumentCatalog catalog, HttpContext http) => catalog.List(HubUser.NameOf(http.User)))
            .WithSummary("Documents on which the caller has a role.");

        api.MapGet("/{id}", (string id, DocumentCatalog catalog, HttpContext http) => catalog.Get(id, HubUser.NameOf(http.User)))
            .WithSummary("One document (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/branches", (string id, DocumentCatalog catalog, HttpContext http, CancellationToken ct) => catalog.BranchesAsync(id, HubUser.NameOf(http.User), ct))
            .WithSummary("The document's branches (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/content", async (string id, string? branch, DocumentCatalog catalog, SessionManager sessions, HttpContext http, CancellationToken ct) =>
            {
                branch ??= "main";
                catalog.Authorize(id, HubUser.NameOf(http.User), DocumentRoles.CanRead, "read");
                var (head, update) = await sessions.ReadContentAsync(DocumentCatalog.ParseBranch(id, branch), ct);
                return new ContentResponse(branch, head, update);
            })
            .WithSummary("A branch's whole content as one Yjs update (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/events", (string id, string? branch, long? from, int? max, DocumentCatalog catalog, HttpContext http, CancellationToken ct) =>
                catalog.EventsAsync(id, branch ?? "main", from ?? 1, max ?? 100, HubUser.NameOf(http.User), ct))
            .WithSummary("A page of a branch's event log (owner, auditor).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/verify", async (string id, string? branch, bool? all, DocumentCatalog catalog, Collab.Documents.Proofs.ProofService proofs, HttpContext http, CancellationToken ct) =>
                all == true
                    ? Results.Ok(await proofs.VerifyAllAsync(id, HubUser.NameOf(http.User), ct))
                    : Results.Ok(await catalog.VerifyAsync(id, branch ?? "main", HubUser.NameOf(http.User), ct)))
            .WithSummary("Re-hash a branch's event chain, or with ?all=true every branch's, and name the first broken link (owner, auditor).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/permissions", (string id, DocumentCatalog catalog, HttpContext http) => catalog.Grants(id, HubUser.NameOf(http.User)).Select(PermissionView.Of).ToList())
            .WithSummary("Every role granted on the document (owner).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/{id}/permissions/{user}", async (string id, string user, GrantRequest request, DocumentCatalog catalog, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                var granted = PermissionView.Of(await catalog.GrantAsync(id, HubUser.NameOf(http.User), user, request.Role, ct));
                // The user's open editors learn the new role at once (a viewer upgraded to editor can type).
                await notifier.RoleChangedAsync(id, granted.User, granted.Role, HubUser.NameOf(http.User));
                return granted;
            })
            .WithSummary("Give a user a role: owner, editor, viewer or auditor (owner).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/{id}/permissions/{user}", async (string id, string user, DocumentCatalog catalog, HubMembership membership, Protocols.SocketRegistry sockets, BranchNotifier notifier, HttpContext http, CancellationToken ct) =>
            {
                if (!await catalog.RevokeAsync(id, HubUser.NameOf(http.User), user, ct)) return Results.NotFound();
                await notifier.RoleChangedAsync(id, user, null, HubUser.NameOf(http.User));
                // A revoked user stops receiving the document's messages at once, not at its next reconnect (or frame).
                await membership.RevokeAsync(user, new Collab.EventStore.DocumentId(id));
                sockets.Revoke(user, new Collab.EventStore.DocumentId(id));
                return Results.NoContent();
            })
            .WithSummary("Remove a user's role (owner). The last owner cannot be removed.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPatch("/{id}", (string id, RetitleRequest request, DocumentCatalog catalog, HttpContext http, CancellationToken ct) =>
                catalog.RetitleAsync(id, request.Title, HubUser.NameOf(http.User), ct))
            .WithSummary("Change the document's title (owner); recorded in the log as document.retitled.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }
}
