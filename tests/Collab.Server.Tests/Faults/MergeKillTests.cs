using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Xunit.Abstractions;

namespace Collab.Server.Tests.Faults;

/// <summary>
/// A real server process SIGKILLed while a merge into <c>main</c> runs and an editor types on <c>main</c>: after a
/// restart the merge is whole or absent (never a part of it, never its event without its record), every acknowledged
/// keystroke is there, and the chain verifies.
/// </summary>
public sealed class MergeKillTests(ITestOutputHelper output) : IDisposable
{
    private const int FeatureTokens = 150;
    private readonly string _folder = TestSettings.TempFolder();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task a_sigkill_during_a_merge_leaves_it_whole_or_absent_and_loses_no_acknowledged_update()
    {
        var first = await ServerProcess.StartAsync(_folder);
        string doc;
        var acked = new ConcurrentBag<string>();
        TestPeer alice;
        await using (first)
        {
            var token = await first.TokenAsync("alice");
            using var http = first.Http(token);
            doc = "mergekill-" + Guid.NewGuid().ToString("N")[..8];
            (await http.PostAsJsonAsync("/api/documents", new { id = doc })).EnsureSuccessStatusCode();

            alice = TestPeer.Create(first.Hub(token), doc, clientId: 31);
            await alice.JoinAsync();
            await alice.InsertAsync(0, "[start]");
            (await http.PostAsJsonAsync($"/api/documents/{doc}/branches", new { name = "feature", from = new { branch = "main" } })).EnsureSuccessStatusCode();
            var writer = TestPeer.Create(first.Hub(token), doc, clientId: 32, branch: "feature");
            await using (writer)
            {
                await writer.JoinAsync();
                for (var i = 0; i < FeatureTokens; i++) await writer.InsertAsync(writer.Text.Length, $"<f{i}>");
            }

            // alice types on main; the merge starts; the server is killed while both are under way.
            var killed = 0;
            var typing = Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    var keystroke = $"[a{i}]";
                    try
                    {
                        await alice.InsertAsync(alice.Text.Length, keystroke);
                        acked.Add(keystroke);
                    }
                    catch (Exception ex) when (Volatile.Read(ref killed) == 1 && ex is HubException or InvalidOperationException or IOException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
                    {
                        return;
                    }
                }
            });
            while (acked.Count < 10) await Task.Delay(5);
            var merge = http.PostAsJsonAsync($"/api/documents/{doc}/merges", new { source = "feature", target = "main" });
            await Task.Delay(Random.Shared.Next(0, 300)); // sometimes before the merge event is stored, sometimes after
            Volatile.Write(ref killed, 1);
            first.Kill();
            await typing.WaitAsync(TimeSpan.FromSeconds(60));
            try
            {
                var answer = await merge;
                output.WriteLine($"the merge answered {(int)answer.StatusCode} before the kill");
            }
            catch (HttpRequestException)
            {
                output.WriteLine("the merge was cut off by the kill");
            }
        }

        await using var second = await ServerProcess.StartAsync(_folder);
        using var http2 = second.Http(await second.TokenAsync("alice"));
        var content = await ServerProcess.TextAsync(http2, doc);
        Assert.All(acked, keystroke => Assert.Contains(keystroke, content, StringComparison.Ordinal));
        Assert.True((await http2.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/verify")).GetProperty("valid").GetBoolean());

        var present = Enumerable.Range(0, FeatureTokens).Count(i => content.Contains($"<f{i}>", StringComparison.Ordinal));
        var merges = await http2.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/merges");
        output.WriteLine($"{acked.Count} keystrokes acknowledged; after the restart {present} of {FeatureTokens} feature tokens on main, {merges.GetArrayLength()} merge record(s)");
        if (present == 0)
        {
            Assert.Equal(0, merges.GetArrayLength());
        }
        else
        {
            Assert.Equal(FeatureTokens, present);
            Assert.Equal(1, merges.GetArrayLength());
        }

        // Whichever it was, merging again now brings main exactly the feature branch's work.
        var again = await http2.PostAsJsonAsync($"/api/documents/{doc}/merges", new { source = "feature", target = "main" });
        again.EnsureSuccessStatusCode();
        var final = await ServerProcess.TextAsync(http2, doc);
        Assert.All(Enumerable.Range(0, FeatureTokens), i => Assert.Contains($"<f{i}>", final, StringComparison.Ordinal));
        Assert.All(acked, keystroke => Assert.Contains(keystroke, final, StringComparison.Ordinal));
    }
}
