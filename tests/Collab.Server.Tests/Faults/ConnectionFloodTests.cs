using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Collab.Server.Tests.Faults;

/// <summary>
/// One user floods the server with connections, or joins and leaves a document hundreds of times, while an honest
/// editor types: the editor stays fast, nothing of the attacker is left behind, and the content is the editor's.
/// </summary>
public sealed class ConnectionFloodTests(ITestOutputHelper output) : IDisposable
{
    private const int Cap = 8;
    private readonly CollabAppFactory _app = new() { Overrides = { ["Collab:Limits:MaxConnectionsPerUser"] = Cap.ToString(System.Globalization.CultureInfo.InvariantCulture) } };

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task connections_over_the_per_user_cap_are_refused_and_other_users_stay_fast()
    {
        var doc = await _app.CreateDocumentAsync("alice", ("mallory", "viewer"));
        var alice = TestPeer.Create(_app.HubFor("alice", messagePack: true), doc, clientId: 1);
        await using var _ = alice;
        await alice.JoinAsync();
        var typing = new Typist(alice);
        await typing.TypeAsync(10);

        // The flood: five times the cap, all at once, each trying to join.
        var flood = Enumerable.Range(0, 5 * Cap).Select(_ => _app.HubFor("mallory", messagePack: true)).ToList();
        var typingDuringFlood = typing.TypeAsync(20);
        var outcomes = await Task.WhenAll(flood.Select(c => HubJoin.TryJoinAsync(c, doc)));
        await typingDuringFlood;

        var accepted = outcomes.Count(o => o is null);
        var refusals = outcomes.Where(o => o is not null).ToList();
        Assert.Equal(Cap, accepted);
        Assert.Equal(4 * Cap, refusals.Count);
        Assert.All(refusals, message => Assert.Contains("too_many_connections", message, StringComparison.Ordinal));

        // After the flood the editor is as fast as before it (generous bound: the machine is shared).
        await typing.TypeAsync(20);
        output.WriteLine($"alice's acks: median {typing.Median:F1} ms, max {typing.Max:F1} ms over {typing.Count}");
        Assert.True(typing.Max < 5_000, $"an ack of alice's took {typing.Max:F0} ms");

        // Closing the flood leaves nothing behind, and frees the cap.
        foreach (var connection in flood) await connection.DisposeAsync();
        var filter = _app.Services.GetRequiredService<ConnectionCapFilter>();
        await Poll.UntilAsync(() => filter.CountOf("mallory") == 0 && OnlyMember(doc, alice), "mallory's connections to be gone");
        var again = _app.HubFor("mallory", messagePack: true);
        await using var __ = again;
        Assert.Null(await HubJoin.TryJoinAsync(again, doc));

        Assert.Equal(typing.Expected, await ContentAsync(doc));
        Assert.Equal(typing.Expected, alice.Text);
    }

    [Fact]
    public async Task a_join_leave_storm_leaves_no_member_behind_and_other_users_stay_fast()
    {
        var doc = await _app.CreateDocumentAsync("alice", ("mallory", "editor"));
        var alice = TestPeer.Create(_app.HubFor("alice", messagePack: true), doc, clientId: 1);
        await using var _ = alice;
        await alice.JoinAsync();
        var typing = new Typist(alice);
        await typing.TypeAsync(10);

        // 500 join/leave cycles on one connection (with awareness in between), and 50 connections that join and drop
        // without leaving, while alice types.
        var storm = Task.Run(async () =>
        {
            await using var mallory = _app.HubFor("mallory", messagePack: true);
            await mallory.StartAsync();
            for (var i = 0; i < 500; i++)
            {
                await mallory.InvokeAsync<JoinResult>("Join", doc, "main");
                await mallory.InvokeAsync("Awareness", doc, "main", AwarenessUpdate(clientId: 1000, clock: (uint)i + 1));
                await mallory.InvokeAsync("Leave", doc, "main");
            }

            for (var i = 0; i < 50; i++)
            {
                await using var brief = _app.HubFor("mallory", messagePack: true);
                await brief.StartAsync();
                await brief.InvokeAsync<JoinResult>("Join", doc, "main");
            }
        });
        while (!storm.IsCompleted) await typing.TypeAsync(1);
        await storm;
        await typing.TypeAsync(20);
        output.WriteLine($"alice's acks: median {typing.Median:F1} ms, max {typing.Max:F1} ms over {typing.Count}");
        Assert.True(typing.Max < 5_000, $"an ack of alice's took {typing.Max:F0} ms");

        // No leftover members: the session and the registry know only alice's connection.
        var registry = _app.Services.GetRequiredService<ConnectionRegistry>();
        var filter = _app.Services.GetRequiredService<ConnectionCapFilter>();
        await Poll.UntilAsync(() => OnlyMember(doc, alice) && registry.JoinedBy("mallory", new DocumentId(doc)).Count == 0 && registry.Count == 1 && filter.CountOf("mallory") == 0, "only alice to remain");
        Assert.Equal(typing.Expected, await ContentAsync(doc));
    }

    private bool OnlyMember(string doc, TestPeer peer)
    {
        var members = _app.Services.GetRequiredService<SessionManager>().MembersOf(BranchRef.MainOf(new DocumentId(doc)));
        return members.Count == 1 && members.Contains(peer.Connection.ConnectionId!);
    }

    private async Task<string> ContentAsync(string doc)
    {
        using var http = _app.ClientFor("alice");
        var content = await http.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/content");
        var ydoc = new YDoc();
        ydoc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
        return ydoc.GetText("text").ToString();
    }

    /// <summary>An awareness update (y-protocols) with one client's state.</summary>
    private static byte[] AwarenessUpdate(uint clientId, uint clock) =>
        Collab.Crdt.Protocol.AwarenessUpdate.Write([new Collab.Crdt.Protocol.AwarenessEntry(clientId, clock, "{\"user\":\"m\"}")]);

    /// <summary>An honest editor typing one letter per update with acks, timing each.</summary>
    private sealed class Typist(TestPeer peer)
    {
        private readonly List<double> _latencies = [];
        private int _typed;

        public string Expected { get; private set; } = "";

        public int Count => _latencies.Count;

        public double Median => _latencies.Order().ElementAt(_latencies.Count / 2);

        public double Max => _latencies.Max();

        public async Task TypeAsync(int letters)
        {
            for (var i = 0; i < letters; i++)
            {
                var letter = ((char)('a' + (_typed++ % 26))).ToString();
                var started = Stopwatch.GetTimestamp();
                var ack = await peer.InsertAsync(Expected.Length, letter);
                _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Assert.NotNull(ack.Seq);
                Expected += letter;
            }
        }
    }
}
