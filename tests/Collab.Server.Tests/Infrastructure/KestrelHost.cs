using Collab.EventStore;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>The real server on a loopback Kestrel port (real WebSockets), restartable on the same data folder and port.</summary>
internal sealed class KestrelHost : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private WebApplication? _app;

    public KestrelHost(string dataFolder, bool inMemory, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        DataFolder = dataFolder;
        Port = TestSettings.FreePort();
        _settings = TestSettings.For(dataFolder, inMemory);
        if (overrides is not null) foreach (var (key, value) in overrides) _settings[key] = value;
    }

    public string DataFolder { get; }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>An extra logger provider, e.g. to capture what the server logs (set before starting).</summary>
    public ILoggerProvider? Logs { get; init; }

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("Not started.");

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development, ContentRootPath = DataFolder });
        builder.Configuration.AddInMemoryCollection(_settings);
        builder.WebHost.UseUrls(BaseAddress.ToString());
        if (Logs is { } logs) builder.Logging.AddProvider(logs);
        builder.AddCollabServer();
        var app = builder.Build();
        app.MapCollab();
        await app.StartAsync();
        _app = app;
    }

    /// <summary>A graceful stop, as on SIGTERM: appends finish, snapshots are written, connections close.</summary>
    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public string Token(string user) => TestSettings.TokenFor(Services, user);

    /// <summary>An HTTP client of this server signed in as <paramref name="user"/>.</summary>
    public HttpClient ClientFor(string user)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token(user));
        return client;
    }

    /// <summary>Creates a document owned by <paramref name="owner"/> and grants the given roles.</summary>
    public async Task<string> CreateDocumentAsync(string owner, params (string User, string Role)[] grants)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Token(owner));
        var id = "doc-" + Guid.NewGuid().ToString("N")[..10];
        (await http.PostAsJsonAsync("/api/documents", new { id, title = "Test" })).EnsureSuccessStatusCode();
        foreach (var (user, role) in grants) (await http.PutAsJsonAsync($"/api/documents/{id}/permissions/{user}", new { role })).EnsureSuccessStatusCode();
        return id;
    }

    /// <summary>The head seq of a document's <c>main</c> branch (after creation it counts the <c>directory</c> events).</summary>
    public async Task<long> MainHeadAsync(string doc) =>
        (await Services.GetRequiredService<IEventStore>().GetHeadAsync(new BranchRef(new DocumentId(doc), BranchName.Main))).Seq.Value;

    public HubConnection Hub(string token, bool messagePack = true)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(BaseAddress, "/hubs/documents"), options =>
        {
            options.Transports = HttpTransportType.WebSockets;
            options.SkipNegotiation = true;
            options.AccessTokenProvider = () => Task.FromResult<string?>(token);
        });
        if (messagePack) builder.AddMessagePackProtocol();
        return builder.Build();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
