using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Collab.Server.Tests;

/// <summary>Quiet, bounded logs under a flood of refusals; argument and token checks; what Production serves.</summary>
public sealed class HardeningTests
{
    private static string CodeOf(HubException ex)
    {
        var match = System.Text.RegularExpressions.Regex.Match(ex.Message, "HubException: ([a-z_]+):");
        Assert.True(match.Success, ex.Message);
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task a_flood_of_refused_hub_calls_is_logged_briefly_without_errors_or_stack_traces()
    {
        var logs = new LogCapture();
        using var app = new CollabAppFactory { Clock = new ManualClock(), Logs = logs };
        app.Overrides["Collab:RateLimits:HubMessagesPerSecond"] = "1";
        app.Overrides["Collab:RateLimits:HubBurst"] = "1";
        app.Overrides["Logging:LogLevel:Default"] = "Debug";
        var doc = await app.CreateDocumentAsync("alice");
        await using var connection = app.HubFor("alice");
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", doc, "main");
        logs.Entries.Clear();

        // The clock stands still: every one of these is refused as rate limited.
        for (var i = 0; i < 300; i++)
        {
            var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<JoinResult>("Join", doc, "main"));
            Assert.Equal("rate_limited", CodeOf(error));
        }

        var entries = logs.Entries.ToArray();
        Assert.DoesNotContain(entries, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(entries, e => e.Exception is not null);
        var refusals = entries.Where(e => e.Category == typeof(HubGuardFilter).FullName).ToArray();
        Assert.Equal(RefusalLogThrottle.PerWindow, refusals.Length);
        Assert.All(refusals, e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.True(entries.Sum(e => e.Size) < 300 * 200, $"{entries.Sum(e => e.Size)} characters of log for 300 refusals");
    }

    [Fact]
    public async Task hub_arguments_of_the_wrong_number_or_types_are_refused_as_invalid()
    {
        using var app = new CollabAppFactory();
        var doc = await app.CreateDocumentAsync("alice");
        foreach (var messagePack in new[] { false, true })
        {
            await using var connection = app.HubFor("alice", messagePack);
            connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
            await connection.StartAsync();
            await connection.InvokeAsync<JoinResult>("Join", doc, "main");

            var wrongType = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SyncAck>("Sync", doc, "main", 42, null));
            Assert.Equal("invalid", CodeOf(wrongType));
            Assert.Contains("'Sync'", wrongType.Message, StringComparison.Ordinal);
            var wrongCount = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<JoinResult>("Join", doc));
            Assert.Equal("invalid", CodeOf(wrongCount));

            // The connection still works.
            Assert.Equal("owner", (await connection.InvokeAsync<JoinResult>("Join", doc, "main")).Role);
        }
    }

    [Fact]
    public async Task permissions_name_roles_as_every_other_answer_does()
    {
        using var app = new CollabAppFactory();
        var doc = await app.CreateDocumentAsync("alice", ("bob", "viewer"));
        using var client = app.ClientFor("alice");

        var granted = await (await client.PutAsJsonAsync($"/api/documents/{doc}/permissions/carol", new { role = "auditor" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("auditor", granted.GetProperty("role").GetString());
        Assert.Equal("carol", granted.GetProperty("user").GetString());

        var list = await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/permissions");
        var roles = list.EnumerateArray().ToDictionary(e => e.GetProperty("user").GetString()!, e => e.GetProperty("role").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["alice"] = "owner", ["bob"] = "viewer", ["carol"] = "auditor" }, roles);
    }

    [Fact]
    public async Task responses_carry_security_headers()
    {
        using var app = new CollabAppFactory();
        using var anonymous = app.CreateClient();
        using var client = app.ClientFor("alice");
        foreach (var response in new[]
                 {
                     await anonymous.GetAsync(new Uri("/", UriKind.Relative)),
                     await client.GetAsync(new Uri("/api/documents", UriKind.Relative)),
                     await anonymous.GetAsync(new Uri("/api/documents", UriKind.Relative)),
                 })
        {
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task a_signed_token_without_a_subject_is_unauthenticated()
    {
        using var app = new CollabAppFactory();
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("name", "nobody")]),
            Issuer = "collab",
            Audience = "collab",
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestSettings.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/documents", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/documents", new { title = "x" })).StatusCode);
        await using var connection = app.Hub(token);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());
        Assert.Contains("401", error.ToString(), StringComparison.Ordinal);
    }

    private sealed class ProductionFactory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
        }
    }

    private static Dictionary<string, string?> ProductionSettings(string? signingKey = TestSettings.SigningKey) => new()
    {
        ["Collab:InMemory"] = "true",
        ["Collab:DataFolder"] = TestSettings.TempFolder(),
        ["Collab:Auth:SigningKey"] = signingKey,
    };

    [Fact]
    public async Task in_production_the_api_description_is_served_only_when_enabled()
    {
        using (var production = new ProductionFactory(ProductionSettings()))
        using (var client = production.CreateClient())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/scalar/v1", UriKind.Relative))).StatusCode);
        }

        var settings = ProductionSettings();
        settings["Collab:OpenApi"] = "true";
        using (var enabled = new ProductionFactory(settings))
        using (var client = enabled.CreateClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/scalar/v1", UriKind.Relative))).StatusCode);
        }
    }

    [Theory]
    [InlineData("                                        ")]
    [InlineData("   short-key-with-lots-of-padding                ")]
    public void a_signing_key_that_is_mostly_white_space_is_refused_at_start(string key)
    {
        using var factory = new ProductionFactory(ProductionSettings(key));
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains("Collab:Auth:SigningKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task production_without_a_key_exits_with_a_clean_message_and_a_failure_code()
    {
        var server = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { server },
            WorkingDirectory = Path.GetDirectoryName(server)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Collab", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Collab__InMemory"] = "true";
        start.Environment["Collab__DataFolder"] = TestSettings.TempFolder();

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout + await stderr;
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("Collab:Auth:SigningKey", await stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
