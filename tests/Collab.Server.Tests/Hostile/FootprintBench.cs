using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Server.Diagnostics;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Collab.Server.Tests.Hostile;

/// <summary>
/// The stage every hostile-client test runs on: a real server (Kestrel, real WebSockets, LiteDB) with small limits, two
/// documents, an honest editor on each (<see cref="Alice"/> on <see cref="DocA"/>, the attacked one; <see cref="Dave"/>
/// on <see cref="DocB"/>) and an honest observer on each. <see cref="RunAsync"/> takes the footprint baseline, keeps
/// both editors typing while the attack runs, disconnects the attacker, and then checks the three after-conditions:
/// every edit was acknowledged and reached the observer (others stay served), every structural counter of the
/// server's footprint is back at its baseline (memory), and the content is exactly what the honest clients wrote.
/// </summary>
internal sealed class FootprintBench : IAsyncDisposable
{
    /// <summary>Users with a role on <see cref="DocA"/> that attacks may use (mallory: editor; vic, flo: viewers).</summary>
    public const string Editor = "mallory";

    public const string Viewer = "vic";

    public const string Flooder = "flo";

    /// <summary>Per-user hub connections (small, so that a flood reaches it at once).</summary>
    public const int ConnectionCap = 8;

    public const int MaxDocumentBytes = 512 * 1024;

    public const int MaxPendingBytes = 128 * 1024;

    public const int MaxEventBytes = 64 * 1024;

    public const int MaxOutboxBytes = 2 * 1024 * 1024;

    /// <summary>Generous bound on any one wait: reached only when something is broken, never a latency claim.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _folder = TestSettings.TempFolder();
    private readonly ITestOutputHelper _output;
    private readonly List<IAsyncDisposable> _attackers = [];

    private FootprintBench(ITestOutputHelper output)
    {
        _output = output;
        Host = new KestrelHost(_folder, inMemory: false, Settings()) { Logs = Logs };
    }

    public KestrelHost Host { get; }

    public LogCapture Logs { get; } = new();

    public string DocA { get; private set; } = "";

    public string DocB { get; private set; } = "";

    public TestPeer Alice { get; private set; } = null!;

    public TestPeer Dave { get; private set; } = null!;

    public TestPeer ObserverA { get; private set; } = null!;

    public TestPeer ObserverB { get; private set; } = null!;

    /// <summary>What alice (on A) and dave (on B) have typed, each acknowledged.</summary>
    public string ExpectedA { get; private set; } = "";

    public string ExpectedB { get; private set; } = "";

    /// <summary>Alice's awareness state: part of the baseline, so an attack that removes or overwrites it shows.</summary>
    public static readonly AwarenessEntry AlicePresence = new(1001, 1, """{"user":"alice","cursor":0}""");

    public static Dictionary<string, string?> Settings() => new()
    {
        ["Collab:Limits:MaxConnectionsPerUser"] = Invariant(ConnectionCap),
        ["Collab:Limits:MaxOutboxBytes"] = Invariant(MaxOutboxBytes),
        ["Collab:Sessions:MaxDocumentBytes"] = Invariant(MaxDocumentBytes),
        ["Collab:Sessions:MaxPendingBytes"] = Invariant(MaxPendingBytes),
        ["Collab:Sessions:MaxEventBytes"] = Invariant(MaxEventBytes),
        // Waiting content expires quickly and the sweep looks often, so that what an attacker left waiting is gone in
        // seconds; snapshots are frequent, so that every attack runs across several.
        ["Collab:Sessions:PendingMaxAge"] = "00:00:02",
        ["Collab:Sessions:SweepInterval"] = "00:00:00.500",
        ["Collab:Sessions:SnapshotEvery"] = "25",
        // Refusals are logged at information (rate-limited ones at debug): capture them to count them.
        ["Logging:LogLevel:Collab.Server.Hubs.HubGuardFilter"] = "Debug",
    };

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static async Task<FootprintBench> StartAsync(ITestOutputHelper output)
    {
        var bench = new FootprintBench(output);
        await bench.Host.StartAsync();
        bench.DocA = await bench.Host.CreateDocumentAsync("alice", (Editor, "editor"), (Viewer, "viewer"), (Flooder, "viewer"), ("olga", "viewer"));
        bench.DocB = await bench.Host.CreateDocumentAsync("dave", ("olga", "viewer"));
        bench.Alice = TestPeer.Create(bench.Host.Hub(bench.Host.Token("alice")), bench.DocA, clientId: 1001);
        bench.Dave = TestPeer.Create(bench.Host.Hub(bench.Host.Token("dave")), bench.DocB, clientId: 2001);
        bench.ObserverA = TestPeer.Create(bench.Host.Hub(bench.Host.Token("olga")), bench.DocA, clientId: 3001);
        bench.ObserverB = TestPeer.Create(bench.Host.Hub(bench.Host.Token("olga")), bench.DocB, clientId: 3002);
        foreach (var peer in new[] { bench.Alice, bench.Dave, bench.ObserverA, bench.ObserverB }) await peer.JoinAsync();
        await bench.Alice.Connection.InvokeAsync("Awareness", bench.DocA, "main", AwarenessUpdate.Write([AlicePresence]));
        await bench.TypeAsync(bench.Alice, 5);
        await bench.TypeAsync(bench.Dave, 5);
        await bench.ObserverA.WaitForTextAsync(bench.ExpectedA, (int)Patience.TotalMilliseconds);
        await bench.ObserverB.WaitForTextAsync(bench.ExpectedB, (int)Patience.TotalMilliseconds);
        return bench;
    }

