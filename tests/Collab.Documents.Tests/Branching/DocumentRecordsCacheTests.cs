using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// The records projection is bounded by documents (<see cref="CacheOptions.RecordsMaxDocuments"/>): the least recently
/// used are dropped and loaded again from the log with the same answers, and a document whose state is being changed is
/// never dropped (its pending protection is what the edit check reads).
/// </summary>
public sealed class DocumentRecordsCacheTests : IAsyncLifetime
{
    private static readonly string[] Docs = [PolicyFixture.Doc, "doc-2", "doc-3"];
    private PolicyFixture _f = null!;

    public async Task InitializeAsync()
    {
        _f = await PolicyFixture.CreateAsync();
        await _f.Catalog.CreateAsync("doc-2", "Two", "alice", default);
        await _f.Catalog.CreateAsync("doc-3", "Three", "alice", default);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static Task<string> ProjectionAsync(DocumentRecords records, string document) =>
        records.ReadAsync(new DocumentId(document), state => JsonSerializer.Serialize(new
        {
            Protected = state.Protected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList(),
            state.EditorsMayMerge,
            Branches = state.Branches.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => new { b.Key, b.Value.Scanned, b.Value.Entries }).ToList(),
            Proposals = state.Proposals.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList(),
        }), default);

    private static BranchRef MainOf(string document) => new(new DocumentId(document), BranchName.Main);

    [Fact]
    public async Task beyond_the_bound_documents_are_dropped_and_reloaded_with_the_same_answers()
    {
        // doc-1: a proposal, reviews and protection; doc-2: a setting and a protected main; doc-3: a fork only.
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c-main", TextEdits.Append(main, "The cat sat."));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "erin", default);
        var proposal = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow", "a better animal"), "erin", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, proposal.Id, new ReviewRequest("request-changes", "not yet"), "alice", default);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        await _f.Settings.SetAsync("doc-2", true, "alice", default);
        await _f.Protection.ProtectAsync("doc-2", "main", "alice", default);
        await _f.Branches.ForkAsync("doc-3", "notes", "main", null, null, "alice", default);

        var unbounded = new DocumentRecords(_f.Store);
        var expected = new Dictionary<string, string>();
        foreach (var doc in Docs) expected[doc] = await ProjectionAsync(unbounded, doc);

        var bounded = new DocumentRecords(_f.Store, new CacheOptions { RecordsMaxDocuments = 1 });
        for (var round = 0; round < 3; round++)
        {
            foreach (var doc in Docs)
            {
                Assert.Equal(expected[doc], await ProjectionAsync(bounded, doc));
                Assert.Equal(1, bounded.CachedDocuments);
                // The cheap checks answer the same after a reload.
                Assert.Equal(doc != "doc-3", await bounded.IsProtectedAsync(MainOf(doc), default));
                Assert.Equal(doc == "doc-2", await bounded.EditorsMayMergeAsync(new DocumentId(doc), default));
                Assert.Equal(doc == "doc-3", await bounded.ClientEditRefusalAsync(MainOf(doc), default) is null);
            }
        }
        Assert.True(bounded.Evictions >= 8, $"{bounded.Evictions} evictions");

        // A record written after a document was dropped is in its reloaded projection.
        await _f.Protection.UnprotectAsync("doc-2", "main", "alice", default);
        await ProjectionAsync(bounded, "doc-3");
        Assert.False(await bounded.IsProtectedAsync(MainOf("doc-2"), default));
        Assert.Equal(await ProjectionAsync(new DocumentRecords(_f.Store), "doc-2"), await ProjectionAsync(bounded, "doc-2"));
    }

    [Fact]
    public async Task a_document_whose_state_is_being_changed_is_never_dropped()
    {
        var bounded = new DocumentRecords(_f.Store, new CacheOptions { RecordsMaxDocuments = 1 });
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // As ProtectionService does: the protection is in the state before its event is written.
        var change = bounded.ChangeAsync(new DocumentId(PolicyFixture.Doc), async state =>
        {
            state.Protected["main"] = new ProtectionView("main", "alice", DateTimeOffset.UtcNow, 0);
            inside.SetResult();
            await release.Task;
            return 0;
        }, default);
        await inside.Task;

        // Other documents come and go meanwhile; doc-1 stays, so the edit check still sees the pending protection
        // (a state loaded afresh from the log would not have it: no event was written).
        foreach (var doc in new[] { "doc-2", "doc-3", "doc-2" }) await ProjectionAsync(bounded, doc);
        Assert.NotNull(await bounded.ClientEditRefusalAsync(MainOf(PolicyFixture.Doc), default));
        Assert.True(bounded.CachedDocuments >= 2, $"{bounded.CachedDocuments} cached");

        release.SetResult();
        await change;
        // Released, it may go like any other.
        foreach (var doc in new[] { "doc-2", "doc-3" }) await ProjectionAsync(bounded, doc);
        Assert.Equal(1, bounded.CachedDocuments);
    }
}
