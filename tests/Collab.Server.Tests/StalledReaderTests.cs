using System.Diagnostics;
using Collab.Crdt.Protocol;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Collab.Server.Tests;

/// <summary>
/// A connection that joins and stops reading must not slow anyone else down: on the real server with real sockets, one
/// viewer stalls while another floods awareness, and an editor's acknowledgements stay fast.
/// </summary>
public sealed class StalledReaderTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = TestSettings.TempFolder();
    private KestrelHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = new KestrelHost(_folder, inMemory: true, new Dictionary<string, string?>
        {
            // Small enough that the stalled connection overflows quickly, large enough for honest clients on a busy machine.
            ["Collab:Limits:MaxOutboxMessages"] = "4096",
            ["Collab:Limits:MaxOutboxBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task an_editors_acks_stay_fast_while_joined_connections_stop_reading_and_another_floods_awareness()
    {
        var doc = await _host.CreateDocumentAsync("alice", ("vic", "viewer"), ("flo", "viewer"));
        var created = await _host.MainHeadAsync(doc); // the directory events of creation and the grants
        var registry = _host.Services.GetRequiredService<ConnectionRegistry>();
        await using var editor = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 1);
        await editor.JoinAsync();
        await using var flooder = _host.Hub(_host.Token("flo"));
        flooder.On<string, string, byte[]>("Awareness", (_, _, _) => { });
        flooder.On<string, string, byte[]>("Sync", (_, _, _) => { });
        await flooder.StartAsync();
        await flooder.InvokeAsync<JoinResult>("Join", doc, "main");
        var stalled = new List<StalledClient> { await StalledClient.JoinAndStallAsync(_host.BaseAddress, _host.Token("vic"), doc) };
        Assert.Equal(3, registry.Count);

        // The flood: 16 KB presence states, about 200 a second (what one user may send), until told to stop.
        var state = "{\"pad\":\"" + new string('x', 16 * 1024) + "\"}";
        using var stopFlood = new CancellationTokenSource();
        var flooded = 0;
        var flood = Task.Run(async () =>
        {
            var inFlight = new List<Task>();
            for (ulong clock = 1; !stopFlood.IsCancellationRequested; clock++)
            {
                inFlight.Add(flooder.InvokeAsync("Awareness", doc, "main", AwarenessUpdate.Write([new AwarenessEntry(77, clock, state)]), stopFlood.Token));
                await Task.Delay(5);
                if (inFlight.Count < 4) continue;
                var done = await Task.WhenAny(inFlight);
                inFlight.Remove(done);
                try
                {
                    await done;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                Interlocked.Increment(ref flooded);
            }
            try
            {
                await Task.WhenAll(inFlight);
            }
            catch (OperationCanceledException)
            {
                // stopped while some were in flight
            }
        });

        // An editor types ten keystrokes a second for six seconds, not waiting for acks (as a browser does), while a new
        // connection that never reads joins every two seconds.
        var sends = new List<Task<(long Seq, double Ms)>>();
        async Task<(long Seq, double Ms)> TimedInsertAsync()
        {
            var watch = Stopwatch.StartNew();
            var ack = await editor.InsertAsync(0, "k");
            return (ack.Seq!.Value, watch.Elapsed.TotalMilliseconds);
        }

        var typing = Stopwatch.StartNew();
        for (var i = 0; i < 60; i++)
        {
            if (i > 0 && i % 20 == 0) stalled.Add(await StalledClient.JoinAndStallAsync(_host.BaseAddress, _host.Token("vic"), doc));
            sends.Add(TimedInsertAsync());
            var next = TimeSpan.FromMilliseconds(100 * (i + 1)) - typing.Elapsed;
            if (next > TimeSpan.Zero) await Task.Delay(next);
        }
        var latencies = new List<double>();
        var seqs = new List<long>();
        foreach (var send in sends)
        {
            var (seq, ms) = await send.WaitAsync(TimeSpan.FromSeconds(60));
            seqs.Add(seq);
            latencies.Add(ms);
        }
        latencies.Sort();
        var p95 = latencies[(int)Math.Ceiling(latencies.Count * 0.95) - 1];
        output.WriteLine($"flooded {Volatile.Read(ref flooded)} awareness updates; ack latency ms: median {latencies[latencies.Count / 2]:F1}, p95 {p95:F1}, max {latencies[^1]:F1}");
        Assert.Equal(Enumerable.Range(1, 60).Select(i => created + i), seqs.Order());
        Assert.True(p95 < 1000, $"p95 ack latency {p95:F0} ms while readers stall");

        // Every connection that fell behind is dropped (the flood goes on until they are); the editor and the flooder are not.
        var deadline = Stopwatch.StartNew();
        while (registry.Count != 2 && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
        await stopFlood.CancelAsync();
        await flood.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, registry.Count);
        Assert.Equal(HubConnectionState.Connected, flooder.State);
        Assert.Equal(HubConnectionState.Connected, editor.Connection.State);
        Assert.Equal(created + 61, (await editor.InsertAsync(0, "!")).Seq);
        foreach (var client in stalled) await client.DisposeAsync();
    }
}
