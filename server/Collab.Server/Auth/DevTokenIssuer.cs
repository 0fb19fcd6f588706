using System.Security.Claims;
using Collab.Server.Options;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Collab.Server.Auth;

/// <summary>Issues signed tokens for the development sign-in (and for tests).</summary>
internal sealed class DevTokenIssuer(SigningKeyProvider keys, IOptions<CollabServerOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>A token whose <c>sub</c> is <paramref name="user"/>.</summary>
    public string Issue(string user)
    {
        var key = keys.Key ?? throw new InvalidOperationException("No signing key is configured, so this server cannot issue tokens.");
        var auth = options.Value.Auth;
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, user), new Claim(JwtRegisteredClaimNames.Name, user)]),
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + auth.DevTokenLifetime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }
}
