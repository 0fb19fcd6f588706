using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Collab.Documents.Access;
using Collab.Documents.Proofs;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Collab.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>
/// Imports that were interrupted — the upload dropped mid-file, or the writing stopped half-way and the server
/// restarted — are retried by the importer with the same file and give the whole document; meanwhile nobody reaches it.
/// </summary>
public sealed class ImportInterruptionTests
{
    private const string Doc = "interrupted-doc";

    // main: document.created, role.granted bob, then 1,200 empty updates; a fork "draft" at 600 with 50 more.
    private static async Task<(string File, string MainDigest, string DraftDigest)> ExportAsync()
    {
        using var source = new CollabAppFactory();
        using var alice = source.ClientFor("alice");
        (await alice.PostAsJsonAsync("/api/documents", new { id = Doc, title = "Interrupted" })).EnsureSuccessStatusCode();
        (await alice.PutAsJsonAsync($"/api/documents/{Doc}/permissions/bob", new { role = "editor" })).EnsureSuccessStatusCode();
        var store = source.Services.GetRequiredService<IEventStore>();
        var main = BranchRef.MainOf(new DocumentId(Doc));
        for (var i = 0; i < 1200; i += 100)
        {
            await store.AppendAsync(main, [.. Enumerable.Range(i, 100).Select(n => new NewEvent(EventKind.Update, new byte[] { 0, 0 }, n % 2 == 0 ? "alice" : "bob") { ClientUpdateId = $"u-{n}" })]);
        }
        (await alice.PostAsJsonAsync($"/api/documents/{Doc}/branches", new { name = "draft", from = new { branch = "main", seq = 600 } })).EnsureSuccessStatusCode();
        await store.AppendAsync(new BranchRef(main.Document, new BranchName("draft")), [.. Enumerable.Range(0, 50).Select(n => new NewEvent(EventKind.Update, new byte[] { 0, 0 }, "bob"))]);
        var file = await alice.GetStringAsync(new Uri($"/api/documents/{Doc}/export", UriKind.Relative));
        var mainDigest = (await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch=main")).GetRawText();
        var draftDigest = (await alice.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch=draft")).GetRawText();
        return (file, mainDigest, draftDigest);
    }

    private static Task<HttpResponseMessage> ImportAsync(HttpClient client, string file) =>
        client.PostAsync(new Uri("/api/documents/import", UriKind.Relative), new StringContent(file, Encoding.UTF8, "application/x-ndjson"));

    // The imported document has the exported digests at the exported heads, and ivan alone owns it.
    private static async Task CheckImportedAsync(KestrelHost host, string mainDigest, string draftDigest)
    {
        using var ivan = host.ClientFor("ivan");
        Assert.Equal(mainDigest, (await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch=main&seq=1202")).GetRawText());
        Assert.Equal(draftDigest, (await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/proofs/digest?branch=draft")).GetRawText());
        var verify = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/verify?all=true");
        Assert.True(verify.GetProperty("valid").GetBoolean());
        var grants = await ivan.GetFromJsonAsync<JsonElement>($"/api/documents/{Doc}/permissions");
        Assert.Equal(["ivan:owner"], grants.EnumerateArray().Select(g => $"{g.GetProperty("user").GetString()}:{g.GetProperty("role").GetString()}").ToArray());
        using var alice = host.ClientFor("alice");
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task an_upload_dropped_mid_file_writes_nothing_and_the_retry_imports_the_whole_document()
    {
        var (file, mainDigest, draftDigest) = await ExportAsync();
        var folder = TestSettings.TempFolder();
        await using var host = new KestrelHost(folder, inMemory: false);
        await host.StartAsync();
        try
        {
            using (var ivan = host.ClientFor("ivan"))
            {
                var bytes = Encoding.UTF8.GetBytes(file);
                await Assert.ThrowsAnyAsync<Exception>(() => ivan.PostAsync(new Uri("/api/documents/import", UriKind.Relative), new DroppedContent(bytes, bytes.Length / 2)));
                // The file is read whole before anything is written: no trace of the document.
                Assert.Null(await host.Services.GetRequiredService<IEventStore>().GetDocumentAsync(new DocumentId(Doc)));
                Assert.Equal(HttpStatusCode.Created, (await ImportAsync(ivan, file)).StatusCode);
            }
            await CheckImportedAsync(host, mainDigest, draftDigest);
        }
        finally
        {
            await host.StopAsync();
            TryDelete(folder);
        }
    }

    [Fact]
    public async Task an_import_stopped_half_way_is_nobodys_after_a_restart_until_the_importer_imports_the_file_again()
    {
        var (file, mainDigest, draftDigest) = await ExportAsync();
        var folder = TestSettings.TempFolder();
        await using var host = new KestrelHost(folder, inMemory: false);
        await host.StartAsync();
        try
        {
            // The server's own import, over its store, stopped by a failing third batch (as a full disk or a kill would).
            var store = FailingStore.Wrap(host.Services.GetRequiredService<IEventStore>(), failAppend: 3);
            var transfer = new DocumentTransfer(store, host.Services.GetRequiredService<DocumentCatalog>(), host.Services.GetRequiredService<DocumentDirectory>());
            await Assert.ThrowsAsync<EventStoreException>(() => transfer.ImportAsync(new MemoryStream(Encoding.UTF8.GetBytes(file)), "ivan", default));
            Assert.Equal(1000, await host.MainHeadAsync(Doc));

            await host.StopAsync();
            await host.StartAsync();
            using (var alice = host.ClientFor("alice"))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode);
            }
            using (var mallory = host.ClientFor("mallory"))
            {
                Assert.Equal(HttpStatusCode.Conflict, (await ImportAsync(mallory, file)).StatusCode);
            }
            using (var ivan = host.ClientFor("ivan"))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await ivan.GetAsync(new Uri($"/api/documents/{Doc}", UriKind.Relative))).StatusCode);
                var retried = await ImportAsync(ivan, file);
                Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
                Assert.Equal(1202 - 1000 + 50, (await retried.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("events").GetInt64());
            }
            await CheckImportedAsync(host, mainDigest, draftDigest);

            // A second attempt now is a plain conflict: the document exists.
            using var again = host.ClientFor("ivan");
            Assert.Equal(HttpStatusCode.Conflict, (await ImportAsync(again, file)).StatusCode);
        }
        finally
        {
            await host.StopAsync();
            TryDelete(folder);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A request body that sends the first <c>cut</c> bytes and then fails, as a dropped connection does.</summary>
    private sealed class DroppedContent(byte[] bytes, int cut) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, cut));
            await stream.FlushAsync();
            throw new IOException("The connection dropped (a test).");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
