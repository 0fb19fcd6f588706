using System.Security.Cryptography;
using System.Text;
using Collab.Server.Options;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Collab.Server.Auth;

/// <summary>
/// The symmetric key used to issue and validate tokens: the configured one, or in Development a random key generated
/// once and kept in the data folder so that tokens survive a restart of <c>dotnet run</c>.
/// </summary>
internal sealed class SigningKeyProvider(IOptions<CollabServerOptions> options, IHostEnvironment environment, ILogger<SigningKeyProvider> logger)
{
    private const string DevKeyFile = "dev-signing-key.txt";
    private readonly Lazy<SymmetricSecurityKey?> _key = new(() => Create(options.Value, environment, logger));

    /// <summary>The key, or null when only an external authority issues tokens.</summary>
    public SymmetricSecurityKey? Key => _key.Value;

    private static SymmetricSecurityKey? Create(CollabServerOptions options, IHostEnvironment environment, ILogger logger)
    {
        if (options.Auth.SigningKey is { } configured) return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(configured));
        if (!environment.IsDevelopment()) return null;

        var path = Path.Combine(options.DataFolder, DevKeyFile);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length >= 43) return new SymmetricSecurityKey(Convert.FromBase64String(text));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(path, Convert.ToBase64String(bytes));
        ServerLog.DevSigningKeyCreated(logger, path);
        return new SymmetricSecurityKey(bytes);
    }
}
