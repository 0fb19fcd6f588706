using System.Text;
using Microsoft.Extensions.Options;

namespace Collab.Server.Options;

/// <summary>Data-annotation checks on the whole options tree, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class CollabServerOptionsValidator : IValidateOptions<CollabServerOptions>;

/// <summary>
/// Rules that depend on the environment: outside Development the server must know how to validate tokens, because the
/// generated development key would let anyone who can read the data folder mint tokens.
/// </summary>
internal sealed class CollabAuthValidator(IHostEnvironment environment) : IValidateOptions<CollabServerOptions>
{
    public ValidateOptionsResult Validate(string? name, CollabServerOptions options)
    {
        var auth = options.Auth;
        // Blank space around a key is a pasting accident, and a key of spaces only is no secret: count what is left.
        if (auth.SigningKey is { } key && Encoding.UTF8.GetByteCount(key.Trim()) < 32)
        {
            return ValidateOptionsResult.Fail("Collab:Auth:SigningKey must be at least 32 bytes long (HMAC-SHA256), not counting white space at its ends.");
        }
        if (!environment.IsDevelopment() && auth.SigningKey is null && auth.Authority is null)
        {
            return ValidateOptionsResult.Fail(
                $"No token validation is configured for the '{environment.EnvironmentName}' environment: set Collab:Auth:SigningKey " +
                "(a secret of at least 32 bytes) or Collab:Auth:Authority (an OpenID Connect issuer). Only Development generates a key by itself.");
        }
        return ValidateOptionsResult.Success;
    }
}
