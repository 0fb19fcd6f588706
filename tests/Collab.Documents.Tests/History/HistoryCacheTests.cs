using System.Text.Json;
using Collab.Documents.Branching;
using Collab.Documents.History;
using Collab.Documents.Tests.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.History;

/// <summary>The history index drops least recently read documents beyond its bounds and answers the same after rebuilding.</summary>
public sealed class HistoryCacheTests : StoryTests
{
    private const string Other = "doc-other";

    private async Task<string> AnswersAsync(HistoryIndex index)
    {
        var blame = await new BlameService(F.B.Store, F.B.Catalog, index).BlameAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "aud", default);
        var diff = await new DiffService(F.B.Store, F.B.Catalog, index).CompareAsync(BranchingFixture.Doc, PositionQuery.Parse("main@2", "base"), PositionQuery.Parse("main", "head"), "aud", default);
        var activity = await new ActivityService(F.B.Store, F.B.Catalog, index).ActivityAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "aud", default);
        return JsonSerializer.Serialize(new { blame, diff, activity });
    }

    private async Task ReadOtherAsync(HistoryIndex index)
    {
        if (F.B.Directory.Find(Other) is null) await F.B.Catalog.CreateAsync(Other, null, "aud", default);
        using var lease = await index.OpenAsync(new DocumentId(Other), default);
    }

    [Fact]
    public async Task beyond_the_document_bound_the_least_recently_read_is_dropped_and_rebuilt_with_the_same_answers()
    {
        var expected = await AnswersAsync(new HistoryIndex(F.B.Store));
        var index = new HistoryIndex(F.B.Store, new CacheOptions { HistoryMaxDocuments = 1 });

        Assert.Equal(expected, await AnswersAsync(index));
        var indexed = index.CachedEvents;
        Assert.True(indexed > 0);
        await ReadOtherAsync(index);
        Assert.Equal((1, 0L), (index.CachedDocuments, index.CachedEvents)); // only the other (empty) document is kept
        Assert.Equal(expected, await AnswersAsync(index));
        Assert.Equal((1, indexed), (index.CachedDocuments, index.CachedEvents));
    }

    [Fact]
    public async Task beyond_the_event_bound_older_documents_go_but_the_one_being_read_stays_even_when_larger()
    {
        var expected = await AnswersAsync(new HistoryIndex(F.B.Store));
        var index = new HistoryIndex(F.B.Store, new CacheOptions { HistoryMaxEvents = 1 });

        await ReadOtherAsync(index);
        Assert.Equal(expected, await AnswersAsync(index));
        Assert.Equal(1, index.CachedDocuments); // the other one went; the story (more than one event) stays while read
        Assert.True(index.CachedEvents > 1);
        await ReadOtherAsync(index);
        Assert.Equal((1, 0L), (index.CachedDocuments, index.CachedEvents));
        Assert.Equal(expected, await AnswersAsync(index));
    }

    [Fact]
    public async Task within_the_bounds_nothing_is_dropped()
    {
        var index = new HistoryIndex(F.B.Store);
        await AnswersAsync(index);
        await ReadOtherAsync(index);
        Assert.Equal(2, index.CachedDocuments);
    }
}
