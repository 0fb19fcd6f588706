using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests;

/// <summary>The in-memory update-id table: one small table for a small branch, shards past <see cref="UpdateIdMap.SplitAt"/>.</summary>
public sealed class UpdateIdMapTests
{
    [Fact]
    public void A_small_branch_keeps_one_table_and_finds_every_id()
    {
        var map = new UpdateIdMap(0);
        for (var i = 1; i <= 100; i++) map.Add($"u-{i}", i);

        Assert.False(map.IsSharded);
        Assert.Equal(100, map.Count);
        Assert.Equal(100, map.ThroughSeq);
        for (var i = 1; i <= 100; i++) Assert.Equal(i, map.Candidate($"u-{i}"));
        Assert.Null(map.Candidate("u-101"));
    }

    [Fact]
    public void Past_the_split_every_id_before_and_after_it_is_still_found()
    {
        var map = new UpdateIdMap(0);
        var total = UpdateIdMap.SplitAt * 2 + 7;
        for (var i = 1; i <= total; i++)
        {
            map.Add($"id-{i}", i);
            if (i == UpdateIdMap.SplitAt - 1) Assert.False(map.IsSharded);
        }

        Assert.True(map.IsSharded);
        Assert.Equal(total, map.Count);
        for (var i = 1; i <= total; i++) Assert.Equal(i, map.Candidate($"id-{i}"));
        Assert.Null(map.Candidate("id-0"));
    }

    [Fact]
    public void An_empty_map_has_no_candidate()
    {
        var map = new UpdateIdMap(5);
        Assert.Null(map.Candidate("anything"));
        Assert.Equal(5, map.ThroughSeq);
    }
}
