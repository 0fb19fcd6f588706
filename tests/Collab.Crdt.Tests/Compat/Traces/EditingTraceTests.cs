using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using static Collab.Crdt.Tests.Compat.YjsFixtures;

namespace Collab.Crdt.Tests.Compat.Traces;

/// <summary>
/// The editing traces replayed into the engine and, on the same machine, into the real yjs (tests/js/lib/traces.mjs).
/// yjs's results are cached in tests/js/fixtures-out/traces, keyed by the trace, the lock file and the replay script.
/// </summary>
public sealed class EditingTraceTests
{
    [Theory]
    [InlineData("automerge-paper")]
    [InlineData("seph-blog1")]
    public async Task a_sequential_trace_replays_to_yjs_text_and_bytes(string name)
    {
        string path = JsEnvironment.Trace(name);
        var trace = TraceFile.Load(path);
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        var text = doc.GetText("text");
        using var updatesHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int updateCount = 0;
        var lengthPrefix = new byte[4];
        doc.UpdateV1 += (u, _) =>
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(lengthPrefix, (uint)u.Length);
            updatesHash.AppendData(lengthPrefix);
            updatesHash.AppendData(u);
            updateCount++;
        };
        foreach (var txn in trace.Txns)
        {
            doc.Transact(() => TraceFile.ApplyPatches(text, txn.Patches));
        }

        var yjs = await YjsResultAsync("traceSequential", path);
        Assert.True(yjs["endContentMatches"]!.GetValue<bool>(), "yjs itself does not reach endContent: the replay method is wrong");
        Assert.True(trace.EndContent == text.ToString(), $"{name}: text differs from endContent");
        Assert.Equal(yjs["updateCount"]!.GetValue<int>(), updateCount);
        Assert.Equal(yjs["updatesSha256"]!.GetValue<string>(), Convert.ToHexStringLower(updatesHash.GetHashAndReset()));
        byte[] update = doc.EncodeStateAsUpdate();
        AssertBytes(Bytes(yjs["update"]), update, name + ": EncodeStateAsUpdate");

        var loaded = new YDoc(new YDocOptions { ClientId = 2 });
        loaded.ApplyUpdate(update);
        Assert.True(trace.EndContent == loaded.GetText("text").ToString(), $"{name}: reloaded text differs from endContent");
    }

    /// <summary>
    /// One doc per agent (client id = agent + 1). Before each transaction its agent's doc is brought to exactly the
    /// union of the transaction's parents: per agent, the number of that agent's transactions the parents include (a
    /// clock would not do: a delete-only transaction does not advance it). The other agents' per-transaction updates
    /// up to that count are applied. yjs replays the same way (lib/traces.mjs) and must reach endContent too.
    /// </summary>
    [Fact]
    public async Task the_concurrent_trace_replayed_per_agent_with_forks_and_merges_reaches_end_content()
    {
        string path = JsEnvironment.Trace("concurrent-friendsforever");
        var trace = TraceFile.Load(path);
        int n = trace.NumAgents;
        var docs = new YDoc[n];
        var logs = new List<byte[]?>[n];
        var applied = new int[n][];
        for (int a = 0; a < n; a++)
        {
            docs[a] = new YDoc(new YDocOptions { ClientId = (uint)a + 1 });
            logs[a] = [];
            applied[a] = new int[n];
        }

        var inOrder = new List<byte[]>();
        var versions = new List<int[]>();
        for (int t = 0; t < trace.Txns.Count; t++)
        {
            var txn = trace.Txns[t];
            var target = new int[n];
            foreach (int p in txn.Parents)
            {
                for (int a = 0; a < n; a++)
                {
                    target[a] = Math.Max(target[a], versions[p][a]);
                }
            }

            int me = txn.Agent;
            var d = docs[me];
            for (int a = 0; a < n; a++)
            {
                if (a == me)
                {
                    Assert.True(applied[me][a] == target[a], $"txn {t}: agent {me} holds {applied[me][a]} own txns, parents say {target[a]}");
                    continue;
                }

                Assert.True(applied[me][a] <= target[a], $"txn {t}: agent {me} holds more of agent {a} than its parents");
                while (applied[me][a] < target[a])
                {
                    if (logs[a][applied[me][a]++] is { } u)
                    {
                        d.ApplyUpdate(u);
                    }
                }
            }

            byte[]? update = null;
            void Capture(byte[] u, object? origin) => update = u;
            d.UpdateV1 += Capture;
            d.Transact(() => TraceFile.ApplyPatches(d.GetText("text"), txn.Patches));
            d.UpdateV1 -= Capture;
            logs[me].Add(update);
            if (update is not null)
            {
                inOrder.Add(update);
            }

            target[me] = ++applied[me][me];
            versions.Add(target);
        }

        var last = docs[trace.Txns[^1].Agent];
        Assert.True(trace.EndContent == last.GetText("text").ToString(), "the last transaction's agent does not hold endContent");
        var merged = new YDoc(new YDocOptions { ClientId = 99 });
        foreach (byte[] u in inOrder)
        {
            merged.ApplyUpdate(u);
        }

        Assert.True(trace.EndContent == merged.GetText("text").ToString(), "all updates merged do not give endContent");
        Assert.False(merged.HasPending);

        var yjs = await YjsResultAsync("traceConcurrent", path);
        Assert.True(yjs["endContentMatches"]!.GetValue<bool>(), "yjs replayed the same way does not reach endContent");
    }

    private static readonly SemaphoreSlim s_nodeLock = new(1, 1);

    /// <summary>yjs's replay of a trace, from the cache or from a Node peer (then cached).</summary>
    private static async Task<JsonNode> YjsResultAsync(string cmd, string tracePath)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(await File.ReadAllBytesAsync(tracePath));
        sha.AppendData(await File.ReadAllBytesAsync(Path.Combine(JsEnvironment.JsDir, "package-lock.json")));
        sha.AppendData(await File.ReadAllBytesAsync(Path.Combine(JsEnvironment.JsDir, "lib", "traces.mjs")));
        string key = Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
        string dir = Path.Combine(JsEnvironment.JsDir, "fixtures-out", "traces");
        string file = Path.Combine(dir, $"{Path.GetFileName(tracePath)}.{cmd}.{key}.json");
        await s_nodeLock.WaitAsync();
        try
        {
            if (File.Exists(file))
            {
                return JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            }

            await using var node = await NodePeer.StartAsync();
            var result = (await node.CallAsync(cmd, new JsonObject { ["file"] = tracePath }, TimeSpan.FromMinutes(3)))!;
            Directory.CreateDirectory(dir);
            string tmp = file + ".tmp";
            await File.WriteAllTextAsync(tmp, result.ToJsonString());
            File.Move(tmp, file, overwrite: true);
            return result;
        }
        finally
        {
            s_nodeLock.Release();
        }
    }
}
