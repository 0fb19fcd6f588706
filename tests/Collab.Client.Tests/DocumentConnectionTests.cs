using System.Text.Json;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Client.Tests;

/// <summary>The .NET client against the real server, alone and together with stock-yjs peers in Node.</summary>
[Collection(ServerCollection.Name)]
public sealed class DocumentConnectionTests(CollabServer server)
{
    private async Task<(string DocumentId, string OwnerToken)> NewDocumentAsync(string owner, params (string User, string Role)[] grants)
    {
        string ownerToken = await server.SignInAsync(owner);
        string documentId = await server.CreateDocumentAsync(ownerToken, "client test");
        foreach (var (user, role) in grants)
        {
            await server.SignInAsync(user);
            await server.GrantAsync(ownerToken, documentId, user, role);
        }

        return (documentId, ownerToken);
    }

    private static async Task<bool> TextIsAsync(DocumentConnection connection, YDoc doc, string expected) =>
        await Eventually.HoldsAsync(() => Task.FromResult(connection.Read(() => doc.GetText("content").ToString()) == expected));

    [Theory]
    [InlineData(CollabHubProtocol.MessagePack)]
    [InlineData(CollabHubProtocol.Json)]
    public async Task two_dotnet_clients_see_each_others_edits(CollabHubProtocol protocol)
    {
        var (documentId, aliceToken) = await NewDocumentAsync("alice", ("bob", "editor"));
        long created = await server.MainHeadAsync(aliceToken, documentId); // the directory events of creation and the grant
        await using var alice = ClientFactory.Create(server, aliceToken, protocol);
        await using var bob = ClientFactory.Create(server, await server.SignInAsync("bob"), protocol);
        await alice.ConnectAsync();
        await bob.ConnectAsync();
        var aliceDoc = new YDoc();
        var bobDoc = new YDoc();
        var aliceConnection = await alice.OpenAsync(documentId, "main", aliceDoc);
        var bobConnection = await bob.OpenAsync(documentId, "main", bobDoc);
        await Task.WhenAll(aliceConnection.Synced, bobConnection.Synced);
        Assert.Equal("owner", aliceConnection.Role);
        Assert.Equal("editor", bobConnection.Role);

        aliceConnection.Transact(() => aliceDoc.GetText("content").Insert(0, "Grüße 👋"));
        await aliceConnection.FlushAsync();
        Assert.Equal(created + 1, aliceConnection.LastAckSeq); // the first update of a new document
        Assert.True(await TextIsAsync(bobConnection, bobDoc, "Grüße 👋"));

        bobConnection.Transact(() => bobDoc.GetText("content").Insert(5, ", Alice"));
        await bobConnection.FlushAsync();
        Assert.True(await TextIsAsync(aliceConnection, aliceDoc, "Grüße, Alice 👋"));
    }

