using System.Text.RegularExpressions;
using Collab.Documents;
using Collab.Server.Auth;

namespace Collab.Server.Endpoints;

/// <summary>Body of <c>POST /api/dev/token</c>.</summary>
public sealed record DevTokenRequest(string? User);

/// <summary>Answer of <c>POST /api/dev/token</c>.</summary>
public sealed record DevTokenResponse(string Token);

/// <summary>The development sign-in: anyone may claim any user name. Mapped only when enabled.</summary>
internal static partial class DevTokenEndpoints
{
    public static void MapDevTokenEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/dev/token", (DevTokenRequest request, DevTokenIssuer issuer) =>
            {
                var user = request.User?.Trim();
                if (user is null || !UserName().IsMatch(user))
                {
                    throw new CollabException(CollabErrorCode.Invalid, "'user' must be 1-64 characters: letters, digits, '.', '_', '-' or '@'.");
                }
                return new DevTokenResponse(issuer.Issue(user));
            })
            .AllowAnonymous()
            .RequireRateLimiting(DocumentEndpoints.RateLimitPolicy)
            .WithTags("Development")
            .WithSummary("Development sign-in: a token for any user name (Development only).");

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex UserName();
}
