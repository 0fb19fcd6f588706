using Collab.Client.Tests.Infrastructure;
using Collab.Crdt.Document;

namespace Collab.Client.Tests;

/// <summary>Proposals, protection and the audit trail through the .NET client against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ProposalClientTests(CollabServer server)
{
    [Fact]
    public async Task an_editor_proposes_the_owner_reviews_and_merges_into_protected_main_and_the_audit_shows_it()
    {
        string aliceToken = await server.SignInAsync("alice");
        string bobToken = await server.SignInAsync("bob");
        string documentId = await server.CreateDocumentAsync(aliceToken, "proposals");
        await server.GrantAsync(aliceToken, documentId, "bob", "editor");
        await using var alice = ClientFactory.Create(server, aliceToken);
        await using var bob = ClientFactory.Create(server, bobToken);
        await alice.ConnectAsync();
        var doc = new YDoc();
        var connection = await alice.OpenAsync(documentId, "main", doc);
        await connection.Synced;
        connection.Transact(() => doc.GetText("content").Insert(0, "hello"));
        await connection.FlushAsync();

        Assert.Equal("main", (await alice.ProtectBranchAsync(server.Http, documentId, "main")).Branch);
        Assert.Equal("main", Assert.Single(await bob.ListProtectedBranchesAsync(server.Http, documentId)).Branch);
        await bob.ForkAsync(server.Http, documentId, "bob/idea", "main");
        await bob.ConnectAsync();
        var bobDoc = new YDoc();
        var bobConnection = await bob.OpenAsync(documentId, "bob/idea", bobDoc);
        await bobConnection.Synced;
        bobConnection.Transact(() => bobDoc.GetText("content").Insert(5, " idea"));
        await bobConnection.FlushAsync();
        var opened = await bob.OpenProposalAsync(server.Http, documentId, "bob/idea", "main", "Idea", "nothing yet");
        Assert.Equal(("open", "none", true), (opened.State, opened.Review, opened.TargetProtected));
        Assert.NotNull(opened.Preview);
        Assert.Equal(opened.Id, Assert.Single(await alice.ListProposalsAsync(server.Http, documentId)).Id);

        var own = await Assert.ThrowsAsync<HttpRequestException>(() => bob.ReviewProposalAsync(server.Http, documentId, opened.Id, approve: true));
        Assert.Contains("403 forbidden", own.Message, StringComparison.Ordinal);
        var direct = await Assert.ThrowsAsync<HttpRequestException>(() => alice.MergeAsync(server.Http, documentId, "bob/idea", "main"));
        Assert.Contains("409 branch_protected", direct.Message, StringComparison.Ordinal);
        var approved = await alice.ReviewProposalAsync(server.Http, documentId, opened.Id, approve: true, comment: "go");
        Assert.Equal("approved", approved.Review);
        var merged = await alice.MergeProposalAsync(server.Http, documentId, opened.Id, "merge the idea");
        Assert.Equal("merged", merged.State);
        Assert.NotNull(merged.MergeId);
        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(connection.Read(() => doc.GetText("content").ToString()) == "hello idea")));
        Assert.Equal("merged", (await alice.GetProposalAsync(server.Http, documentId, opened.Id)).State);

        await alice.UnprotectBranchAsync(server.Http, documentId, "main");
        Assert.Empty(await alice.ListProtectedBranchesAsync(server.Http, documentId));
        await alice.SetEditorsMayMergeAsync(server.Http, documentId, true);
        var second = await bob.OpenProposalAsync(server.Http, documentId, "bob/idea", "main", "Again");
        Assert.Equal("closed", (await bob.CloseProposalAsync(server.Http, documentId, second.Id, "never mind")).State);

        var audit = await alice.ReadAuditAsync(server.Http, documentId, limit: 3);
        var all = audit.Entries.ToList();
        while (audit.HasMore)
        {
            audit = await alice.ReadAuditAsync(server.Http, documentId, audit.Next, 3);
            all.AddRange(audit.Entries);
        }
        Assert.Equal(
            ["branch.created", "document.created", "role.granted", "branch.protected", "branch.created", "proposal.opened", "proposal.approved", "proposal.merged", "branch.unprotected", "settings.changed", "proposal.opened", "proposal.closed"],
            all.Select(e => e.Type).Where(t => t != "merge"));
        Assert.Contains(all, e => e.Type == "merge" && e.Fields["proposal"] == opened.Id);
        var notAuditor = await Assert.ThrowsAsync<HttpRequestException>(() => bob.ReadAuditAsync(server.Http, documentId));
        Assert.Contains("403 forbidden", notAuditor.Message, StringComparison.Ordinal);
    }
}
