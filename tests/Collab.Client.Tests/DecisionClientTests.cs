using Collab.Client.Protocol;
using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;

namespace Collab.Client.Tests;

/// <summary>Deciding a merge conflict and reverting through the .NET client against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class DecisionClientTests(CollabServer server)
{
    private static async Task<bool> TextIsAsync(DocumentConnection connection, YDoc doc, string expected) =>
        await Eventually.HoldsAsync(() => Task.FromResult(connection.Read(() => doc.GetText("content").ToString()) == expected));

    private static async Task ReplaceAsync(DocumentConnection connection, YDoc doc, int index, int length, string text)
    {
        connection.Transact(() =>
        {
            doc.GetText("content").Delete(index, length);
            doc.GetText("content").Insert(index, text);
        });
        await connection.FlushAsync();
    }

    [Fact]
    public async Task an_owner_lists_a_conflict_decides_it_and_reverts_the_merge()
    {
        string aliceToken = await server.SignInAsync("alice");
        string documentId = await server.CreateDocumentAsync(aliceToken, "decisions");
        await using var alice = ClientFactory.Create(server, aliceToken);
        await alice.ConnectAsync();
        var mainDoc = new YDoc();
        var main = await alice.OpenAsync(documentId, "main", mainDoc);
        await main.Synced;
        main.Transact(() => mainDoc.GetText("content").Insert(0, "The cat sat."));
        await main.FlushAsync();

        await alice.ForkAsync(server.Http, documentId, "feature", "main");
        var featureDoc = new YDoc();
        var feature = await alice.OpenAsync(documentId, "feature", featureDoc);
        await feature.Synced;
        Assert.True(await TextIsAsync(feature, featureDoc, "The cat sat."));
        await ReplaceAsync(feature, featureDoc, 4, 3, "cow");
        await ReplaceAsync(main, mainDoc, 4, 3, "dog");

        var merged = await alice.MergeAsync(server.Http, documentId, "feature", "main");
        var mergeId = merged.MergeId!;
        var open = Assert.Single(await alice.ListConflictsAsync(server.Http, documentId));
        Assert.Equal((mergeId, "open", "cat"), (open.MergeId, open.State, open.Conflict.Base));

        var resolution = await alice.ResolveAsync(server.Http, documentId, mergeId, [new ConflictChoice(open.Conflict.Id, "custom", "bird")], "neither");
        Assert.True(resolution.ContentChanged);
        Assert.True(await TextIsAsync(main, mainDoc, "The bird sat."));
        var decided = Assert.Single(await alice.ListConflictsAsync(server.Http, documentId, mergeId));
        Assert.Equal(("decided", "custom", "bird"), (decided.State, decided.Decision!.Choice, decided.Decision.CustomText));
        Assert.Equal("neither", decided.Decision.Properties["message"]);
        var again = await Assert.ThrowsAsync<HttpRequestException>(() => alice.ResolveAsync(server.Http, documentId, mergeId, [new ConflictChoice(open.Conflict.Id, "ours")]));
        Assert.Contains("409 conflict", again.Message, StringComparison.Ordinal);

        // Undoing the merge now has nothing left to undo: the decision already replaced all it brought ("cow").
        var nothing = await alice.RevertAsync(server.Http, documentId, merge: mergeId);
        Assert.True(nothing.NothingToRevert);
        Assert.Null(nothing.RevertId);

        // Undo the decision (the events (seq - 1 .. seq] of main), then undo the undo.
        var revert = await alice.RevertAsync(server.Http, documentId, "main", fromSeq: resolution.Seq - 1, toSeq: resolution.Seq, message: "think again");
        Assert.False(revert.NothingToRevert);
        Assert.True(await TextIsAsync(main, mainDoc, $"The {open.Conflict.Merged} sat.")); // dogcow or cowdog: the client ids are random
        var restored = await alice.RevertAsync(server.Http, documentId, "main", fromSeq: revert.Seq - 1, toSeq: revert.Seq);
        Assert.Equal(revert.RevertId, restored.Reverts);
        Assert.True(await TextIsAsync(main, mainDoc, "The bird sat."));
        Assert.Equal([revert.RevertId, restored.RevertId], (await alice.ListRevertsAsync(server.Http, documentId)).Select(r => r.Id));
    }
}
