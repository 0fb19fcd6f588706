using System.Net;
using System.Net.Sockets;
using Collab.Server.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>Settings every test host shares.</summary>
internal static class TestSettings
{
    public const string SigningKey = "collab-tests-signing-key-0123456789abcdef";

    public static Dictionary<string, string?> For(string dataFolder, bool inMemory) => new()
    {
        ["Collab:DataFolder"] = dataFolder,
        ["Collab:InMemory"] = inMemory ? "true" : "false",
        ["Collab:Auth:SigningKey"] = SigningKey,
        ["Collab:Auth:DevTokens"] = "true",
        ["Collab:RateLimits:HubMessagesPerSecond"] = "100000",
        ["Collab:RateLimits:HubBurst"] = "100000",
        ["Collab:RateLimits:RestRequestsPerMinute"] = "100000",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "collab-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string TokenFor(IServiceProvider services, string user) => services.GetRequiredService<DevTokenIssuer>().Issue(user);
}
