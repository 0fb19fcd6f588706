using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Xunit.Abstractions;

namespace Collab.Server.Tests.Faults;

/// <summary>
/// A real server process, SIGKILLed while two editors type with acks, then started again on the same data folder:
/// every acknowledged update is in the content, the chain verifies, and the editors resync to identical content.
/// </summary>
public sealed class HardKillTests(ITestOutputHelper output) : IDisposable
{
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
    public async Task every_acknowledged_update_survives_a_sigkill_mid_typing_and_clients_resync()
    {
        var first = await ServerProcess.StartAsync(_folder);
        string doc;
        var acked = new ConcurrentBag<string>();
        var typed = new ConcurrentBag<string>();
        TestPeer alice, bob;
        await using (first)
        {
            var aliceToken = await first.TokenAsync("alice");
            using (var http = first.Http(aliceToken))
            {
                doc = "kill-" + Guid.NewGuid().ToString("N")[..8];
                (await http.PostAsJsonAsync("/api/documents", new { id = doc })).EnsureSuccessStatusCode();
                (await http.PutAsJsonAsync($"/api/documents/{doc}/permissions/bob", new { role = "editor" })).EnsureSuccessStatusCode();
            }

            alice = TestPeer.Create(first.Hub(aliceToken), doc, clientId: 11);
            bob = TestPeer.Create(first.Hub(await first.TokenAsync("bob")), doc, clientId: 12);
            await alice.JoinAsync();
            await bob.JoinAsync();

            // Both type (one token per update, each awaited) until the kill. Errors before the kill fail the test;
            // after it, the keystroke in flight is simply not acknowledged.
            var killed = 0;
            var enough = new CountdownEvent(2);
            async Task TypeAsync(TestPeer peer, string name)
            {
                var signalled = false;
                for (var i = 0; ; i++)
                {
                    var token = $"[{name}{i}]";
                    typed.Add(token);
                    try
                    {
                        var ack = await peer.InsertAsync(peer.Text.Length, token);
                        Assert.NotNull(ack.Seq);
                        acked.Add(token);
                    }
                    catch (Exception ex) when (Volatile.Read(ref killed) == 1 && ex is HubException or InvalidOperationException or IOException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
                    {
                        return;
                    }

                    if (i == 30 && !signalled)
                    {
                        signalled = true;
                        enough.Signal();
                    }
                }
            }

            var typing = Task.WhenAll(Task.Run(() => TypeAsync(alice, "a")), Task.Run(() => TypeAsync(bob, "b")));
            await Task.Run(() => enough.Wait(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, enough.CurrentCount);
            Volatile.Write(ref killed, 1);
            first.Kill();
            await typing.WaitAsync(TimeSpan.FromSeconds(60));
        }

        output.WriteLine($"killed after {acked.Count} acknowledged updates ({typed.Count} typed)");

        // A new process on the same data folder: every acknowledged token is in the content, and the chain is whole.
        await using var second = await ServerProcess.StartAsync(_folder);
        var token2 = await second.TokenAsync("alice");
        using var http2 = second.Http(token2);
        var content = await ServerProcess.TextAsync(http2, doc);
        Assert.All(acked, token => Assert.Contains(token, content, StringComparison.Ordinal));
        var verify = await http2.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean());

        // The editors reconnect and resync: both end with the same text, the server's, holding everything they typed.
        await alice.ReconnectAsync(second.Hub(token2));
        await bob.ReconnectAsync(second.Hub(await second.TokenAsync("bob")));
        await using var _ = alice;
        await using var __ = bob;
        await alice.FlushRepliesAsync();
        await bob.FlushRepliesAsync();
        await bob.WaitForTextAsync(t => t == alice.Text && typed.All(x => t.Contains(x, StringComparison.Ordinal)), 30_000);
        Assert.Equal(alice.Text, await ServerProcess.TextAsync(http2, doc));
    }
}
