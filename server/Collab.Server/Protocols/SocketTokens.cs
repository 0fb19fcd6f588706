using Collab.Server.Hubs;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Collab.Server.Protocols;

/// <summary>
/// Validates a token that arrives inside a protocol message (Hocuspocus's token message) with exactly the JWT bearer
/// settings the hub and REST use (issuer, audience, lifetime, signing keys, a <c>sub</c> claim).
/// </summary>
internal sealed class SocketTokens(IOptionsMonitor<JwtBearerOptions> options)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The token's user (its <c>sub</c>), or null when the token is not valid.</summary>
    public async Task<string?> UserOfAsync(string token, CancellationToken cancellationToken)
    {
        var jwt = options.Get(JwtBearerDefaults.AuthenticationScheme);
        var parameters = jwt.TokenValidationParameters.Clone();
        if (jwt.ConfigurationManager is { } configurationManager)
        {
            // An external authority: its issuer and current signing keys, as the bearer handler would use them.
            var configuration = await configurationManager.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            parameters.ValidIssuers = [.. parameters.ValidIssuers ?? [], configuration.Issuer];
            parameters.IssuerSigningKeys = [.. parameters.IssuerSigningKeys ?? [], .. configuration.SigningKeys];
        }
        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid) return null;
        var user = result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        return string.IsNullOrWhiteSpace(user) ? null : user;
    }

    /// <summary>The user of the upgrade request (a token in the query string or an Authorization header), if any.</summary>
    public static string? UserOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true ? HubUser.TryNameOf(context.User) : null;
}