    [Fact]
    public async Task a_dotnet_client_and_stock_yjs_peers_converge_under_random_concurrent_edits()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("bob", "editor"), ("carol", "editor"));
        await using var node = NodePeers.Start();
        foreach (string peer in new[] { "bob", "carol" })
        {
            await node.SendAsync("open", new { peer, server = server.BaseUrl.ToString(), token = await server.SignInAsync(peer), doc = documentId });
        }

        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        var connection = await client.OpenAsync(documentId, "main", doc);
        await connection.Synced;

        var nodeEdits = Task.WhenAll(
            node.SendAsync("random", new { peer = "bob", ops = 120, seed = 5, delayMs = 2 }),
            node.SendAsync("random", new { peer = "carol", ops = 120, seed = 6, delayMs = 2 }));
        var random = new Random(7);
        var text = doc.GetText("content");
        for (int i = 0; i < 120; i++)
        {
            connection.Transact(() =>
            {
                int length = text.Length;
                if (length > 0 && random.NextDouble() < 0.3)
                {
                    int at = random.Next(length);
                    text.Delete(at, Math.Min(length - at, 1 + random.Next(3)));
                }
                else
                {
                    text.Insert(random.Next(length + 1), new string((char)('A' + random.Next(26)), 1 + random.Next(3)));
                }
            });
            await Task.Delay(random.Next(5));
        }

        await nodeEdits;
        await connection.FlushAsync();
        await node.SendAsync("flush", new { peer = "bob" });
        await node.SendAsync("flush", new { peer = "carol" });

        string mine = "";
        bool converged = await Eventually.HoldsAsync(async () =>
        {
            mine = connection.Read(() => text.ToString());
            return await node.TextAsync("bob") == mine && await node.TextAsync("carol") == mine;
        });
        Assert.True(converged, $"C#: {mine}\nbob: {await node.TextAsync("bob")}\ncarol: {await node.TextAsync("carol")}");
        Assert.Contains(mine, c => c is >= 'A' and <= 'Z'); // the C# client's edits survived
    }

    [Fact]
    public async Task edits_made_offline_and_edits_whose_ack_was_lost_are_stored_exactly_once_after_reconnect()
    {
        var (documentId, aliceToken) = await NewDocumentAsync("alice", ("bob", "editor"));
        long created = await server.MainHeadAsync(aliceToken, documentId); // the directory events of creation and the grant
        await using var alice = ClientFactory.Create(server, aliceToken);
        await alice.ConnectAsync();
        var doc = new YDoc();
        var connection = await alice.OpenAsync(documentId, "main", doc);
        await connection.Synced;
        var text = doc.GetText("content");

        // Twenty updates, then the link drops while some are in flight (stored or not, acked or not).
        for (int i = 0; i < 20; i++)
        {
            connection.Transact(() => text.Insert(text.Length, ((char)('a' + i)).ToString()));
        }

        await alice.DisconnectAsync();
        for (int i = 0; i < 5; i++)
        {
            connection.Transact(() => text.Insert(0, "-"));
        }

        Assert.True(connection.PendingCount >= 5);
        await alice.ConnectAsync();
        await connection.Synced.WaitAsync(TimeSpan.FromSeconds(15));
        await connection.FlushAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, connection.PendingCount);

        // 25 single-keystroke updates must be 25 events: a re-sent update id is acknowledged, never stored again.
        await using var bob = ClientFactory.Create(server, await server.SignInAsync("bob"));
        await bob.ConnectAsync();
        var bobDoc = new YDoc();
        var bobConnection = await bob.OpenAsync(documentId, "main", bobDoc);
        await bobConnection.Synced;
        Assert.Equal("-----abcdefghijklmnopqrst", bobConnection.Read(() => bobDoc.GetText("content").ToString()));
        Assert.Equal(created + 25, bobConnection.HeadSeq);
    }

    [Fact]
    public async Task a_viewers_update_is_refused_with_a_reason_and_reaches_nobody()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("victor", "viewer"));
        await using var owner = ClientFactory.Create(server, ownerToken);
        await using var viewer = ClientFactory.Create(server, await server.SignInAsync("victor"));
        await owner.ConnectAsync();
        await viewer.ConnectAsync();
        var ownerDoc = new YDoc();
        var viewerDoc = new YDoc();
        var ownerConnection = await owner.OpenAsync(documentId, "main", ownerDoc);
        var viewerConnection = await viewer.OpenAsync(documentId, "main", viewerDoc);
        await Task.WhenAll(ownerConnection.Synced, viewerConnection.Synced);
        Assert.Equal("viewer", viewerConnection.Role);

        var refused = new TaskCompletionSource<HubException>(TaskCreationOptions.RunContinuationsAsynchronously);
        viewerConnection.Refused += (_, error) => refused.TrySetResult(error);
        viewerConnection.Transact(() => viewerDoc.GetText("content").Insert(0, "not allowed"));
        var error = await refused.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("forbidden", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, viewerConnection.PendingCount);

        // The viewer still receives the owner's edits; the owner never saw the viewer's.
        ownerConnection.Transact(() => ownerDoc.GetText("content").Insert(0, "owner text"));
        await ownerConnection.FlushAsync();
        Assert.True(await Eventually.HoldsAsync(() =>
            Task.FromResult(viewerConnection.Read(() => viewerDoc.GetText("content").ToString()).Contains("owner text", StringComparison.Ordinal))));
        Assert.Equal("owner text", ownerConnection.Read(() => ownerDoc.GetText("content").ToString()));
    }

    [Fact]
    public async Task awareness_set_in_dotnet_reaches_a_stock_yjs_peer_and_its_state_comes_back()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice", ("bob", "editor"));
        await using var node = NodePeers.Start();
        await node.SendAsync("open", new { peer = "bob", server = server.BaseUrl.ToString(), token = await server.SignInAsync("bob"), doc = documentId });
        await node.SendAsync("awareness", new { peer = "bob", state = new { user = new { name = "bob" } } });

        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        var doc = new YDoc();
        using var awareness = new Awareness(doc.ClientId);
        var connection = await client.OpenAsync(documentId, "main", doc, awareness);
        await connection.Synced;

        awareness.SetLocalState(JsonDocument.Parse("""{"user":{"name":"alice"}}""").RootElement.Clone());
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.ToJsonString().Contains("\"alice\"", StringComparison.Ordinal)));
        // The server sent bob's state on join.
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(
            awareness.States.Values.Any(s => s.ToString().Contains("\"bob\"", StringComparison.Ordinal)))));

        // Gone while disconnected, back at once (not at the next renewal) after the reconnect.
        await client.DisconnectAsync();
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.AsArray().Count == 0));
        await client.ConnectAsync();
        await connection.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await Eventually.HoldsAsync(async () =>
            (await node.SendAsync("peers", new { peer = "bob" }))["states"]!.ToJsonString().Contains("\"alice\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task a_repeated_update_id_is_acknowledged_with_the_first_seq()
    {
        var (documentId, ownerToken) = await NewDocumentAsync("alice");
        await using var client = ClientFactory.Create(server, ownerToken);
        await client.ConnectAsync();
        await client.Hub.InvokeAsync<Protocol.JoinResult>("Join", documentId, "main");
        var doc = new YDoc();
        byte[]? update = null;
        doc.UpdateV1 += (u, _) => update = u;
        doc.GetText("content").Insert(0, "once");
        byte[] message = SyncMessage.EncodeUpdate(update!);

        var first = await client.Hub.InvokeAsync<Protocol.SyncAck>("Sync", documentId, "main", message, "same-id");
        var second = await client.Hub.InvokeAsync<Protocol.SyncAck>("Sync", documentId, "main", message, "same-id");
        Assert.NotNull(first.Seq);
        Assert.Equal(first.Seq, second.Seq);
    }
}
