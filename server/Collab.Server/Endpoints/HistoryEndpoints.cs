using System.Globalization;
using Collab.Documents;
using Collab.Documents.History;
using Collab.Server.Hubs;

namespace Collab.Server.Endpoints;

/// <summary>
/// The REST surface for history (docs/history-and-audit.md): any version, diffs, blame, activity, the filtered event
/// log, named versions and restore. History routes live under <c>/api/documents/{id}/history/…</c> with the branch in
/// the query (<c>?branch=</c>) because branch names may contain '/', which <c>/branches/{**branch}</c> already takes
/// whole.
/// </summary>
internal static class HistoryEndpoints
{
    /// <summary>The media type of a Yjs v1 update.</summary>
    public const string UpdateMediaType = "application/octet-stream";

    public static RouteGroupBuilder MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/documents").RequireAuthorization().RequireRateLimiting(DocumentEndpoints.RateLimitPolicy).WithTags("History");

        api.MapGet("/{id}/history/content", async (string id, string? branch, long? seq, DateTimeOffset? at, string? version, string? format, string? root, ContentService content, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var query = new PositionQuery(branch, seq, at, version);
                switch (format)
                {
                    case null or "json":
                        return Results.Ok(await content.GetAsync(id, query, user, ct));
                    case "update":
                        {
                            var (position, update) = await content.GetUpdateAsync(id, query, user, ct);
                            Describe(http, position);
                            return Results.Bytes(update, UpdateMediaType);
                        }
                    case "text":
                        {
                            var (position, text) = await content.GetTextAsync(id, query, root, user, ct);
                            Describe(http, position);
                            return Results.Text(text, "text/plain; charset=utf-8");
                        }
                    default:
                        throw new CollabException(CollabErrorCode.Invalid, $"Unknown format '{format}': use json, update or text.");
                }
            })
            .WithSummary("A branch at any position (?branch=&seq= | at= | version=): every root rendered (json), the Yjs v1 update (format=update) or one root's text (format=text&root=, default: the only root) (any role).")
            .Produces<VersionContent>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/history/compare", async (string id, string? @base, string? head, string? format, DiffService diffs, HttpContext http, CancellationToken ct) =>
            {
                var user = HubUser.NameOf(http.User);
                var from = PositionQuery.Parse(@base, "base");
                var to = PositionQuery.Parse(head, "head");
                return format switch
                {
                    null or "json" => Results.Ok(await diffs.CompareAsync(id, from, to, user, ct)),
                    "unified" => Results.Text(await diffs.UnifiedAsync(id, from, to, user, ct), "text/plain; charset=utf-8"),
                    _ => throw new CollabException(CollabErrorCode.Invalid, $"Unknown format '{format}': use json or unified."),
                };
            })
            .WithSummary("The exact diff between two positions (base=, head=: branch, branch@seq, branch@time or version:NAME): inserted and deleted items by author and event, as JSON or a unified diff (format=unified) (owner, auditor).")
            .Produces<DiffResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/history/blame", (string id, string? branch, long? seq, DateTimeOffset? at, string? version, string? root, BlameService blame, HttpContext http, CancellationToken ct) =>
                blame.BlameAsync(id, new PositionQuery(branch, seq, at, version), root, HubUser.NameOf(http.User), ct))
            .WithSummary("For each range of each root (or ?root=) at a position, the event, author and time that inserted it (owner, auditor).")
            .Produces<BlameResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/history/activity", (string id, string? branch, long? seq, DateTimeOffset? at, string? version, string? groupGap, ActivityService activity, HttpContext http, CancellationToken ct) =>
                activity.ActivityAsync(id, new PositionQuery(branch, seq, at, version), ParseGap(groupGap), HubUser.NameOf(http.User), ct))
            .WithSummary("Edits grouped into sessions by author and pause (groupGap=, default 5m: 90s, 5m, 2h or seconds), each summarized, with the named versions (owner, auditor).")
            .Produces<ActivityResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/history/events", (string id, string? branch, long? from, int? max, string? author, string? kind, DateTimeOffset? since, DateTimeOffset? until, ActivityService activity, HttpContext http, CancellationToken ct) =>
                activity.EventsAsync(id, new EventFilter(branch, from, max, author, kind, since, until), HubUser.NameOf(http.User), ct))
            .WithSummary("A page of a branch's log filtered by author, kind and time (since, until), each event with its decoded summary; 'next' pages on (owner, auditor).")
            .Produces<EventPage>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/versions", async (string id, CreateVersionRequest request, VersionService versions, HttpContext http, CancellationToken ct) =>
            {
                var created = await versions.CreateAsync(id, request, HubUser.NameOf(http.User), ct);
                return Results.Created($"/api/documents/{id}/versions/{Uri.EscapeDataString(created.Name)}", created);
            })
            .WithSummary("Name a position: {name, branch, seq} (editor, owner); recorded as a 'version' event on that branch.")
            .Produces<VersionView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id}/versions", (string id, VersionService versions, HttpContext http, CancellationToken ct) => versions.ListAsync(id, HubUser.NameOf(http.User), ct))
            .WithSummary("The document's named versions (any role).")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{id}/versions/{name}/restore", (string id, string name, RestoreRequest? request, VersionService versions, HttpContext http, CancellationToken ct) =>
                versions.RestoreAsync(id, name, request ?? new RestoreRequest(null), HubUser.NameOf(http.User), ct))
            .WithSummary("Make a branch ({branch?}, default the version's) equal a version again, as one new 'restore' event (editor, owner).")
            .Produces<RestoreResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        return api;
    }

    private static void Describe(HttpContext http, PositionView position)
    {
        http.Response.Headers["X-Collab-Branch"] = position.Branch;
        http.Response.Headers["X-Collab-Seq"] = position.Seq.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Parses a pause: <c>90s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>, a number of seconds, or <c>hh:mm:ss</c> (<see cref="GroupGap.Parse"/>).</summary>
    internal static TimeSpan? ParseGap(string? text) => GroupGap.Parse(text);
}
