using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Server.Tests.Infrastructure;

namespace Collab.Server.Tests;

public sealed class HistoryEndpointTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    /// <summary>The head of <c>main</c> when <see cref="StoryAsync"/> starts typing (its directory events: creation and grants).</summary>
    private long _start;

    /// <summary>A document with alice (owner, client 1) typing three words, erin (editor) a fourth; an auditor and a viewer.</summary>
    private async Task<(string Doc, TestPeer Alice, TestPeer Erin)> StoryAsync()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("aud", "auditor"), ("vic", "viewer"));
        _start = await factory.MainHeadAsync(doc);
        var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        foreach (var word in new[] { "one ", "two ", "three " }) await alice.InsertAsync(alice.Text.Length, word);
        var erin = TestPeer.Create(factory.HubFor("erin"), doc, clientId: 2);
        await erin.JoinAsync();
        await erin.WaitForTextAsync("one two three ");
        await erin.InsertAsync(erin.Text.Length, "four");
        await alice.WaitForTextAsync("one two three four");
        return (doc, alice, erin);
    }

    [Fact]
    public async Task content_at_a_seq_as_json_as_text_and_as_a_loadable_update()
    {
        var (doc, alice, erin) = await StoryAsync();
        await using var _ = alice;
        await using var __ = erin;
        using var viewer = factory.ClientFor("vic");

        var json = await viewer.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/content?branch=main&seq={_start + 2}");
        Assert.Equal(_start + 2, json.GetProperty("position").GetProperty("seq").GetInt64());
        var root = json.GetProperty("roots")[0];
        Assert.Equal(("text", "text", "one two "), (root.GetProperty("name").GetString(), root.GetProperty("kind").GetString(), root.GetProperty("text").GetString()));
        Assert.Equal("one two ", root.GetProperty("delta")[0].GetProperty("insert").GetString());

        Assert.Equal("one two three ", await viewer.GetStringAsync($"/api/documents/{doc}/history/content?seq={_start + 3}&format=text&root=text"));

        using var response = await viewer.GetAsync($"/api/documents/{doc}/history/content?seq={_start + 4}&format=update");
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{_start + 4}", response.Headers.GetValues("X-Collab-Seq").Single());
        var ydoc = new YDoc();
        ydoc.ApplyUpdate(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("one two three four", ydoc.GetText("text").ToString());

        Assert.Equal(HttpStatusCode.BadRequest, (await viewer.GetAsync($"/api/documents/{doc}/history/content?seq=99")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/documents/no-such-doc/history/content")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync($"/api/documents/{doc}/history/content?branch=ghost")).StatusCode);
        using var stranger = factory.ClientFor("mallory");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"/api/documents/{doc}/history/content")).StatusCode);
    }

    [Fact]
    public async Task compare_blame_activity_and_events_for_an_auditor()
    {
        var (doc, alice, erin) = await StoryAsync();
        await using var _ = alice;
        await using var __ = erin;
        using var auditor = factory.ClientFor("aud");

        var diff = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/compare?base=main@{_start + 2}&head=main");
        var segments = diff.GetProperty("roots")[0].GetProperty("segments").EnumerateArray()
            .Select(s => (s.GetProperty("op").GetString(), s.GetProperty("content").GetString(), s.TryGetProperty("insertedBy", out var by) && by.ValueKind == JsonValueKind.Object ? by.GetProperty("author").GetString() + "@" + by.GetProperty("seq").GetInt64() : null))
            .ToList();
        Assert.Equal([("equal", "one two ", null), ("insert", "three ", $"alice@{_start + 3}"), ("insert", "four", $"erin@{_start + 4}")], segments);
        var unified = await auditor.GetStringAsync($"/api/documents/{doc}/history/compare?base=main@{_start + 2}&head=main@{_start + 4}&format=unified");
        Assert.Contains("-one two \n\\ No newline at end of file\n+one two three four\n", unified, StringComparison.Ordinal);

        var blame = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/blame?branch=main&root=text");
        var ranges = blame.GetProperty("roots")[0].GetProperty("ranges").EnumerateArray()
            .Select(r => (r.GetProperty("content").GetString(), r.GetProperty("insertedBy").GetProperty("author").GetString(), r.GetProperty("insertedBy").GetProperty("seq").GetInt64()))
            .ToList();
        Assert.Equal([("one ", "alice", _start + 1), ("two ", "alice", _start + 2), ("three ", "alice", _start + 3), ("four", "erin", _start + 4)], ranges);

        var activity = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/activity?branch=main&groupGap=1h");
        var sessions = activity.GetProperty("sessions").EnumerateArray().Select(s => (s.GetProperty("author").GetString(), s.GetProperty("events").GetInt32(), s.GetProperty("charsInserted").GetInt32())).ToList();
        Assert.Equal([("alice", 3, 14), ("erin", 1, 4)], sessions);
        Assert.Equal(3600, activity.GetProperty("groupGapSeconds").GetDouble());

        var events = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/events?branch=main&author=erin");
        var only = Assert.Single(events.GetProperty("events").EnumerateArray().ToList());
        Assert.Equal((_start + 4, 4, 2u), (only.GetProperty("seq").GetInt64(), only.GetProperty("charsInserted").GetInt32(), only.GetProperty("clientIds")[0].GetUInt32()));

        using var viewer = factory.ClientFor("vic");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync($"/api/documents/{doc}/history/blame")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await auditor.GetAsync($"/api/documents/{doc}/history/compare?base=main@x&head=main")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await auditor.GetAsync($"/api/documents/{doc}/history/activity?groupGap=soon")).StatusCode);
    }

    [Fact]
    public async Task named_version_then_restore_reaches_live_clients_and_a_viewer_is_refused()
    {
        var (doc, alice, erin) = await StoryAsync();
        await using var _ = alice;
        await using var __ = erin;
        using var editor = factory.ClientFor("erin");

        var created = await editor.PostAsJsonAsync($"/api/documents/{doc}/versions", new { name = "Approved by legal", branch = "main", seq = _start + 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await editor.PostAsJsonAsync($"/api/documents/{doc}/versions", new { name = "Approved by legal", branch = "main", seq = _start + 3 })).StatusCode);
        using var viewer = factory.ClientFor("vic");
        var listed = await viewer.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/versions");
        Assert.Equal("Approved by legal", listed[0].GetProperty("name").GetString());
        Assert.Equal("one two ", await viewer.GetStringAsync($"/api/documents/{doc}/history/content?version={Uri.EscapeDataString("Approved by legal")}&format=text"));

        var name = Uri.EscapeDataString("Approved by legal");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/documents/{doc}/versions/{name}/restore", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await editor.PostAsJsonAsync($"/api/documents/{doc}/versions/nope/restore", new { })).StatusCode);

        var restored = await editor.PostAsJsonAsync($"/api/documents/{doc}/versions/{name}/restore", new { branch = "main" });
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        var result = await restored.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(result.GetProperty("changed").GetBoolean());
        await alice.WaitForTextAsync("one two ");
        await erin.WaitForTextAsync("one two ");

        using var auditor = factory.ClientFor("aud");
        var trail = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/events?kind=restore");
        var restoreEvent = Assert.Single(trail.GetProperty("events").EnumerateArray().ToList());
        Assert.Equal(("erin", "version.restored", "Approved by legal"), (restoreEvent.GetProperty("author").GetString(), restoreEvent.GetProperty("recordType").GetString(), restoreEvent.GetProperty("record").GetProperty("name").GetString()));
        var compare = await auditor.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/history/compare?base={Uri.EscapeDataString("version:Approved by legal")}&head=main&format=json");
        Assert.Equal(0, compare.GetProperty("roots")[0].GetProperty("inserted").GetInt32() + compare.GetProperty("roots")[0].GetProperty("deleted").GetInt32());
    }
}
