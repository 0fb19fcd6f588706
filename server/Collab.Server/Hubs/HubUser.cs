using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Collab.Server.Hubs;

/// <summary>The user name the permission checks use: the token's <c>sub</c> claim.</summary>
internal static class HubUser
{
    public static string NameOf(ClaimsPrincipal? principal) =>
        TryNameOf(principal) ?? throw new InvalidOperationException("An authenticated user without a 'sub' claim.");

    /// <summary>The user name, or null when the principal has none.</summary>
    public static string? TryNameOf(ClaimsPrincipal? principal) =>
        principal?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value ?? principal?.Identity?.Name;
}
