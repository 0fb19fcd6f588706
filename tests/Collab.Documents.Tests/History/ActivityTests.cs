using Collab.Documents.History;
using Collab.Documents.Tests.Branching;

namespace Collab.Documents.Tests.History;

public sealed class ActivityTests : StoryTests
{
    [Fact]
    public async Task edits_are_grouped_by_author_and_pause()
    {
        var activity = await F.Activity.ActivityAsync(BranchingFixture.Doc, new PositionQuery("main"), null, "aud", default);
        Assert.Equal(300, activity.GroupGapSeconds);
        Assert.Equal(
            [("alice", 1L, 1L, 1), ("erin", 2L, 2L, 1), ("alice", 3L, 4L, 2)],
            activity.Sessions.Select(s => (s.Author, s.FirstSeq, s.LastSeq, s.Events)));
        var first = activity.Sessions[0];
        Assert.Equal((12, 0), (first.CharsInserted, first.Deleted));
        Assert.Equal(["text"], first.Roots);
        var last = activity.Sessions[2];
        Assert.Equal(5 + 6, last.CharsInserted); // "slept" and the merged " black"
        Assert.Equal(3, last.Deleted);
        Assert.Equal(["merge", "update"], last.Kinds);
        Assert.Equal(HistoryFixture.Start.AddMinutes(20), last.FirstTime);
        Assert.Equal(HistoryFixture.Start.AddMinutes(21), last.LastTime);

        var wide = await F.Activity.ActivityAsync(BranchingFixture.Doc, new PositionQuery("main"), TimeSpan.FromMinutes(30), "aud", default);
        Assert.Equal([("alice", 1L, 4L), ("erin", 2L, 2L)], wide.Sessions.Select(s => (s.Author, s.FirstSeq, s.LastSeq)));

        var feature = await F.Activity.ActivityAsync(BranchingFixture.Doc, new PositionQuery("feature"), null, "aud", default);
        Assert.Equal([("alice", "main"), ("erin", "feature,main")], feature.Sessions.Select(s => (s.Author, string.Join(",", s.Branches))));
    }

    [Fact]
    public async Task the_event_log_filters_by_author_kind_and_time_with_decoded_summaries()
    {
        var byErin = await F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main", Author: "erin"), "aud", default);
        var only = Assert.Single(byErin.Events);
        Assert.Equal((2L, "update", 11, 0), (only.Seq, only.Kind, only.CharsInserted, only.Deleted));
        Assert.Equal([2u], only.ClientIds);

        var merges = await F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main", Kind: "merge"), "aud", default);
        Assert.Equal([4L], merges.Events.Select(e => e.Seq));

        var late = await F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main", Since: HistoryFixture.Start.AddMinutes(10)), "aud", default);
        Assert.Equal([3L, 4L], late.Events.Select(e => e.Seq));
        var early = await F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main", Until: HistoryFixture.Start.AddMinutes(1)), "aud", default);
        Assert.Equal([1L, 2L], early.Events.Select(e => e.Seq));

        var page = await F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main", From: 2, Max: 1), "aud", default);
        Assert.Equal([2L], page.Events.Select(e => e.Seq));
        Assert.Equal(3L, page.Next);
        Assert.Equal(["text"], page.Events[0].Roots);

        var viewer = await Assert.ThrowsAsync<CollabException>(() => F.Activity.EventsAsync(BranchingFixture.Doc, new EventFilter("main"), "vic", default));
        Assert.Equal(CollabErrorCode.Forbidden, viewer.Code);
    }
}