    public FootprintAccount Account => Host.Services.GetRequiredService<FootprintAccount>();

    public string Token(string user) => Host.Token(user);

    public HubConnection Hub(string user) => Host.Hub(Host.Token(user));

    /// <summary>An attacker's connection (MessagePack, handlers for what the server sends), closed before the after-checks.</summary>
    public HubConnection AttackerHub(string user)
    {
        var connection = Hub(user);
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        connection.On<string, string, byte[]>("Awareness", (_, _, _) => { });
        Track(connection);
        return connection;
    }

    /// <summary>An attacker's peer on <see cref="DocA"/>, closed before the after-checks.</summary>
    public TestPeer AttackerPeer(string user, uint clientId)
    {
        var peer = TestPeer.Create(Hub(user), DocA, clientId);
        Track(peer);
        return peer;
    }

    /// <summary>Something of the attacker's that <see cref="RunAsync"/> closes once the attack is over.</summary>
    public void Track(IAsyncDisposable attacker)
    {
        lock (_attackers) _attackers.Add(attacker);
    }

    /// <summary>
    /// Runs <paramref name="attack"/> against <see cref="DocA"/> while alice and dave type, then disconnects everything it
    /// tracked and checks the after-conditions. <paramref name="attackerAccounts"/>: how many user names the attack used
    /// (the per-account tables may grow by that many, no more).
    /// </summary>
    public async Task RunAsync(string name, Func<Task> attack, int attackerAccounts = 1)
    {
        var baseline = await QuiescentAsync();

        // Others stay served: both editors keep typing, each update awaited (bounded, generous) for its ack, until the
        // attack is over and each has had at least three more acks after it.
        using var stop = new CancellationTokenSource();
        var attackRunning = 1;
        var duringAttack = new int[2];
        var typists = new[] { (Alice, 0), (Dave, 1) }.Select(t => Task.Run(async () =>
        {
            var after = 0;
            while (!stop.IsCancellationRequested || after < 3)
            {
                await TypeAsync(t.Item1, 1);
                if (Volatile.Read(ref attackRunning) == 1) Interlocked.Increment(ref duringAttack[t.Item2]);
                else after++;
                await Task.Delay(15);
            }
        })).ToArray();

        try
        {
            await attack().WaitAsync(TimeSpan.FromSeconds(90));
        }
        finally
        {
            Volatile.Write(ref attackRunning, 0);
            await stop.CancelAsync();
        }
        await Task.WhenAll(typists).WaitAsync(Patience);
        _output.WriteLine($"{name}: acks during the attack: alice {duringAttack[0]}, dave {duringAttack[1]}; text lengths {ExpectedA.Length}/{ExpectedB.Length}");

        // The attacker leaves.
        List<IAsyncDisposable> attackers;
        lock (_attackers)
        {
            attackers = [.. _attackers];
            _attackers.Clear();
        }
        foreach (var attacker in attackers) await attacker.DisposeAsync();

        // Content: exactly what the honest clients wrote, for the observers, the REST read and a fresh joiner.
        await ObserverA.WaitForTextAsync(ExpectedA, (int)Patience.TotalMilliseconds);
        await ObserverB.WaitForTextAsync(ExpectedB, (int)Patience.TotalMilliseconds);
        Assert.Equal(ExpectedA, await RestTextAsync(DocA));
        Assert.Equal(ExpectedB, await RestTextAsync(DocB));
        await using (var joiner = TestPeer.Create(Hub("olga"), DocA, clientId: 3999))
        {
            await joiner.JoinAsync();
            await joiner.WaitForTextAsync(ExpectedA, (int)Patience.TotalMilliseconds);
            // Alice's presence is still hers, as she published it.
            await Poll.UntilAsync(() => joiner.AwarenessReceived.Any(update => AwarenessUpdate.Read(update).Contains(AlicePresence)), "alice's presence to reach a joiner");
        }

        // Memory: every structural counter back at its baseline; per-account tables grown by the attacker's accounts at most.
        var after = await SettlesAtAsync(baseline.Structural());
        Assert.InRange(after.RateLimitBuckets, 0, baseline.RateLimitBuckets + attackerAccounts);
        Assert.InRange(after.RefusalLogUsers, 0, baseline.RefusalLogUsers + attackerAccounts);
        _output.WriteLine($"{name}: footprint back at its baseline: {after.Structural()}");

        // The honest connections were never dropped, and no server failure was logged.
        Assert.All(new[] { Alice, Dave, ObserverA, ObserverB }, peer => Assert.Equal(HubConnectionState.Connected, peer.Connection.State));
        Assert.DoesNotContain(Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    /// <summary>Waits until nothing is queued or in flight, and returns the footprint then.</summary>
    public async Task<ServerFootprint> QuiescentAsync()
    {
        await Poll.UntilAsync(() =>
        {
            var now = Account.Snapshot();
            return now.Sessions.QueuedWork == 0 && now.HubOutboxMessages == 0 && now.HubOutboxBytes == 0 && now.Sessions.WaitingUpdates == 0;
        }, "the server to go quiet");
        return Account.Snapshot();
    }

    /// <summary>Waits until the structural footprint equals <paramref name="expected"/>; fails showing both when it does not.</summary>
    public async Task<ServerFootprint> SettlesAtAsync(ServerFootprint expected)
    {
        var deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (true)
        {
            var now = Account.Snapshot();
            if (now.Structural() == expected) return now;
            if (Environment.TickCount64 > deadline) Assert.Equal(expected, now.Structural()); // shows what is left behind
            await Task.Delay(50);
        }
    }

    /// <summary>What an honest editor's text is after <paramref name="length"/> letters: a, b, c, … z, a, …</summary>
    public static string HonestText(int length) => string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26))));

    /// <summary>Types <paramref name="letters"/> letters at the end of an honest editor's text, each acknowledged with a seq.</summary>
    public async Task TypeAsync(TestPeer editor, int letters)
    {
        for (var i = 0; i < letters; i++)
        {
            var isA = ReferenceEquals(editor, Alice);
            var expected = isA ? ExpectedA : ExpectedB;
            var letter = ((char)('a' + (expected.Length % 26))).ToString();
            var ack = await editor.InsertAsync(expected.Length, letter).WaitAsync(Patience);
            Assert.NotNull(ack.Seq);
            if (isA) ExpectedA = expected + letter;
            else ExpectedB = expected + letter;
        }
    }

    public async Task<string> RestTextAsync(string doc)
    {
        using var http = new HttpClient { BaseAddress = Host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Token("olga"));
        var content = await http.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/content");
        var ydoc = new YDoc();
        ydoc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
        Assert.False(ydoc.HasPending);
        return ydoc.GetText("text").ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var attacker in _attackers) await attacker.DisposeAsync();
        foreach (var peer in new[] { Alice, Dave, ObserverA, ObserverB }) if (peer is not null) await peer.DisposeAsync();
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
