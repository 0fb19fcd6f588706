using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace Collab.Client.Tests.Infrastructure;

/// <summary>
/// The real server (the <c>server</c> project's Program) on a Kestrel port on 127.0.0.1, with its data in a fresh
/// temporary folder, the development sign-in on, and the browser sample served under /app/.
/// </summary>
public sealed class CollabServer : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "collab-client-tests-" + Guid.NewGuid().ToString("N"));
    private WebApplicationFactory<Program>? _factory;

    public Uri BaseUrl { get; private set; } = null!;

    public HttpClient Http { get; } = new();

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        Start(port: 0);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the server gracefully (what a deploy does) and starts a new one on the same port and data folder.
    /// <paramref name="whileDown"/> runs in between.
    /// </summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        await _factory!.DisposeAsync();
        _factory = null;
        if (whileDown is not null)
        {
            await whileDown();
        }

        Start(BaseUrl.Port);
    }

    private void Start(int port)
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("Collab:DataFolder", _dataDir);
            web.UseSetting("Collab:Auth:DevTokens", "true");
            // Every test signs in and creates documents as a handful of users: keep the REST limit out of the way.
            web.UseSetting("Collab:RateLimits:RestRequestsPerMinute", "100000");
            web.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new ServeWebSample()));
        });
        _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        BaseUrl = new Uri(addresses.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        Http.BaseAddress ??= BaseUrl;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing store: the temp folder is cleaned by the OS.
        }
    }

    public Task<string> SignInAsync(string user) => CollabClient.SignInAsync(BaseUrl, user, Http);

    /// <summary>Creates a document owned by <paramref name="owner"/> and returns its id.</summary>
    public async Task<string> CreateDocumentAsync(string ownerToken, string title)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/documents")
        {
            Content = JsonContent.Create(new { title }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ownerToken);
        using var response = await Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"create document: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// The head seq of a document's <c>main</c> branch: right after creation it counts the <c>directory</c> events
    /// (creation and grants), so tests compute expected seqs from it.
    /// </summary>
    public async Task<long> MainHeadAsync(string token, string documentId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/documents/{Uri.EscapeDataString(documentId)}/branches/main");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"branch: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("headSeq").GetInt64();
    }

    /// <summary>Gives <paramref name="user"/> a role on a document (the owner's token grants it).</summary>
    public async Task GrantAsync(string ownerToken, string documentId, string user, string role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/documents/{Uri.EscapeDataString(documentId)}/permissions/{Uri.EscapeDataString(user)}")
        {
            Content = JsonContent.Create(new { role }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ownerToken);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"grant: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Serves the browser sample (built by the server project into its wwwroot/app) under /app/, ahead of the server's own files.</summary>
    private sealed class ServeWebSample : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            string dir = RepositoryPathsAttribute.Current.WebApp;
            if (Directory.Exists(dir))
            {
                var files = new PhysicalFileProvider(dir);
                app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = new PathString("/app") });
                app.UseStaticFiles(new StaticFileOptions { FileProvider = files, RequestPath = new PathString("/app") });
            }

            next(app);
        };
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<CollabServer>
{
    public const string Name = "server";
}
