using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.EventStore;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

public sealed class BranchingTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    private IEventStore Store => factory.Services.GetRequiredService<IEventStore>();

    private static BranchRef Ref(string doc, string branch) => new(new DocumentId(doc), new BranchName(branch));

    private async Task<string> TextAsync(string doc, string branch, string user = "alice")
    {
        using var client = factory.ClientFor(user);
        var content = await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/content?branch={Uri.EscapeDataString(branch)}");
        var ydoc = new YDoc();
        ydoc.ApplyUpdate(content.GetProperty("update").GetBytesFromBase64());
        return ydoc.GetText("text").ToString();
    }

    private async Task<HttpResponseMessage> ForkAsync(string doc, string name, string from, long? seq = null, string user = "alice")
    {
        using var client = factory.ClientFor(user);
        return await client.PostAsJsonAsync($"/api/documents/{doc}/branches", new { name, from = new { branch = from, seq } });
    }

    private async Task<HttpResponseMessage> MergeAsync(string doc, string source, string target, bool dryRun = false, string user = "alice", string? message = null)
    {
        using var client = factory.ClientFor(user);
        return await client.PostAsJsonAsync($"/api/documents/{doc}/merges", new { source, target, dryRun, message });
    }

    private async Task<JsonElement> BranchAsync(string doc, string branch)
    {
        using var client = factory.ClientFor("alice");
        return await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/branches/{branch}");
    }

    [Fact]
    public async Task a_fork_at_a_middle_seq_has_exactly_the_content_of_that_seq()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        var start = await factory.MainHeadAsync(doc); // the document.created directory event
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        var texts = new List<string>();
        foreach (var word in new[] { "one ", "two ", "three ", "four ", "five" })
        {
            await alice.InsertAsync(alice.Text.Length, word);
            texts.Add(alice.Text);
        }

        var response = await ForkAsync(doc, "drafts/at-3", "main", seq: start + 3);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/api/documents/{doc}/branches/drafts/at-3", response.Headers.Location?.ToString());
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("main", created.GetProperty("parent").GetString());
        Assert.Equal(start + 3, created.GetProperty("forkSeq").GetInt64());
        Assert.Equal(start + 3, created.GetProperty("headSeq").GetInt64());
        Assert.Equal("alice", created.GetProperty("createdBy").GetString());
        Assert.Equal((await Store.GetDigestAsync(Ref(doc, "main"), new EventSeq(start + 3))).Hash.ToString(), created.GetProperty("forkHash").GetString());

        Assert.Equal(texts[2], await TextAsync(doc, "drafts/at-3"));
        Assert.Equal(texts[4], await TextAsync(doc, "main"));

        // A fork of a fork, at a position inside its ancestry, and from a fork's head.
        Assert.Equal(HttpStatusCode.Created, (await ForkAsync(doc, "deeper", "drafts/at-3", seq: start + 1)).StatusCode);
        Assert.Equal(texts[0], await TextAsync(doc, "deeper"));

        // Refusals: an existing name, a seq beyond the head, an unknown source.
        Assert.Equal(HttpStatusCode.Conflict, (await ForkAsync(doc, "deeper", "main")).StatusCode);
        var beyond = await ForkAsync(doc, "beyond", "main", seq: 99);
        Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        Assert.Contains($"head is {start + 5}", await beyond.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await ForkAsync(doc, "x", "nope")).StatusCode);
    }

    [Fact]
    public async Task ahead_and_behind_count_own_and_parent_events_not_merged_across()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        var start = await factory.MainHeadAsync(doc); // the document.created directory event
        await using var main = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await main.JoinAsync();
        for (var i = 0; i < 3; i++) await main.InsertAsync(0, "m");
        Assert.Equal(HttpStatusCode.Created, (await ForkAsync(doc, "f", "main")).StatusCode);

        await using var side = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 2, branch: "f");
        await side.JoinAsync();
        await side.InsertAsync(0, "s");
        await side.InsertAsync(0, "s");
        await main.InsertAsync(0, "m");

        var f = await BranchAsync(doc, "f");
        Assert.Equal(2, f.GetProperty("ahead").GetInt64());   // seqs start+4, start+5 of f
        Assert.Equal(1, f.GetProperty("behind").GetInt64());  // seq start+4 of main
        Assert.Equal(start + 4, f.GetProperty("parentHeadSeq").GetInt64());
        var mainInfo = await BranchAsync(doc, "main");
        Assert.Equal(JsonValueKind.Null, mainInfo.GetProperty("ahead").ValueKind);

        // f into main: f is no longer ahead; main gained the merge event, which f has not got.
        Assert.Equal(HttpStatusCode.Created, (await MergeAsync(doc, "f", "main")).StatusCode);
        f = await BranchAsync(doc, "f");
        Assert.Equal(0, f.GetProperty("ahead").GetInt64());
        Assert.Equal(2, f.GetProperty("behind").GetInt64());  // main seqs start+4 and start+5 (the merge)

        // main into f: nothing behind; the merge event on f is f's own, not yet in main.
        Assert.Equal(HttpStatusCode.Created, (await MergeAsync(doc, "main", "f")).StatusCode);
        f = await BranchAsync(doc, "f");
        Assert.Equal(0, f.GetProperty("behind").GetInt64());
        Assert.Equal(1, f.GetProperty("ahead").GetInt64());
        await main.WaitForTextAsync(t => t.Length == 6);
        Assert.Equal(await TextAsync(doc, "main"), await TextAsync(doc, "f"));
    }

    [Fact]
    public async Task a_merge_reaches_the_targets_live_clients_as_an_ordinary_update_and_is_recorded()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("bob", "editor"));
        var start = await factory.MainHeadAsync(doc); // the directory events of creation and the grant
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await using var bob = TestPeer.Create(factory.HubFor("bob", messagePack: true), doc, clientId: 2);
        await alice.JoinAsync();
        await bob.JoinAsync();
        await alice.InsertAsync(0, "The cat sat.");
        await bob.WaitForTextAsync("The cat sat.");
        Assert.Equal(HttpStatusCode.Created, (await ForkAsync(doc, "feature", "main", user: "bob")).StatusCode);

        await using var writer = TestPeer.Create(factory.HubFor("bob"), doc, clientId: 3, branch: "feature");
        await writer.JoinAsync();
        await writer.InsertAsync(12, " It purred.");
        await alice.InsertAsync(0, ">> ");

        // Preview: conflicts and merged content, nothing written.
        var headBefore = (await Store.GetHeadAsync(Ref(doc, "main"))).Seq.Value;
        var preview = await MergeAsync(doc, "feature", "main", dryRun: true, user: "bob");
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        var previewBody = await preview.Content.ReadFromJsonAsync<JsonElement>();
        // Both sides are rebuilt from the log (their roots untyped until read): the merged JSON still shows the text.
        Assert.Equal("{\"text\":\">> The cat sat. It purred.\"}", previewBody.GetProperty("mergedJson").GetString());
        Assert.False(previewBody.GetProperty("nothingToMerge").GetBoolean());
        Assert.True(previewBody.GetProperty("dryRun").GetBoolean());
        Assert.Equal(JsonValueKind.Null, previewBody.GetProperty("seq").ValueKind);
        Assert.Equal(headBefore, (await Store.GetHeadAsync(Ref(doc, "main"))).Seq.Value);

        var receivedBefore = bob.Received.Count;
        var response = await MergeAsync(doc, "feature", "main", message: "bring in the purring");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var merged = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(headBefore + 1, merged.GetProperty("seq").GetInt64());
        Assert.Equal($"main@{headBefore + 1}", merged.GetProperty("mergeId").GetString());
        Assert.Equal(headBefore, merged.GetProperty("target").GetProperty("seq").GetInt64());
        Assert.Equal("feature", merged.GetProperty("source").GetProperty("branch").GetString());
        Assert.Equal($"/api/documents/{doc}/merges/main@{headBefore + 1}", response.Headers.Location?.ToString());

        await alice.WaitForTextAsync(">> The cat sat. It purred.");
        await bob.WaitForTextAsync(">> The cat sat. It purred.");
        Assert.Contains(bob.Received.Skip(receivedBefore), m => m.Type == SyncMessageType.Update);
        Assert.Equal(">> The cat sat. It purred.", await TextAsync(doc, "main"));
        var stored = (await Store.ReadPageAsync(Ref(doc, "main"), new EventSeq(headBefore + 1), 1))[0];
        Assert.Equal(EventKind.Merge, stored.Kind);
        Assert.Equal("alice", stored.Author);

        // Typing continues after the merge, acknowledged with the next seq.
        Assert.Equal(headBefore + 2, (await bob.InsertAsync(0, "!")).Seq);

        // The record, listed and by id.
        using var client = factory.ClientFor("bob");
        var list = await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/merges");
        var record = Assert.Single(list.EnumerateArray());
        Assert.Equal($"main@{headBefore + 1}", record.GetProperty("id").GetString());
        var one = await client.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/merges/main@{headBefore + 1}");
        Assert.Equal("bring in the purring", one.GetProperty("message").GetString());
        Assert.Equal("feature", one.GetProperty("source").GetProperty("branch").GetString());
        Assert.Equal((await Store.GetHeadAsync(Ref(doc, "feature"))).Hash.ToString(), one.GetProperty("source").GetProperty("hash").GetString());
        Assert.Equal("main", one.GetProperty("base").GetProperty("branch").GetString());
        Assert.Equal(start + 1, one.GetProperty("base").GetProperty("seq").GetInt64());
        Assert.Equal(headBefore, one.GetProperty("targetHead").GetProperty("seq").GetInt64());
        Assert.Equal("alice", one.GetProperty("properties").GetProperty("actor").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri($"/api/documents/{doc}/merges/main@{start + 1}", UriKind.Relative))).StatusCode);

        // Merging again brings nothing: said clearly, nothing written.
        var head = (await Store.GetHeadAsync(Ref(doc, "main"))).Seq.Value;
        var again = await MergeAsync(doc, "feature", "main");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("nothingToMerge").GetBoolean());
        Assert.Equal(head, (await Store.GetHeadAsync(Ref(doc, "main"))).Seq.Value);
    }

    [Fact]
    public async Task a_viewer_cannot_fork_and_an_editor_cannot_merge_and_neither_changes_anything()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("erin", "editor"), ("vic", "viewer"));
        await using var alice = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 1);
        await alice.JoinAsync();
        await alice.InsertAsync(0, "text");

        var viewerFork = await ForkAsync(doc, "v", "main", user: "vic");
        Assert.Equal(HttpStatusCode.Forbidden, viewerFork.StatusCode);
        var problem = await viewerFork.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("forbidden", problem.GetProperty("title").GetString());
        Assert.Contains("viewer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await Store.GetBranchAsync(Ref(doc, "v")));

        Assert.Equal(HttpStatusCode.Created, (await ForkAsync(doc, "e", "main", user: "erin")).StatusCode);
        await using var erin = TestPeer.Create(factory.HubFor("erin"), doc, clientId: 2, branch: "e");
        await erin.JoinAsync();
        await erin.InsertAsync(0, "more ");

        var head = (await Store.GetHeadAsync(Ref(doc, "main"))).Seq.Value;
        var editorMerge = await MergeAsync(doc, "e", "main", user: "erin");
        Assert.Equal(HttpStatusCode.Forbidden, editorMerge.StatusCode);
        Assert.Contains("editor", await editorMerge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(head, (await Store.GetHeadAsync(Ref(doc, "main"))).Seq.Value);
        Assert.Equal("text", await TextAsync(doc, "main"));

        // Previews are reads: an editor (and a viewer) may look.
        Assert.Equal(HttpStatusCode.OK, (await MergeAsync(doc, "e", "main", dryRun: true, user: "vic")).StatusCode);
        // A stranger sees nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await ForkAsync(doc, "s", "main", user: "mallory")).StatusCode);
    }

    [Fact]
    public async Task move_to_branch_keeps_an_edit_the_server_has_not_received()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        var start = await factory.MainHeadAsync(doc); // the document.created directory event
        await using var connection = factory.HubFor("alice");
        var ydoc = new YDoc(new YDocOptions { ClientId = 11 });
        var replies = new ConcurrentBag<Task>();
        var remote = new object();
        connection.On<string, string, byte[]>("Sync", (d, branch, message) =>
        {
            var sync = SyncMessage.Read(message);
            if (sync.Type == SyncMessageType.SyncStep1)
            {
                byte[] diff;
                lock (ydoc) diff = ydoc.EncodeStateAsUpdate(sync.Payload.ToArray());
                replies.Add(connection.InvokeAsync<SyncAck>("Sync", d, branch, SyncMessage.EncodeSyncStep2(diff), Guid.NewGuid().ToString("N")));
            }
            else
            {
                lock (ydoc) ydoc.ApplyUpdate(sync.Payload.ToArray(), remote);
            }
        });
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", doc, "main");
        // main's SyncStep1 is answered before the offline edit below, or the answer could carry that edit to main.
        var joinDeadline = DateTime.UtcNow.AddSeconds(30);
        while (replies.IsEmpty && DateTime.UtcNow < joinDeadline) await Task.Delay(10);
        await Assert.Single(replies);
        await connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeUpdate(Capture(ydoc, () => ydoc.GetText("text").Insert(0, "hello"))), "u1");

        // An edit made while offline: never sent.
        lock (ydoc) ydoc.GetText("text").Insert(5, " world");

        var moved = await connection.InvokeAsync<MoveResult>("MoveToBranch", doc, "main", "draft");
        Assert.Equal("draft", moved.Branch);
        Assert.Equal(start + 1, moved.ForkSeq);
        Assert.Equal("owner", moved.Role);

        // The server's SyncStep1 for the new branch came before the call returned; the answer carries the pending edit.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await TextAsync(doc, "draft") != "hello world" && DateTime.UtcNow < deadline)
        {
            await Task.WhenAll(replies);
            await Task.Delay(20);
        }
        Assert.Equal("hello world", await TextAsync(doc, "draft"));
        Assert.Equal("hello", await TextAsync(doc, "main"));

        // The connection left main: sending to it is refused; it is joined to the draft.
        var ex = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeSyncStep1(new byte[] { 0 }), null));
        Assert.Contains("not_joined", ex.Message, StringComparison.Ordinal);
        var ack = await connection.InvokeAsync<SyncAck>("Sync", doc, "draft", SyncMessage.EncodeUpdate(Capture(ydoc, () => ydoc.GetText("text").Insert(0, "> "))), "u2");
        Assert.Equal(start + 3, ack.Seq);
    }

    [Fact]
    public async Task move_to_branch_needs_the_right_to_fork()
    {
        var doc = await factory.CreateDocumentAsync("alice", ("vic", "viewer"));
        await using var connection = factory.HubFor("vic");
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", doc, "main");
        var ex = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<MoveResult>("MoveToBranch", doc, "main", "mine"));
        Assert.Contains("forbidden", ex.Message, StringComparison.Ordinal);
        Assert.Null(await Store.GetBranchAsync(Ref(doc, "mine")));
    }

    [Fact]
    public async Task connections_of_a_document_hear_about_new_branches_and_merges()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        var start = await factory.MainHeadAsync(doc); // the document.created directory event
        await using var connection = factory.HubFor("alice");
        var events = new ConcurrentQueue<JsonElement>();
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        connection.On<string, string>("BranchEvent", (d, json) =>
        {
            if (d == doc) events.Enqueue(JsonDocument.Parse(json).RootElement.Clone());
        });
        await connection.StartAsync();
        await connection.InvokeAsync<JoinResult>("Join", doc, "main");

        Assert.Equal(HttpStatusCode.Created, (await ForkAsync(doc, "idea", "main")).StatusCode);
        await using var writer = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 4, branch: "idea");
        await writer.JoinAsync();
        await writer.InsertAsync(0, "idea");
        Assert.Equal(HttpStatusCode.Created, (await MergeAsync(doc, "idea", "main")).StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (events.Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(20);
        var all = events.ToList();
        Assert.Contains(all, e => e.GetProperty("type").GetString() == "branch-created" && e.GetProperty("branch").GetString() == "idea" && e.GetProperty("parent").GetString() == "main");
        Assert.Contains(all, e => e.GetProperty("type").GetString() == "merged" && e.GetProperty("target").GetString() == "main" && e.GetProperty("source").GetString() == "idea" && e.GetProperty("seq").GetInt64() == start + 1);
    }

    [Fact]
    public async Task a_client_id_reused_on_a_diverged_branch_is_refused_over_the_hub()
    {
        var doc = await factory.CreateDocumentAsync("alice");
        Assert.Equal(HttpStatusCode.Created, (await ForkAsync(doc, "other", "main")).StatusCode);
        await using var onMain = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 77);
        await using var onOther = TestPeer.Create(factory.HubFor("alice"), doc, clientId: 77, branch: "other");
        await onMain.JoinAsync();
        await onOther.JoinAsync();
        await onMain.InsertAsync(0, "main");
        var ex = await Assert.ThrowsAsync<HubException>(() => onOther.InsertAsync(0, "other"));
        Assert.Contains("HubException: client_id_diverged: Yjs client id 77", ex.Message, StringComparison.Ordinal);
        Assert.Equal("", await TextAsync(doc, "other"));
    }

    private static byte[] Capture(YDoc doc, Action edit)
    {
        var updates = new List<byte[]>();
        void OnUpdate(byte[] u, object? origin) => updates.Add(u);
        lock (doc)
        {
            doc.UpdateV1 += OnUpdate;
            doc.Transact(edit);
            doc.UpdateV1 -= OnUpdate;
        }
        return Collab.Crdt.YUpdate.Merge(updates);
    }
}
