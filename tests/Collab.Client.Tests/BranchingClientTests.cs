using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;

namespace Collab.Client.Tests;

/// <summary>Fork, move-to-branch, preview and merge through the .NET client against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class BranchingClientTests(CollabServer server)
{
    private static async Task<bool> TextIsAsync(DocumentConnection connection, YDoc doc, string expected) =>
        await Eventually.HoldsAsync(() => Task.FromResult(connection.Read(() => doc.GetText("content").ToString()) == expected));

    [Fact]
    public async Task a_client_moves_its_work_to_a_branch_then_the_owner_merges_it_back_into_live_main()
    {
        string aliceToken = await server.SignInAsync("alice");
        string documentId = await server.CreateDocumentAsync(aliceToken, "branching");
        await using var alice = ClientFactory.Create(server, aliceToken);
        await using var watcher = ClientFactory.Create(server, aliceToken, CollabHubProtocol.Json);
        await alice.ConnectAsync();
        await watcher.ConnectAsync();
        var doc = new YDoc();
        var connection = await alice.OpenAsync(documentId, "main", doc);
        var watcherDoc = new YDoc();
        var watching = await watcher.OpenAsync(documentId, "main", watcherDoc);
        await Task.WhenAll(connection.Synced, watching.Synced);

        connection.Transact(() => doc.GetText("content").Insert(0, "hello"));
        await connection.FlushAsync();
        // Typed and not (necessarily) acknowledged yet when the move starts.
        connection.Transact(() => doc.GetText("content").Insert(5, " world"));
        var moved = await alice.MoveToBranchAsync(connection, "draft");
        Assert.Equal("draft", moved.Branch);
        Assert.Equal("draft", connection.Branch);
        Assert.Equal("owner", moved.Role);
        await connection.FlushAsync();
        connection.Transact(() => doc.GetText("content").Insert(0, "> "));
        await connection.FlushAsync();

        var draft = await alice.ForkAsync(server.Http, documentId, "draft-copy", "draft");
        Assert.Equal("draft", draft.Parent);
        Assert.True(draft.ForkSeq >= 3);

        var preview = await alice.PreviewMergeAsync(server.Http, documentId, "draft", "main");
        Assert.True(preview.DryRun);
        Assert.False(preview.NothingToMerge);
        Assert.Null(preview.Seq);

        var merged = await alice.MergeAsync(server.Http, documentId, "draft", "main", message: "ship it");
        Assert.NotNull(merged.Seq);
        Assert.Equal($"main@{merged.Seq}", merged.MergeId);
        Assert.True(await TextIsAsync(watching, watcherDoc, "> hello world"));

        var again = await alice.MergeAsync(server.Http, documentId, "draft", "main");
        Assert.True(again.NothingToMerge);
        Assert.Null(again.MergeId);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => alice.ForkAsync(server.Http, documentId, "draft", "main"));
        Assert.Contains("409 conflict", refused.Message, StringComparison.Ordinal);
    }
}
