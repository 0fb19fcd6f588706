using Collab.Client.Tests.Infrastructure;
using Collab.LoadGenerator;

namespace Collab.Client.Tests;

/// <summary>The load generator's fan-out workload against the real server: what it measures must be what happened.</summary>
[Collection(ServerCollection.Name)]
public sealed class FanoutWorkloadTests(CollabServer server)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task every_update_is_acked_stored_once_and_seen_once_by_the_observer(bool json)
    {
        const int writersPerDocument = 3, updatesPerWriter = 8;
        string token = await server.SignInAsync("fanout-load");
        string[] documents = [await server.CreateDocumentAsync(token, "fan-out 1"), await server.CreateDocumentAsync(token, "fan-out 2")];
        long[] headsBefore = await Task.WhenAll(documents.Select(d => server.MainHeadAsync(token, d)));

        await using var workload = await FanoutWorkload.ConnectAsync(server.BaseUrl, token, documents, writersPerDocument, updatesPerWriter, json, CancellationToken.None);
        // The run ends when every writer has sent its capacity, however long that takes on a busy machine.
        await workload.RunAsync(rate: 20, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.True(await workload.DrainAsync(TimeSpan.FromMinutes(1)), "every update acked and seen");

        var all = workload.Measure(0, long.MaxValue);
        int expected = documents.Length * writersPerDocument * updatesPerWriter;
        Assert.Equal(expected, all.Sent);
        Assert.Equal(expected, all.Acked);
        Assert.Equal(expected, all.Seen);
        Assert.Equal(0, all.Lost);
        Assert.Equal(expected, all.AckLatency.Count);
        Assert.Equal(expected, all.SeenLatency.Count);
        Assert.Equal(0, workload.Errors);
        Assert.Equal(0, workload.Duplicates);
        Assert.Equal(0, workload.ClosedConnections);
        Assert.All(workload.Writers, w => Assert.Equal(updatesPerWriter, w.Sent));

        // Each keystroke was stored once: every branch's head moved by its writers' updates exactly.
        long[] headsAfter = await Task.WhenAll(documents.Select(d => server.MainHeadAsync(token, d)));
        for (int d = 0; d < documents.Length; d++)
        {
            Assert.Equal(headsBefore[d] + (writersPerDocument * updatesPerWriter), headsAfter[d]);
        }
    }

    [Fact]
    public void percentiles_follow_thinloads_definition()
    {
        var ticks = new List<long> { 40, 10, 30, 20 };
        var p = Percentiles.Of(ticks);
        Assert.Equal(4, p.Count);
        Assert.Equal(ticks.Max() * 1000.0 / System.Diagnostics.Stopwatch.Frequency, p.Max);
        Assert.Equal(30 * 1000.0 / System.Diagnostics.Stopwatch.Frequency, p.P50); // floor(0.5 * 4) = index 2 of 10,20,30,40
        Assert.Equal(default, Percentiles.Of([]));
    }
}
