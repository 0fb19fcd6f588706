using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;

namespace Collab.Client.Tests;

/// <summary>The server stops and starts again while people type; it has its own server so the others keep theirs.</summary>
public sealed class ServerRestartTests : IAsyncLifetime
{
    private readonly CollabServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task after_a_restart_mid_typing_every_acknowledged_update_is_there_and_clients_resync_to_identical_content()
    {
        string aliceToken = await _server.SignInAsync("alice");
        string bobToken = await _server.SignInAsync("bob");
        string documentId = await _server.CreateDocumentAsync(aliceToken, "restart test");
        await _server.GrantAsync(aliceToken, documentId, "bob", "editor");

        await using var node = NodePeers.Start();
        await node.SendAsync("open", new { peer = "bob", server = _server.BaseUrl.ToString(), token = bobToken, doc = documentId });
        await using var alice = ClientFactory.Create(_server, aliceToken);
        await alice.ConnectAsync();
        var doc = new YDoc();
        var text = doc.GetText("content");
        var connection = await alice.OpenAsync(documentId, "main", doc);
        await connection.Synced;
        var acked = new List<long>();
        connection.Acknowledged += (_, seq) =>
        {
            lock (acked)
            {
                acked.Add(seq ?? 0);
            }
        };

        var bobTyping = node.SendAsync("random", new { peer = "bob", ops = 150, seed = 3, delayMs = 4, deleteRatio = 0 }, TimeSpan.FromSeconds(60));
        for (int i = 0; i < 40; i++)
        {
            connection.Transact(() => text.Insert(text.Length, "A"));
            await Task.Delay(5);
        }

        // Down mid-typing: alice keeps typing while the server is away; her edits wait with their update ids.
        await _server.RestartAsync(async () =>
        {
            for (int i = 0; i < 10; i++)
            {
                connection.Transact(() => text.Insert(0, "Z"));
            }

            await Task.Delay(300);
        });

        await bobTyping;
        await connection.Synced.WaitAsync(TimeSpan.FromSeconds(40));
        await connection.FlushAsync().WaitAsync(TimeSpan.FromSeconds(40));
        await node.SendAsync("flush", new { peer = "bob", timeoutMs = 40000 }, TimeSpan.FromSeconds(50));
        Assert.Equal(0, connection.PendingCount);
        Assert.Equal(50, acked.Count); // every keystroke acknowledged exactly once, none refused

        string mine = "";
        bool converged = await Eventually.HoldsAsync(async () =>
        {
            mine = connection.Read(() => text.ToString());
            return await node.TextAsync("bob") == mine;
        }, TimeSpan.FromSeconds(20));
        Assert.True(converged, $"alice: {mine}\nbob: {await node.TextAsync("bob")}");
        // Bob only inserts, in lower case: every one of alice's 50 keystrokes is there, once.
        Assert.Equal(10, mine.Count(c => c == 'Z'));
        Assert.Equal(40, mine.Count(c => c == 'A'));

        // A fresh client loads the same content from what the restarted server stored.
        await node.SendAsync("open", new { peer = "late", server = _server.BaseUrl.ToString(), token = bobToken, doc = documentId });
        Assert.Equal(mine, await node.TextAsync("late"));
    }
}
