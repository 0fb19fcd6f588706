using System.Text.Json.Nodes;

namespace Collab.Crdt.Tests.Compat;

/// <summary>The harness itself: if the yjs peer misbehaves, every differential test is worthless.</summary>
public sealed class NodePeerTests
{
    [Fact]
    public async Task peer_edits_a_doc_and_reports_what_yjs_holds()
    {
        await using var peer = await NodePeer.StartAsync();
        await peer.CreateDocAsync("a", 7);
        var updates = await peer.EditAsync("a", new JsonArray(
            new JsonArray(new JsonObject { ["op"] = "textInsert", ["at"] = 0, ["text"] = "héllo 😀" }),
            new JsonArray()));

        Assert.Single(updates[0]);
        Assert.Empty(updates[1]);
        var content = await peer.ContentAsync("a", [("t", "text")]);
        Assert.Equal("héllo 😀", content["t"]!["string"]!.GetValue<string>());
        byte[] sv = await peer.EncodeStateVectorAsync("a");
        Assert.Equal(new byte[] { 1, 7, 8 }, sv); // one client, id 7, clock 8 UTF-16 units
    }

    [Fact]
    public async Task peer_errors_surface_as_exceptions_and_the_peer_keeps_working()
    {
        await using var peer = await NodePeer.StartAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => peer.CallAsync("no-such-command"));
        Assert.Contains("unknown command", error.Message, StringComparison.Ordinal);
        Assert.NotNull(await peer.CallAsync("ping"));
    }

    [Fact]
    public async Task a_stuck_peer_times_out_and_disposing_kills_it()
    {
        var peer = await NodePeer.StartAsync();
        int pid = peer.ProcessId;
        var call = peer.CallAsync("block", new JsonObject { ["ms"] = 60_000 }, TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAsync<TimeoutException>(() => call);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        await peer.DisposeAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"dispose took {sw.Elapsed}");
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid)); // gone, not left running
    }

    [Fact]
    public async Task the_generated_fixtures_come_from_the_pinned_yjs()
    {
        var root = JsonNode.Parse(await File.ReadAllTextAsync(JsEnvironment.FixturesFile))!;
        Assert.Equal("13.6.33", root["yjs"]!.GetValue<string>());
        Assert.True(root["docs"]!.AsArray().Count > 30);
    }
}
