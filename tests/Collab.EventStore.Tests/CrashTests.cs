using System.Diagnostics;
using System.Text;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests;

public sealed class CrashTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task every_acknowledged_append_survives_sigkill_at_random_moments()
    {
        const int rounds = 20;
        var path = _dir.File("crash.db");
        var child = Path.Combine(AppContext.BaseDirectory, "Collab.EventStore.CrashChild.dll");
        Assert.True(File.Exists(child), $"missing {child}");
        var random = new Random(20261127);
        var acknowledged = new Dictionary<long, string>();
        var main = BranchRef.MainOf(new DocumentId("crash"));

        for (var round = 0; round < rounds; round++)
        {
            var lines = await RunAndKill(child, path, round, random);
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                Assert.Equal("ACK", parts[0]);
                acknowledged[long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = parts[2];
            }

            await using var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path });
            var head = await store.GetHeadAsync(main);
            var verification = await store.VerifyAsync(main);
            Assert.True(verification.IsValid, $"round {round}: {verification.FirstBroken?.Reason}");
            var events = new List<StoredEvent>();
            await foreach (var e in store.ReadAsync(main, new EventSeq(1), EventSeq.MaxValue)) events.Add(e);
            Assert.Equal(head.Seq.Value, events.Count);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq.Value));
            foreach (var (seq, text) in acknowledged)
            {
                Assert.True(seq <= head.Seq.Value, $"round {round}: acknowledged seq {seq} is missing (head {head.Seq})");
                Assert.Equal(text, Encoding.UTF8.GetString(events[(int)seq - 1].Payload.Span));
            }
        }

        Assert.True(acknowledged.Count >= rounds, $"only {acknowledged.Count} acknowledgements in {rounds} rounds");
    }

    [Fact]
    public async Task every_acknowledged_fork_survives_sigkill_at_random_moments()
    {
        // Forks go to the fork journal (durable before LiteDB holds them) while appends commit to LiteDB, which copies
        // the journaled forks; the kills land anywhere in between.
        const int rounds = 12;
        var path = _dir.File("crash-forks.db");
        var child = Path.Combine(AppContext.BaseDirectory, "Collab.EventStore.CrashChild.dll");
        var random = new Random(20261207);
        var forks = new Dictionary<string, long>();
        var main = BranchRef.MainOf(new DocumentId("crash"));

        for (var round = 0; round < rounds; round++)
        {
            foreach (var line in await RunAndKill(child, path, round, random, "forks"))
            {
                var parts = line.Split(' ');
                if (parts[0] == "FORK") forks[parts[1]] = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
            }

            await using var store = new LiteDbEventStore(new LiteDbEventStoreOptions { Path = path });
            var listed = (await store.ListBranchesAsync(main.Document)).ToDictionary(b => b.Ref.Branch.Value);
            foreach (var (name, seq) in forks)
            {
                Assert.True(listed.TryGetValue(name, out var fork), $"round {round}: acknowledged fork {name} is missing");
                Assert.Equal(seq, fork.ForkSeq.Value);
                Assert.Equal(main, fork.Parent);
                Assert.Equal((await store.GetDigestAsync(main, fork.ForkSeq)).Hash, fork.ForkHash);
            }

            // Every branch (acknowledged or not) is whole: its chain verifies and it takes appends.
            foreach (var branch in listed.Values) Assert.True((await store.VerifyAsync(branch.Ref)).IsValid, $"round {round}: {branch.Ref} does not verify");
        }

        Assert.True(forks.Count > 0, $"no acknowledged fork in {rounds} rounds");
    }

    /// <summary>Starts the child, waits for a random number of acknowledgements or a random time, then SIGKILLs it (Process.Kill on Unix); returns every line it printed.</summary>
    private static async Task<List<string>> RunAndKill(string child, string path, int round, Random random, string? mode = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(child);
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(round.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (mode is not null) start.ArgumentList.Add(mode);
        var lines = new List<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ackTarget = random.Next(1, 400);
        var killAfter = TimeSpan.FromMilliseconds(random.Next(5, 250));
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };

        // Event-based reading drains the pipe all the time, so the child never blocks on a full pipe.
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines)
            {
                if (e.Data == "READY")
                {
                    ready.TrySetResult();
                    return;
                }

                lines.Add(e.Data);
                first.TrySetResult();
                if (lines.Count >= ackTarget) enough.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr) stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Kill while appends are flowing: after the first acknowledgement, then a random count or a random time.
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await first.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.WhenAny(enough.Task, Task.Delay(killAfter));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        Assert.True(process.ExitCode != 0, $"round {round}: the child ended by itself: {stderr}");
        lock (lines) return [.. lines];
    }
}
