using Collab.Crdt.Updates;
using static Collab.Crdt.Tests.Updates.YjsVectors;

namespace Collab.Crdt.Tests.Updates;

public sealed class YUpdateSummaryTests
{
    [Fact]
    public void summary_lists_inserted_runs_per_client_joined_across_structs()
    {
        var summary = YUpdate.Summarize(Bytes(TextFull));
        Assert.Equal([7u], summary.ClientIds);
        Assert.Equal([new ClockRange(0, 7)], summary.Inserted[7]);
        Assert.Empty(summary.Deleted);
        Assert.Equal(7UL, summary.InsertedLength);
        Assert.False(summary.IsEmpty);
    }

    [Fact]
    public void summary_leaves_skipped_gaps_out_of_the_inserted_ranges()
    {
        var summary = YUpdate.Summarize(Bytes(Merge13));
        Assert.Equal([new ClockRange(0, 2), new ClockRange(6, 1)], summary.Inserted[7]);
    }

    [Fact]
    public void summary_reports_the_delete_set_by_the_client_that_created_the_items()
    {
        var summary = YUpdate.Summarize(Bytes(AnyFull));
        Assert.Equal([new ClockRange(1, 2)], summary.Deleted[300]);
        Assert.Equal(2UL, summary.DeletedLength);
    }

    [Fact]
    public void a_delete_only_update_carries_no_client_ids_but_is_not_empty()
    {
        var summary = YUpdate.Summarize(Bytes(GcUpdates[4]));
        Assert.Empty(summary.ClientIds);
        Assert.Equal([new ClockRange(5, 4)], summary.Deleted[9]);
        Assert.False(summary.IsEmpty);
        Assert.False(YUpdate.IsEmpty(Bytes(GcUpdates[4])));
    }

    [Fact]
    public void summary_of_several_clients_lists_them_in_descending_order()
    {
        var summary = YUpdate.Summarize(Bytes(GcFull));
        Assert.Equal([9u, 3u], summary.ClientIds);
        Assert.Equal([new ClockRange(0, 9)], summary.Inserted[9]);
        Assert.Equal([new ClockRange(0, 6)], summary.Inserted[3]);
    }

    [Fact]
    public void the_empty_update_is_empty()
    {
        Assert.True(YUpdate.IsEmpty(YUpdate.Empty));
        Assert.True(YUpdate.Summarize(YUpdate.Empty).IsEmpty);
        Assert.False(YUpdate.IsEmpty(Bytes(TextU1)));
    }

    [Fact]
    public void diffing_an_update_against_its_own_state_vector_leaves_an_update_without_structs()
    {
        foreach (string hex in new[] { TextFull, AnyFull, GcFull, MapFull })
        {
            var update = Bytes(hex);
            var rest = YUpdate.Diff(update, YUpdate.StateVector(update));
            Assert.Empty(YUpdate.Summarize(rest).Inserted);
        }
    }
}
