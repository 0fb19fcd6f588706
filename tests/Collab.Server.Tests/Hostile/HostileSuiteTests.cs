using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Protocol;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace Collab.Server.Tests.Hostile;

/// <summary>
/// The hostile-client suite (issue 13): every attack of the issue, one test each, against a real server while honest
/// editors type on the attacked document and on another one. <see cref="FootprintBench.RunAsync"/> checks after each:
/// every honest update was acknowledged and reached the observer, the server's footprint account is back at its
/// baseline once the attacker has left, and the content is exactly what the honest clients wrote. Each test also checks
/// that the attack was refused the way the issue asks (the attacker's side of it).
/// </summary>
public sealed class HostileSuiteTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Finding 1: a forged copy of 1001:0 (alice's first character) under an unknown parent, plus a struct of 0xFFFFFFFF missing its dependency.</summary>
    private static readonly byte[] Forged = Convert.FromHexString("0201ffffffff0f0084feffffff0f00017801e907000400feffffff0f00017900");

    private FootprintBench _bench = null!;

    public async Task InitializeAsync() => _bench = await FootprintBench.StartAsync(output);

    public async Task DisposeAsync() => await _bench.DisposeAsync();

    private string Doc => _bench.DocA;

    private static string CodeOf(Exception ex)
    {
        var match = System.Text.RegularExpressions.Regex.Match(ex.Message, "HubException: ([a-z_]+):");
        Assert.True(match.Success, ex.Message);
        return match.Groups[1].Value;
    }

    private static async Task<string> RefusedAsync(Task call) => CodeOf(await Assert.ThrowsAsync<HubException>(() => call.WaitAsync(FootprintBench.Patience)));

    /// <summary>Appends <paramref name="text"/> to the <paramref name="root"/> text of <paramref name="doc"/> and returns the update.</summary>
    private static byte[] Append(YDoc doc, string text, string root = "text")
    {
        byte[]? update = null;
        void OnUpdate(byte[] u, object? origin) => update = u;
        doc.UpdateV1 += OnUpdate;
        doc.GetText(root).Insert(doc.GetText(root).Length, text);
        doc.UpdateV1 -= OnUpdate;
        return update ?? throw new InvalidOperationException("The edit emitted no update.");
    }

    /// <summary>While alice types: the content read now is what she had typed by then (or one letter more, acked meanwhile).</summary>
    private async Task AssertHonestNowAsync()
    {
        var before = _bench.ExpectedA.Length;
        var text = await _bench.RestTextAsync(Doc);
        Assert.Equal(FootprintBench.HonestText(text.Length), text);
        Assert.True(text.Length >= before, $"{text.Length} < {before}");
    }

    private Task<SyncAck> SendAsync(HubConnection connection, byte[] update, string? updateId) =>
        connection.InvokeAsync<SyncAck>("Sync", Doc, "main", SyncMessage.EncodeUpdate(update), updateId);

    private async Task<HubConnection> JoinedAttackerAsync(string user)
    {
        var connection = _bench.AttackerHub(user);
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", Doc, "main");
        return connection;
    }

    [Fact]
    public async Task finding_1_a_forged_id_pending_update()
    {
        await _bench.RunAsync("forged id", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Editor);
            // It waits (never acknowledged as integrated) and must never be served; sent again and again.
            var forged = Enumerable.Range(0, 20).Select(i => SendAsync(mallory, Forged, $"forged-{i}")).ToList();
            for (var i = 0; i < 5; i++) await AssertHonestNowAsync();
            Assert.DoesNotContain(forged, f => f.IsCompletedSuccessfully);
            await Poll.UntilAsync(() => _bench.Account.Snapshot().Sessions.WaitingUpdates == forged.Count, "the forged updates to wait");
        });
    }

    [Fact]
    public async Task finding_2_awareness_table_growth()
    {
        var refusals = 0;
        await _bench.RunAsync("awareness growth", async () =>
        {
            // Every connection the viewer may open, each trying ~7,200 client ids at once, then as many 60 KB states as
            // it can.
            var state = "{\"pad\":\"" + new string('x', 60 * 1024) + "\"}";
            var tasks = Enumerable.Range(0, FootprintBench.ConnectionCap).Select(c => Task.Run(async () =>
            {
                var vic = await JoinedAttackerAsync(FootprintBench.Viewer);
                var flood = AwarenessUpdate.Write(Enumerable.Range(1, 7200).Select(i => new AwarenessEntry((uint)(c * 10_000 + i), 1, "{}")));
                Assert.Equal("too_large", await RefusedAsync(vic.InvokeAsync("Awareness", Doc, "main", flood)));
                Interlocked.Increment(ref refusals);
                for (var i = 0; i < 6; i++)
                {
                    var update = AwarenessUpdate.Write([new AwarenessEntry((uint)(c * 10_000 + i + 1), 1, state)]);
                    try
                    {
                        await vic.InvokeAsync("Awareness", Doc, "main", update);
                    }
                    catch (HubException ex)
                    {
                        Assert.Equal("too_large", CodeOf(ex)); // per connection (4 ids) or per branch (2 MiB)
                        Interlocked.Increment(ref refusals);
                    }
                }
            }));
            await Task.WhenAll(tasks);
            var held = _bench.Account.Snapshot().Sessions;
            Assert.InRange(held.AwarenessBytes, 0, 2 * 1024 * 1024);
        }, attackerAccounts: 1);
        Assert.True(refusals > FootprintBench.ConnectionCap, $"{refusals} refusals");
    }

    [Fact]
    public async Task finding_3_stalled_readers_and_an_awareness_flood()
    {
        await _bench.RunAsync("stalled readers + flood", async () =>
        {
            var stalled = new List<StalledClient>();
            for (var i = 0; i < 3; i++) stalled.Add(await StalledClient.JoinAndStallAsync(_bench.Host.BaseAddress, _bench.Token(FootprintBench.Viewer), Doc));
            foreach (var client in stalled) _bench.Track(client);
            var flooder = await JoinedAttackerAsync(FootprintBench.Flooder);
            var baseConnections = _bench.Account.Snapshot().HubConnections - stalled.Count;

            // 16 KB presence states until every stalled reader has been dropped (its outbox overflowed).
            var state = "{\"pad\":\"" + new string('x', 16 * 1024) + "\"}";
            var deadline = Environment.TickCount64 + (long)FootprintBench.Patience.TotalMilliseconds;
            for (ulong clock = 1; _bench.Account.Snapshot().HubConnections > baseConnections; clock++)
            {
                await flooder.InvokeAsync("Awareness", Doc, "main", AwarenessUpdate.Write([new AwarenessEntry(77, clock, state)])).WaitAsync(FootprintBench.Patience);
                Assert.True(Environment.TickCount64 < deadline, "the stalled readers were never dropped");
                await Task.Delay(5);
            }
            Assert.Equal(HubConnectionState.Connected, flooder.State);
        }, attackerAccounts: 2);
    }

    [Fact]
    public async Task finding_4_an_oversized_document()
    {
        await _bench.RunAsync("oversized document", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Editor);
            var clockEntries = _bench.Account.Snapshot().Sessions.ClientClockEntries;
            // Each alone would take the document past its limit: refused, the document unchanged. Each comes from a
            // new client id, which the one-client-one-history table must not keep once the update is refused.
            for (var i = 0; i < 10; i++)
            {
                var writer = new YDoc(new YDocOptions { ClientId = 666 + (uint)i });
                var big = Append(writer, new string('m', FootprintBench.MaxDocumentBytes + 1024));
                Assert.Equal("too_large", await RefusedAsync(SendAsync(mallory, big, $"big-{i}")));
            }
            await AssertHonestNowAsync();
            await Poll.UntilAsync(() => _bench.Account.Snapshot().Sessions.ClientClockEntries <= clockEntries, "the refused client ids to leave the client-clock table");
        });
    }

    [Theory]
    [InlineData("000105010000")] // a deleted range of length 0
    [InlineData("0001010203010101")] // ranges of client 1 out of order
    public async Task finding_5_delete_ranges_yjs_would_refuse(string hex)
    {
        await _bench.RunAsync("bad delete ranges " + hex, async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Editor);
            for (var i = 0; i < 50; i++) Assert.Equal("malformed", await RefusedAsync(SendAsync(mallory, Convert.FromHexString(hex), $"bad-{i}")));
        });
    }

    [Fact]
    public async Task finding_6_a_pending_pile_up()
    {
        await _bench.RunAsync("pending pile-up", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Editor);
            // The first update is withheld: every later one waits for it, until the branch's waiting bytes are full.
            var writer = new YDoc(new YDocOptions { ClientId = 667 });
            Append(writer, "withheld");
            var sends = Enumerable.Range(0, 12).Select(i => SendAsync(mallory, Append(writer, new string('p', 20 * 1024)), $"pile-{i}")).ToList();
            // In order: the first six fit in the 128 KiB and wait; each later one would take the branch past it.
            await Poll.UntilAsync(() => _bench.Account.Snapshot().Sessions.WaitingUpdates + sends.Count(t => t.IsCompleted) == 12, "every update to wait or be refused");
            Assert.Equal(6, _bench.Account.Snapshot().Sessions.WaitingUpdates);
            Assert.All(sends.Take(6), send => Assert.False(send.IsCompleted));
            foreach (var send in sends.Skip(6)) Assert.Equal("too_large", await RefusedAsync(send));
            Assert.InRange(_bench.Account.Snapshot().Sessions.WaitingBytes, 1, FootprintBench.MaxPendingBytes);
        });
    }

    [Fact]
    public async Task finding_7_a_flood_of_refused_calls_keeps_the_log_small()
    {
        _bench.Logs.Entries.Clear();
        await _bench.RunAsync("refused-call flood", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Viewer);
            var calls = new List<Task>();
            for (var i = 0; i < 2000; i++)
            {
                calls.Add(i % 2 == 0
                    ? mallory.InvokeAsync<SyncAck>("Sync", Doc, "main", new byte[] { 0xff, 0x01 }, null)
                    : mallory.InvokeAsync("Awareness", _bench.DocB, "main", AwarenessUpdate.Write([new AwarenessEntry(5, 1, "{}")])));
                if (calls.Count < 32) continue;
                foreach (var call in calls) await Assert.ThrowsAsync<HubException>(() => call.WaitAsync(FootprintBench.Patience));
                calls.Clear();
            }
            foreach (var call in calls) await Assert.ThrowsAsync<HubException>(() => call.WaitAsync(FootprintBench.Patience));
        });
        var refusals = _bench.Logs.Entries.Where(e => e.Category == typeof(HubGuardFilter).FullName).ToArray();
        output.WriteLine($"2000 refusals: {refusals.Length} log entries, {refusals.Sum(e => e.Size)} characters");
        // At most 20 per user per 10 s window (the flood may straddle a window or two), never with a stack trace.
        Assert.InRange(refusals.Length, RefusalLogThrottle.PerWindow, 3 * (RefusalLogThrottle.PerWindow + 1));
        Assert.DoesNotContain(refusals, e => e.Exception is not null);
        Assert.True(refusals.Sum(e => e.Size) < 3 * (RefusalLogThrottle.PerWindow + 1) * 400, $"{refusals.Sum(e => e.Size)} characters of log");
    }

    [Fact]
    public async Task finding_8_awareness_spoofing()
    {
        await _bench.RunAsync("awareness spoofing", async () =>
        {
            var vic = await JoinedAttackerAsync(FootprintBench.Viewer);
            var id = FootprintBench.AlicePresence.ClientId;
            for (var i = 0; i < 20; i++)
            {
                // A state under alice's id and its removal with the largest clock: ignored, never relayed.
                await vic.InvokeAsync("Awareness", Doc, "main", AwarenessUpdate.Write([new AwarenessEntry(id, (1UL << 53) - 1, """{"user":"fake"}""")]));
                await vic.InvokeAsync("Awareness", Doc, "main", AwarenessUpdate.Write([new AwarenessEntry(id, (1UL << 53) - 1, "null")]));
            }
            // Its own id is fine (and goes when it leaves).
            await vic.InvokeAsync("Awareness", Doc, "main", AwarenessUpdate.Write([new AwarenessEntry(4242, 1, """{"user":"vic"}""")]));
            Assert.DoesNotContain(_bench.ObserverA.AwarenessReceived, update => AwarenessUpdate.Read(update).Exists(e => e.ClientId == id && e.Clock > 1));
        });
    }

    [Fact]
    public async Task finding_10_a_huge_state_vector()
    {
        static byte[] StateVector(int entries)
        {
            var writer = new Lib0Writer(entries * 8);
            writer.WriteVarUInt((ulong)entries);
            for (var i = 0; i < entries; i++)
            {
                writer.WriteVarUInt((ulong)(5_000_000 + i));
                writer.WriteVarUInt(1_000_000);
            }
            return writer.ToArray();
        }

        await _bench.RunAsync("huge state vector", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Viewer);
            var huge = SyncMessage.EncodeSyncStep1(StateVector(2_000_000)); // ~12 MB, as in the report
            for (var i = 0; i < 3; i++) Assert.Equal("too_large", await RefusedAsync(mallory.InvokeAsync<SyncAck>("Sync", Doc, "main", huge, null)));
            // Just under the limit: answered (with everything, since it knows none of the document's clients).
            var large = SyncMessage.EncodeSyncStep1(StateVector(99_000));
            for (var i = 0; i < 5; i++) Assert.Null((await mallory.InvokeAsync<SyncAck>("Sync", Doc, "main", large, null)).Seq);
        });
    }

    [Fact]
    public async Task finding_11_an_empty_update_id_in_a_batch()
    {
        await _bench.RunAsync("empty update id", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Editor);
            var writer = new YDoc(new YDocOptions { ClientId = 668 });
            var updates = Enumerable.Range(0, 40).Select(_ => Append(writer, "e")).ToList();
            for (var round = 0; round < 5; round++)
            {
                var codes = await Task.WhenAll(updates.Select(u => RefusedAsync(SendAsync(mallory, u, ""))));
                Assert.All(codes, code => Assert.Equal("invalid", code));
            }
        });
    }

    [Fact]
    public async Task finding_12_a_completing_update_releasing_more_than_an_event_holds()
    {
        var writer = new YDoc(new YDocOptions { ClientId = 669 });
        await _bench.RunAsync("completing update", async () =>
        {
            var mallory = await JoinedAttackerAsync(FootprintBench.Editor);
            // Written to a root of its own, so that "text" stays exactly the honest clients'.
            var first = Append(writer, "start ", "mallory");
            var big = Enumerable.Range(0, 3).Select(i => Append(writer, new string((char)('a' + i), 30 * 1024), "mallory")).ToList();
            var held = Enumerable.Range(0, 3).Select(i => SendAsync(mallory, big[2 - i], $"big-{i}")).ToList();
            await Poll.UntilAsync(() => _bench.Account.Snapshot().Sessions.WaitingUpdates == 3, "the big updates to wait");

            // ~90 KB released at once, over the 64 KiB event limit: stored in pieces, and every sender acknowledged.
            var completing = await SendAsync(mallory, first, "first").WaitAsync(FootprintBench.Patience);
            Assert.NotNull(completing.Seq);
            foreach (var task in held) Assert.Equal(completing.Seq, (await task.WaitAsync(FootprintBench.Patience)).Seq);
        });
        using var http = new HttpClient { BaseAddress = _bench.Host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _bench.Token("olga"));
        var content = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(http, $"/api/documents/{Doc}/content");
        var ydoc = new YDoc();
        ydoc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
        Assert.Equal(writer.GetText("mallory").ToString(), ydoc.GetText("mallory").ToString());
    }

    [Fact]
    public async Task a_connection_flood_from_one_user()
    {
        await _bench.RunAsync("connection flood", async () =>
        {
            var flood = Enumerable.Range(0, 5 * FootprintBench.ConnectionCap).Select(_ => _bench.AttackerHub(FootprintBench.Viewer)).ToList();
            var outcomes = await Task.WhenAll(flood.Select(c => HubJoin.TryJoinAsync(c, Doc)));
            Assert.Equal(FootprintBench.ConnectionCap, outcomes.Count(o => o is null));
            Assert.All(outcomes.Where(o => o is not null), message => Assert.Contains("too_many_connections", message, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task a_join_leave_storm()
    {
        await _bench.RunAsync("join/leave storm", async () =>
        {
            var mallory = _bench.AttackerHub(FootprintBench.Editor);
            await mallory.StartAsync();
            for (var i = 0; i < 300; i++)
            {
                await mallory.InvokeAsync<JoinResult>("Join", Doc, "main");
                await mallory.InvokeAsync("Awareness", Doc, "main", AwarenessUpdate.Write([new AwarenessEntry(1000, (ulong)i + 1, """{"user":"m"}""")]));
                await mallory.InvokeAsync("Leave", Doc, "main");
            }
            // Connections that join, publish presence and drop without leaving.
            for (var i = 0; i < 30; i++)
            {
                var brief = Hub(FootprintBench.Editor);
                await brief.StartAsync();
                await brief.InvokeAsync<JoinResult>("Join", Doc, "main");
                await brief.InvokeAsync("Awareness", Doc, "main", AwarenessUpdate.Write([new AwarenessEntry(2000 + (uint)i, 1, "{}")]));
                await brief.DisposeAsync();
            }
        });
    }

    private HubConnection Hub(string user)
    {
        var connection = _bench.Hub(user);
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        connection.On<string, string, byte[]>("Awareness", (_, _, _) => { });
        return connection;
    }
}
