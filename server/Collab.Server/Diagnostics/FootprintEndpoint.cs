using Collab.Documents;
using Collab.Server.Endpoints;
using Collab.Server.Hubs;
using Microsoft.Extensions.Options;

namespace Collab.Server.Diagnostics;

/// <summary>Diagnostics settings, bound from <c>Collab:Diagnostics</c>.</summary>
public sealed class DiagnosticsOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Collab:Diagnostics";

    /// <summary>
    /// Serves <c>GET /api/diagnostics/footprint</c> (the footprint account, counts only: no names, ids or content). Off
    /// by default; when on, only the users in <see cref="Operators"/> may read it.
    /// </summary>
    public bool Footprint { get; set; }

    /// <summary>User names (token subjects) allowed to read the footprint. Empty: nobody.</summary>
    public IList<string> Operators { get; } = [];
}

/// <summary>The footprint account and, when enabled, its operator endpoint.</summary>
internal static class FootprintEndpoint
{
    public static IServiceCollection AddFootprintAccount(this IServiceCollection services)
    {
        services.AddOptions<DiagnosticsOptions>().BindConfiguration(DiagnosticsOptions.Section);
        services.AddSingleton<FootprintAccount>();
        return services;
    }

    public static IEndpointRouteBuilder MapFootprintEndpoint(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<DiagnosticsOptions>>().Value.Footprint) return app;
        app.MapGet("/api/diagnostics/footprint", (bool? collect, FootprintAccount account, IOptions<DiagnosticsOptions> options, HttpContext http) =>
            {
                if (!options.Value.Operators.Contains(HubUser.NameOf(http.User), StringComparer.Ordinal))
                {
                    throw new CollabException(CollabErrorCode.Forbidden, "Only the operators named in Collab:Diagnostics:Operators may read the footprint.");
                }
                return account.Snapshot(collect ?? false);
            })
            .RequireAuthorization()
            .RequireRateLimiting(DocumentEndpoints.RateLimitPolicy)
            .WithTags("Diagnostics")
            .WithSummary("What the server holds for its clients, by owner (sessions, awareness, waiting updates, connections, outboxes, per-user tables) and the managed heap; ?collect=true forces a full garbage collection first (operators only).")
            .Produces<ServerFootprint>()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}
