using System.IO.Compression;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Branching;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Xunit.Abstractions;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// The concurrent editing trace (two people, a DAG of 26,078 transactions with forks and merges) replayed through the
/// server's own services: one branch per agent, each transaction sent as a client update on its agent's branch, and
/// every time a transaction's parents hold the other agent's work, that work merged in with a real merge (from a fork
/// at the parent's position when the other branch has moved on). Both branches must end at the trace's endContent.
/// </summary>
public sealed class ConcurrentTraceReplayTests(ITestOutputHelper output) : IAsyncLifetime
{
    private BranchingFixture _f = null!;

    public async Task InitializeAsync() => _f = await BranchingFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task friendsforever_replayed_with_one_branch_per_agent_and_real_forks_and_merges_reaches_end_content()
    {
        var trace = Trace.Load();
        var n = trace.Agents;
        var branches = Enumerable.Range(0, n).Select(a => a == 0 ? "main" : $"agent-{a}").ToArray();
        for (var a = 1; a < n; a++) await _f.Branches.ForkAsync(BranchingFixture.Doc, branches[a], "main", 0, null, "alice", default);

        // Each agent: a replica of its branch (a client with its own id, only ever writing on that branch), the branch
        // seq after each of its own transactions, and how many of each agent's transactions its branch holds.
        var replicas = Enumerable.Range(0, n).Select(a => new YDoc(new YDocOptions { ClientId = (uint)(a + 1) })).ToArray();
        var callers = Enumerable.Range(0, n).Select(a => BranchingFixture.Caller($"agent-{a}")).ToArray();
        for (var a = 0; a < n; a++) await _f.Sessions.JoinAsync(BranchingFixture.Ref(branches[a]), callers[a], default);
        var ownSeqs = Enumerable.Range(0, n).Select(_ => new List<long>()).ToArray();
        var holds = Enumerable.Range(0, n).Select(_ => new int[n]).ToArray();
        var versions = new List<int[]>();
        var merges = 0;
        var forks = 0;

        for (var t = 0; t < trace.Txns.Count; t++)
        {
            var txn = trace.Txns[t];
            var me = txn.Agent;
            var version = new int[n];
            foreach (var p in txn.Parents) for (var a = 0; a < n; a++) version[a] = Math.Max(version[a], versions[p][a]);
            Assert.Equal(holds[me][me], version[me]);

            for (var a = 0; a < n; a++)
            {
                if (a == me || holds[me][a] >= version[a]) continue;
                // The other agent's branch as it was after its version[a]-th transaction.
                var seq = ownSeqs[a][version[a] - 1];
                var source = branches[a];
                if ((await _f.Store.GetHeadAsync(BranchingFixture.Ref(source))).Seq.Value != seq)
                {
                    source = $"at-{t}-{a}";
                    await _f.Branches.ForkAsync(BranchingFixture.Doc, source, branches[a], seq, null, "alice", default);
                    forks++;
                }
                var merged = await _f.Merges.MergeAsync(BranchingFixture.Doc, new MergeRequest(source, branches[me], false, null, null), "alice", default);
                if (merged.Seq is { } mergeSeq)
                {
                    merges++;
                    var stored = (await _f.Store.ReadPageAsync(BranchingFixture.Ref(branches[me]), new EventSeq(mergeSeq), 1)).Single();
                    Assert.Equal("merge", stored.Kind.Value);
                    replicas[me].ApplyUpdate(stored.Payload.ToArray());
                }
                holds[me][a] = version[a];
            }

            var update = TextEdits.Capture(replicas[me], () => Apply(replicas[me], txn.Patches));
            var outcome = await _f.Sessions.SyncAsync(BranchingFixture.Ref(branches[me]), callers[me], SyncMessage.EncodeUpdate(update), null, 1 << 20, default);
            ownSeqs[me].Add(outcome.Seq ?? (await _f.Store.GetHeadAsync(BranchingFixture.Ref(branches[me]))).Seq.Value);
            version[me] = ++holds[me][me];
            versions.Add(version);
        }
        output.WriteLine($"{trace.Txns.Count} transactions, {merges} merges, {forks} forks at past positions");

        var last = branches[trace.Txns[^1].Agent];
        Assert.True(trace.EndContent == await _f.LiveTextAsync(last), $"branch {last} does not hold endContent");
        Assert.Equal(await _f.LiveTextAsync(last), await _f.LogTextAsync(last));

        // Everything merged into main: main holds endContent too, and every chain verifies.
        for (var a = 1; a < n; a++) await _f.Merges.MergeAsync(BranchingFixture.Doc, new MergeRequest(branches[a], "main", false, null, null), "alice", default);
        Assert.True(trace.EndContent == await _f.LogTextAsync("main"), "main after merging every agent does not hold endContent");
        foreach (var branch in branches) Assert.True((await _f.Store.VerifyAsync(BranchingFixture.Ref(branch))).IsValid, $"{branch} does not verify");
        Assert.True(merges > 1000, $"only {merges} merges: the replay did not exercise merging");
    }

    private static void Apply(YDoc doc, IReadOnlyList<(int Position, int Delete, string Insert)> patches)
    {
        var text = doc.GetText("text");
        foreach (var (position, delete, insert) in patches)
        {
            if (delete > 0) text.Delete(position, delete);
            if (insert.Length > 0) text.Insert(position, insert);
        }
    }

    private sealed record Txn(int Agent, int[] Parents, IReadOnlyList<(int Position, int Delete, string Insert)> Patches);

    private sealed record Trace(int Agents, string EndContent, IReadOnlyList<Txn> Txns)
    {
        public static Trace Load()
        {
            var path = Path.Combine(SharedData.Root, "data", "editing-traces", "concurrent-friendsforever.json.gz");
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var json = JsonDocument.Parse(gzip);
            var root = json.RootElement;
            var txns = new List<Txn>();
            foreach (var txn in root.GetProperty("txns").EnumerateArray())
            {
                var patches = txn.GetProperty("patches").EnumerateArray()
                    .Select(p => (p[0].GetInt32(), p[1].GetInt32(), p[2].GetString() ?? ""))
                    .ToList();
                txns.Add(new Txn(txn.GetProperty("agent").GetInt32(), txn.GetProperty("parents").EnumerateArray().Select(p => p.GetInt32()).ToArray(), patches));
            }
            return new Trace(root.GetProperty("numAgents").GetInt32(), root.GetProperty("endContent").GetString()!, txns);
        }
    }
}

/// <summary>The shared folder beside the repository (CI has it there too).</summary>
internal static class SharedData
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Collab.sln")))
            {
                var shared = Path.Combine(dir.FullName, "..", "shared");
                if (Directory.Exists(shared)) return Path.GetFullPath(shared);
            }
        }
        throw new DirectoryNotFoundException("The shared folder (../shared beside the repository) was not found.");
    }
}
