using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Collab.Server.Tests;

public sealed class RestTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    [Fact]
    public async Task dev_sign_in_issues_a_token_that_the_api_accepts()
    {
        using var anonymous = factory.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/dev/token", new { user = "alice" });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();

        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/documents", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    public async Task dev_sign_in_refuses_bad_user_names_with_a_problem(string user)
    {
        using var anonymous = factory.CreateClient();
        var response = await anonymous.PostAsJsonAsync("/api/dev/token", new { user });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("user", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task creating_a_document_answers_201_with_the_document_and_its_location()
    {
        using var client = factory.ClientFor("alice");
        var response = await client.PostAsJsonAsync("/api/documents", new { id = "rest-created", title = "Notes" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/documents/rest-created", response.Headers.Location?.ToString());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Notes", body.GetProperty("title").GetString());
        Assert.Equal("owner", body.GetProperty("role").GetString());
        Assert.Equal("alice", body.GetProperty("createdBy").GetString());

        var branches = await client.GetFromJsonAsync<JsonElement>("/api/documents/rest-created/branches");
        Assert.Equal("main", branches[0].GetProperty("name").GetString());
        // main@1 is the document.created directory event.
        Assert.Equal(1, branches[0].GetProperty("headSeq").GetInt64());
    }

    [Fact]
    public async Task a_document_without_an_id_gets_a_generated_one()
    {
        using var client = factory.ClientFor("alice");
        var response = await client.PostAsJsonAsync("/api/documents", new { title = "Untitled" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.StartsWith("doc-", id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_duplicate_id_is_a_409_problem_and_a_bad_id_is_a_400_problem()
    {
        using var client = factory.ClientFor("alice");
        (await client.PostAsJsonAsync("/api/documents", new { id = "dup-doc", title = "a" })).EnsureSuccessStatusCode();

        var duplicate = await client.PostAsJsonAsync("/api/documents", new { id = "dup-doc", title = "b" });
        var invalid = await client.PostAsJsonAsync("/api/documents", new { id = "bad id!", title = "b" });

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid", problem.GetProperty("title").GetString());
        Assert.Contains("document id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task granting_an_unknown_role_is_a_400_problem()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        using var client = factory.ClientFor("alice");
        var response = await client.PutAsJsonAsync($"/api/documents/{doc}/permissions/bob", new { role = "admin" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Unknown role", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task auditors_read_the_event_log_with_hashes_and_authors()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("audrey", "auditor"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "a", updateId: "first");
        await alice.InsertAsync(1, "b", updateId: "second");

        using var auditor = factory.ClientFor("audrey");
        var events = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/events?branch=main&from=1&max=10");

        // document.created and role.granted (audrey), then the two edits.
        Assert.Equal(4, events.GetArrayLength());
        Assert.Equal(new[] { "directory", "directory", "update", "update" }, events.EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToArray());
        Assert.Equal("alice", events[2].GetProperty("author").GetString());
        Assert.Equal("first", events[2].GetProperty("updateId").GetString());
        Assert.Equal(events[2].GetProperty("hash").GetString(), events[3].GetProperty("previousHash").GetString());
        Assert.Equal(1u, events[2].GetProperty("clientIds")[0].GetUInt32());

        var verify = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/verify?branch=main");
        Assert.True(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(4, verify.GetProperty("headSeq").GetInt64());
        Assert.Equal(events[3].GetProperty("hash").GetString(), verify.GetProperty("headHash").GetString());
    }

    [Fact]
    public async Task the_openapi_document_and_its_ui_are_served()
    {
        using var client = factory.CreateClient();
        var openApi = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Contains("/api/documents/{id}/permissions/{user}", openApi, StringComparison.Ordinal);
        var ui = await client.GetAsync(new Uri("/scalar/v1", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task rest_requests_above_the_per_user_rate_are_refused_with_429()
    {
        using var limited = new CollabAppFactory();
        limited.Overrides["Collab:RateLimits:RestRequestsPerMinute"] = "3";
        using var client = limited.ClientFor("alice");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await client.GetAsync(new Uri("/api/documents", UriKind.Relative))).StatusCode);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        var refused = await client.GetAsync(new Uri("/api/documents", UriKind.Relative));
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", problem.GetProperty("title").GetString());
        Assert.Equal(429, problem.GetProperty("status").GetInt32());

        using var other = limited.ClientFor("bob");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri("/api/documents", UriKind.Relative))).StatusCode);
    }
}

public sealed class StartupTests
{
    private sealed class ProductionFactory(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
        }
    }

    [Fact]
    public void outside_development_the_server_refuses_to_start_without_a_signing_key_or_authority()
    {
        using var factory = new ProductionFactory(new() { ["Collab:InMemory"] = "true", ["Collab:DataFolder"] = TestSettings.TempFolder() });
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains("Collab:Auth:SigningKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("Production", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_short_signing_key_is_refused_at_start()
    {
        using var factory = new ProductionFactory(new() { ["Collab:InMemory"] = "true", ["Collab:DataFolder"] = TestSettings.TempFolder(), ["Collab:Auth:SigningKey"] = "short" });
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains("at least 32 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void an_out_of_range_limit_is_refused_at_start()
    {
        using var factory = new ProductionFactory(new()
        {
            ["Collab:InMemory"] = "true",
            ["Collab:DataFolder"] = TestSettings.TempFolder(),
            ["Collab:Auth:SigningKey"] = TestSettings.SigningKey,
            ["Collab:Limits:MaxMessageBytes"] = "1000",
        });
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains("MaxMessageBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task in_production_with_a_key_the_dev_sign_in_is_not_served()
    {
        using var factory = new ProductionFactory(new()
        {
            ["Collab:InMemory"] = "true",
            ["Collab:DataFolder"] = TestSettings.TempFolder(),
            ["Collab:Auth:SigningKey"] = TestSettings.SigningKey,
        });
        using var client = factory.CreateClient();
        var response = await client.PostAsJsonAsync("/api/dev/token", new { user = "alice" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }
}
