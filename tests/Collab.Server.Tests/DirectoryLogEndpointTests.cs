using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Tests.Infrastructure;

namespace Collab.Server.Tests;

/// <summary>Creation, titles and roles are events of the log and in the audit trail.</summary>
public sealed class DirectoryLogEndpointTests : IDisposable
{
    private readonly CollabAppFactory _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task role_changes_and_titles_are_audit_entries_with_who_when_and_the_event_hash()
    {
        var doc = await _app.CreateDocumentAsync("alice", ("audrey", "auditor"), ("bob", "editor"));
        using var alice = _app.ClientFor("alice");
        var retitled = await alice.PatchAsJsonAsync($"/api/documents/{doc}", new { title = "Plan v2" });
        Assert.Equal(HttpStatusCode.OK, retitled.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync(new Uri($"/api/documents/{doc}/permissions/bob", UriKind.Relative))).StatusCode);

        using var bob = _app.ClientFor("bob");
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(new Uri($"/api/documents/{doc}", UriKind.Relative))).StatusCode);
        using var audrey = _app.ClientFor("audrey");
        Assert.Equal("Plan v2", (await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}")).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await audrey.PatchAsJsonAsync($"/api/documents/{doc}", new { title = "Mine" })).StatusCode);

        var audit = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/audit");
        var directory = audit.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "directory").ToList();
        Assert.Equal(
            new string?[] { "document.created", "role.granted", "role.granted", "document.retitled", "role.revoked" },
            directory.Select(e => e.GetProperty("type").GetString()).ToArray());
        Assert.All(directory, e => Assert.Equal("alice", e.GetProperty("by").GetString()));
        var grant = directory[1];
        Assert.Equal("audrey", grant.GetProperty("fields").GetProperty("user").GetString());
        Assert.Equal("auditor", grant.GetProperty("fields").GetProperty("role").GetString());

        var events = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/events?branch=main&from=1&max=10");
        var stored = events.EnumerateArray().Single(e => e.GetProperty("seq").GetInt64() == grant.GetProperty("seq").GetInt64());
        Assert.Equal(stored.GetProperty("hash").GetString(), grant.GetProperty("hash").GetString());
        Assert.Equal(stored.GetProperty("serverTime").GetDateTimeOffset(), grant.GetProperty("at").GetDateTimeOffset());

        var verify = await audrey.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/verify?branch=main");
        Assert.True(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(5, verify.GetProperty("headSeq").GetInt64());
    }

    [Fact]
    public async Task after_a_restart_with_the_journal_deleted_roles_come_back_from_the_log()
    {
        var folder = TestSettings.TempFolder();
        var host = new KestrelHost(folder, inMemory: false);
        try
        {
            await host.StartAsync();
            var doc = await host.CreateDocumentAsync("alice", ("bob", "owner"), ("carol", "viewer"), ("dave", "editor"));
            using (var bob = host.ClientFor("bob"))
            {
                Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync(new Uri($"/api/documents/{doc}/permissions/alice", UriKind.Relative))).StatusCode);
                Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync(new Uri($"/api/documents/{doc}/permissions/dave", UriKind.Relative))).StatusCode);
            }
            await host.StopAsync();
            File.Delete(Path.Combine(folder, "directory.jsonl"));
            await host.StartAsync();

            using var after = host.ClientFor("bob");
            var list = await after.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/permissions");
            var roles = list.EnumerateArray().ToDictionary(e => e.GetProperty("user").GetString()!, e => e.GetProperty("role").GetString());
            Assert.Equal(new Dictionary<string, string?> { ["bob"] = "owner", ["carol"] = "viewer" }, roles);
            using var alice = host.ClientFor("alice");
            Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync(new Uri($"/api/documents/{doc}", UriKind.Relative))).StatusCode);
            using var carol = host.ClientFor("carol");
            Assert.Equal(HttpStatusCode.OK, (await carol.GetAsync(new Uri($"/api/documents/{doc}", UriKind.Relative))).StatusCode);
        }
        finally
        {
            await host.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
