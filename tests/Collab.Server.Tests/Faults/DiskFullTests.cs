using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Collab.Server.Tests.Faults;

/// <summary>
/// The real server with its data folder on a small tmpfs that fills up: typing is refused with <c>unavailable</c> (no
/// ack), REST writes with 503, reads keep working, nothing is corrupted, and typing resumes once space returns.
/// </summary>
public sealed class DiskFullTests
{
    private static string CodeOf(HubException ex)
    {
        const string marker = "HubException: ";
        var at = ex.Message.IndexOf(marker, StringComparison.Ordinal);
        var rest = at >= 0 ? ex.Message[(at + marker.Length)..] : ex.Message;
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 ? rest[..colon] : rest;
    }

    [Fact]
    public async Task a_full_disk_refuses_updates_as_unavailable_keeps_reads_and_typing_resumes_when_space_returns()
    {
        using var disk = Tmpfs.Mount(megabytes: 8);
        disk.Fill("ballast", 2L * 1024 * 1024);
        var data = Directory.CreateDirectory(Path.Combine(disk.Folder, "data")).FullName;
        await using var host = new KestrelHost(data, inMemory: false);
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", host.Token("alice"));
        (await http.PostAsJsonAsync("/api/documents", new { id = "full", title = "Full" })).EnsureSuccessStatusCode();

        var alice = TestPeer.Create(host.Hub(host.Token("alice")), "full", clientId: 7);
        await using var _ = alice;
        await alice.JoinAsync();
        var acked = "";
        for (var i = 0; i < 20; i++)
        {
            var ack = await alice.InsertAsync(acked.Length, "ok ");
            Assert.NotNull(ack.Seq);
            acked += "ok ";
        }

        // The disk fills up. Updates whose store write fails are refused, never acknowledged; bigger ones (1 KiB of text)
        // make sure the log must grow.
        disk.Fill("filler");
        var refused = new List<(byte[] Update, string Id)>();
        for (var i = 0; i < 5; i++)
        {
            var update = EditLocally(alice, new string((char)('A' + i), 1024));
            var id = Guid.NewGuid().ToString("N");
            var error = await Assert.ThrowsAsync<HubException>(() => alice.SendUpdateAsync(update, id));
            Assert.Equal("unavailable", CodeOf(error));
            refused.Add((update, id));
        }

        // REST writes are refused with 503 and the code; REST reads keep working and show exactly what was acknowledged.
        var create = await http.PostAsJsonAsync("/api/documents", new { id = "another", title = "Another" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
        Assert.Equal("unavailable", (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(acked, await ContentAsync(http));
        Assert.True((await VerifyAsync(http)).GetProperty("valid").GetBoolean());

        // Space returns: the refused updates go in when retried with their ids, and typing goes on.
        disk.Free("filler");
        disk.Free("ballast");
        foreach (var (update, id) in refused)
        {
            var ack = await RetryAsync(() => alice.SendUpdateAsync(update, id));
            Assert.NotNull(ack.Seq);
        }

        var more = await alice.InsertAsync(alice.Text.Length, "!");
        Assert.NotNull(more.Seq);
        var expected = acked + string.Concat(Enumerable.Range(0, 5).Select(i => new string((char)('A' + i), 1024))) + "!";
        Assert.Equal(expected, alice.Text);
        Assert.Equal(expected, await ContentAsync(http));
        var verification = await VerifyAsync(http);
        Assert.True(verification.GetProperty("valid").GetBoolean());
        Assert.Equal(more.Seq, verification.GetProperty("headSeq").GetInt64());
        (await http.PostAsJsonAsync("/api/documents", new { id = "another", title = "Another" })).EnsureSuccessStatusCode();

        // A newcomer gets exactly that content.
        var bob = TestPeer.Create(host.Hub(host.Token("alice")), "full", clientId: 8);
        await using var __ = bob;
        await bob.JoinAsync();
        await bob.WaitForTextAsync(expected);
    }

    [Fact]
    public void the_directory_refuses_a_grant_on_a_full_disk_and_keeps_every_later_one()
    {
        using var disk = Tmpfs.Mount(megabytes: 1);
        var journal = Path.Combine(disk.Folder, "directory.jsonl");
        using (var directory = new Documents.Access.DocumentDirectory(journal))
        {
            directory.Add(new Documents.Access.DocumentEntry("doc", "Doc", "alice", DateTimeOffset.UnixEpoch));
            disk.Fill("filler");
            var refused = Assert.Throws<Documents.CollabException>(() => directory.Grant("doc", "bob-" + new string('x', 8000), Documents.Access.DocumentRole.Editor));
            Assert.Equal(Documents.CollabErrorCode.Unavailable, refused.Code);
            disk.Free("filler");
            directory.Grant("doc", "carol", Documents.Access.DocumentRole.Viewer);
        }

        // Replayed from the file: the grant after the refused one is there (a torn line would have ended the replay).
        using var replayed = new Documents.Access.DocumentDirectory(journal);
        Assert.Equal(Documents.Access.DocumentRole.Viewer, replayed.RoleOf("doc", "carol"));
        Assert.Equal(Documents.Access.DocumentRole.Owner, replayed.RoleOf("doc", "alice"));
        Assert.Equal(Documents.Access.DocumentRole.None, replayed.RoleOf("doc", "bob-" + new string('x', 8000)));
    }

    private static byte[] EditLocally(TestPeer peer, string text)
    {
        byte[]? update = null;
        void Capture(byte[] u, object? origin) => update = u;
        peer.Doc.UpdateV1 += Capture;
        try
        {
            peer.EditOffline(t => t.Insert(t.Length, text));
        }
        finally
        {
            peer.Doc.UpdateV1 -= Capture;
        }

        return update ?? throw new InvalidOperationException("The edit emitted no update.");
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (HubException ex) when (CodeOf(ex) == "unavailable" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<string> ContentAsync(HttpClient http)
    {
        var content = await http.GetFromJsonAsync<JsonElement>("/api/documents/full/content");
        var doc = new YDoc();
        doc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
        return doc.GetText("text").ToString();
    }

    private static Task<JsonElement> VerifyAsync(HttpClient http) => http.GetFromJsonAsync<JsonElement>("/api/documents/full/verify");
}
