using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Server.Tests;

/// <summary>A role granted or removed over REST is told at once to that user's open connections, and to no one else.</summary>
public sealed class RoleNotificationTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private async Task<(HubConnection Connection, ConcurrentQueue<JsonElement> Events)> JoinAsync(string user, string doc)
    {
        var connection = factory.HubFor(user);
        var events = new ConcurrentQueue<JsonElement>();
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        connection.On<string, string>("BranchEvent", (d, json) =>
        {
            if (d == doc) events.Enqueue(JsonDocument.Parse(json).RootElement.Clone());
        });
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", doc, "main");
        return (connection, events);
    }

    private static async Task<JsonElement> NextAsync(ConcurrentQueue<JsonElement> events, string type)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var e in events)
            {
                if (e.GetProperty("type").GetString() == type) return e;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no {type} event arrived");
    }

    [Fact]
    public async Task a_viewer_made_editor_hears_it_and_other_users_do_not()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("vic", "viewer"), ("bob", "editor"));
        var (vic, vicEvents) = await JoinAsync("vic", doc);
        var (bob, bobEvents) = await JoinAsync("bob", doc);
        await using var vicConnection = vic;
        await using var bobConnection = bob;
        using var owner = factory.ClientFor("alice");

        var granted = await owner.PutAsJsonAsync($"/api/documents/{doc}/permissions/vic", new { role = "editor" });
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        var changed = await NextAsync(vicEvents, "role-changed");
        Assert.Equal("vic", changed.GetProperty("user").GetString());
        Assert.Equal("editor", changed.GetProperty("role").GetString());
        Assert.Equal("alice", changed.GetProperty("by").GetString());
        // Joining again answers the new role (what the browser app does on this event).
        Assert.Equal("editor", (await vic.InvokeAsync<JoinResult>("Join", doc, "main")).Role);

        // Bob hears the next document-wide event, and nothing about vic's role before it (one connection's
        // messages arrive in order).
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync($"/api/documents/{doc}/branches", new { name = "later", from = new { branch = "main" } })).StatusCode);
        await NextAsync(bobEvents, "branch-created");
        Assert.DoesNotContain(bobEvents, e => e.GetProperty("type").GetString() == "role-changed");

        // Removing the role says so (role null) before the connection is taken off the document.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/documents/{doc}/permissions/vic")).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!vicEvents.Any(e => e.GetProperty("type").GetString() == "role-changed" && e.GetProperty("role").ValueKind == JsonValueKind.Null) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains(vicEvents, e => e.GetProperty("type").GetString() == "role-changed" && e.GetProperty("role").ValueKind == JsonValueKind.Null);
    }
}
