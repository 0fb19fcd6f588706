using Collab.EventStore;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>The server in process (TestServer) on the in-memory store; hub connections use WebSockets through TestServer.</summary>
public sealed class CollabAppFactory : WebApplicationFactory<Program>
{
    private readonly string _dataFolder = TestSettings.TempFolder();

    /// <summary>Extra settings applied over the defaults (set before the first use).</summary>
    public Dictionary<string, string?> Overrides { get; } = [];

    /// <summary>A clock to use instead of the system's (set before the first use).</summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>An extra logger provider, e.g. to capture what the server logs (set before the first use).</summary>
    public ILoggerProvider? Logs { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(config =>
        {
            var settings = TestSettings.For(_dataFolder, inMemory: true);
            foreach (var (key, value) in Overrides) settings[key] = value;
            config.AddInMemoryCollection(settings);
        });
        if (Clock is { } clock) builder.ConfigureTestServices(services => services.AddSingleton(clock));
        if (Logs is { } logs) builder.ConfigureLogging(logging => logging.AddProvider(logs));
    }

    public string Token(string user) => TestSettings.TokenFor(Services, user);

    public HttpClient ClientFor(string? user)
    {
        var client = CreateClient();
        if (user is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", Token(user));
        return client;
    }

    /// <summary>A hub connection (not started) authenticated with <paramref name="token"/>.</summary>
    public HubConnection Hub(string? token, bool messagePack = false)
    {
        var server = Server;
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/documents"), options =>
            {
                options.HttpMessageHandlerFactory = _ => server.CreateHandler();
                options.Transports = HttpTransportType.WebSockets;
                options.AccessTokenProvider = () => Task.FromResult(token);
                options.WebSocketFactory = async (context, cancellationToken) =>
                {
                    var client = server.CreateWebSocketClient();
                    // A custom factory bypasses the client's own token handling: send it as a browser would, in the query.
                    var uri = token is null ? context.Uri : new Uri(context.Uri + (context.Uri.Query.Length > 0 ? "&" : "?") + "access_token=" + Uri.EscapeDataString(token));
                    return await client.ConnectAsync(uri, cancellationToken);
                };
            });
        if (messagePack) builder.AddMessagePackProtocol();
        return builder.Build();
    }

    public HubConnection HubFor(string user, bool messagePack = false) => Hub(Token(user), messagePack);

    /// <summary>Creates a document owned by <paramref name="owner"/> and grants the given roles.</summary>
    public async Task<string> CreateDocumentAsync(string owner, params (string User, string Role)[] grants)
    {
        var id = "doc-" + Guid.NewGuid().ToString("N")[..10];
        using var client = ClientFor(owner);
        var response = await client.PostAsJsonAsync("/api/documents", new { id, title = "Test" });
        response.EnsureSuccessStatusCode();
        foreach (var (user, role) in grants)
        {
            (await client.PutAsJsonAsync($"/api/documents/{id}/permissions/{user}", new { role })).EnsureSuccessStatusCode();
        }
        return id;
    }

    /// <summary>
    /// The head seq of a document's <c>main</c> branch: right after <see cref="CreateDocumentAsync"/> it counts the
    /// <c>directory</c> events (creation and grants), so tests compute expected seqs from it.
    /// </summary>
    public async Task<long> MainHeadAsync(string doc) =>
        (await Services.GetRequiredService<IEventStore>().GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main))).Seq.Value;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_dataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
