using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Server.Endpoints;
using Collab.Server.Hubs;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Collab.Server.Tests;

/// <summary>Every endpoint and hub method against every role, no token, a bad token, and a role on another document only.</summary>
public sealed class AuthorizationMatrixTests(CollabAppFactory factory) : IClassFixture<CollabAppFactory>
{
    // Callers: the four roles, "stranger" (owner of another document, nothing on this one), no token, a forged token.
    public const string Anonymous = "(no token)";
    public const string Forged = "(bad token)";

    private async Task<string> DocumentAsync()
    {
        var doc = await factory.CreateDocumentAsync("owner", ("editor", "editor"), ("viewer", "viewer"), ("auditor", "auditor"), ("someone", "viewer"));
        await factory.CreateDocumentAsync("stranger");
        return doc;
    }

    private HttpClient ClientAs(string caller)
    {
        var client = factory.CreateClient();
        var token = TokenAs(caller);
        if (token is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    private string? TokenAs(string caller) => caller switch
    {
        Anonymous => null,
        Forged => ForgedToken("owner"),
        _ => factory.Token(caller),
    };

    /// <summary>A well-formed token for a real user, signed with a key the server does not know.</summary>
    private static string ForgedToken(string user) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", user)]),
        Issuer = "collab",
        Audience = "collab",
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("a-completely-different-key-0123456789-abcdef")), SecurityAlgorithms.HmacSha256),
    });

    public static TheoryData<string, string, string, HttpStatusCode> RestMatrix()
    {
        var data = new TheoryData<string, string, string, HttpStatusCode>();
        var readers = new[] { "owner", "editor", "viewer", "auditor" };
        foreach (var (method, path) in new[] { ("GET", "/api/documents/{id}"), ("GET", "/api/documents/{id}/branches"), ("GET", "/api/documents/{id}/content") })
        {
            foreach (var r in readers) data.Add(method, path, r, HttpStatusCode.OK);
            data.Add(method, path, "stranger", HttpStatusCode.Forbidden);
        }
        foreach (var history in new[] { "/api/documents/{id}/events", "/api/documents/{id}/verify" })
        {
            foreach (var r in readers) data.Add("GET", history, r, r is "owner" or "auditor" ? HttpStatusCode.OK : HttpStatusCode.Forbidden);
            data.Add("GET", history, "stranger", HttpStatusCode.Forbidden);
        }
        foreach (var (method, path, ok) in new[]
                 {
                     ("GET", "/api/documents/{id}/permissions", HttpStatusCode.OK),
                     ("PUT", "/api/documents/{id}/permissions/newcomer", HttpStatusCode.OK),
                     ("DELETE", "/api/documents/{id}/permissions/someone", HttpStatusCode.NoContent),
                 })
        {
            foreach (var r in readers) data.Add(method, path, r, r == "owner" ? ok : HttpStatusCode.Forbidden);
            data.Add(method, path, "stranger", HttpStatusCode.Forbidden);
        }
        foreach (var (method, path) in new[]
                 {
                     ("GET", "/api/documents"), ("POST", "/api/documents"), ("GET", "/api/documents/{id}"), ("GET", "/api/documents/{id}/branches"),
                     ("GET", "/api/documents/{id}/content"), ("GET", "/api/documents/{id}/events"), ("GET", "/api/documents/{id}/verify"), ("GET", "/api/documents/{id}/permissions"),
                     ("PUT", "/api/documents/{id}/permissions/newcomer"), ("DELETE", "/api/documents/{id}/permissions/someone"),
                 })
        {
            data.Add(method, path, Anonymous, HttpStatusCode.Unauthorized);
            data.Add(method, path, Forged, HttpStatusCode.Unauthorized);
        }
        data.Add("GET", "/api/documents", "stranger", HttpStatusCode.OK);
        data.Add("POST", "/api/documents", "stranger", HttpStatusCode.Created);
        return data;
    }

    [Theory]
    [MemberData(nameof(RestMatrix))]
    public async Task rest_endpoint_answers_each_caller_as_its_role_allows(string method, string path, string caller, HttpStatusCode expected)
    {
        var doc = await DocumentAsync();
        using var client = ClientAs(caller);
        var url = path.Replace("{id}", doc, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method == "PUT") request.Content = JsonContent.Create(new { role = "viewer" });
        if (method == "POST") request.Content = JsonContent.Create(new { title = "mine" });

        using var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Forbidden)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(doc, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task the_document_list_shows_only_documents_the_caller_has_a_role_on()
    {
        var doc = await DocumentAsync();
        using var stranger = ClientAs("stranger");
        using var viewer = ClientAs("viewer");
        var strangerList = await stranger.GetStringAsync(new Uri("/api/documents", UriKind.Relative));
        var viewerList = await viewer.GetStringAsync(new Uri("/api/documents", UriKind.Relative));
        Assert.DoesNotContain(doc, strangerList, StringComparison.Ordinal);
        Assert.Contains(doc, viewerList, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?> HubMatrix()
    {
        // (method, caller, expected error code or null for success)
        var data = new TheoryData<string, string, string?>();
        foreach (var role in new[] { "owner", "editor", "viewer", "auditor" })
        {
            data.Add("Join", role, null);
            data.Add("SyncStep1", role, null);
            data.Add("Update", role, role is "owner" or "editor" ? null : "forbidden");
            data.Add("Awareness", role, null);
            data.Add("Leave", role, null);
        }
        data.Add("Join", "stranger", "forbidden");
        data.Add("SyncStep1", "stranger", "forbidden");
        data.Add("Update", "stranger", "forbidden");
        data.Add("Awareness", "stranger", "forbidden");
        data.Add("Leave", "stranger", null); // leaving what you never joined is a no-op
        return data;
    }

    [Theory]
    [MemberData(nameof(HubMatrix))]
    public async Task hub_method_answers_each_caller_as_its_role_allows(string method, string caller, string? expectedError)
    {
        var doc = await DocumentAsync();
        var created = await factory.MainHeadAsync(doc); // the directory events of creation and the grants
        // A second reader of the document, joined first, sees what a call does to the others.
        await using var observer = factory.HubFor("someone");
        var observerAwareness = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var observerUpdates = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        observer.On<string, string, byte[]>("Sync", (_, _, message) =>
        {
            if (SyncMessage.Read(message) is { Type: SyncMessageType.Update } sync) observerUpdates.TrySetResult(sync.Payload.ToArray());
        });
        observer.On<string, string, byte[]>("Awareness", (_, _, update) => observerAwareness.TrySetResult(update));
        await observer.StartAsync();
        await observer.InvokeAsync<JoinResult>("Join", doc, "main");

        await using var connection = factory.HubFor(caller);
        var syncStep2 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.On<string, string, byte[]>("Sync", (_, _, message) =>
        {
            if (SyncMessage.Read(message).Type == SyncMessageType.SyncStep2) syncStep2.TrySetResult();
        });
        await connection.StartAsync();
        if (method != "Join" && caller != "stranger") await connection.InvokeAsync<JoinResult>("Join", doc, "main");

        var update = TestUpdates.Insert(99, "x");
        var awareness = AwarenessUpdate.Write([new AwarenessEntry(99, 1, "{}")]);

        Func<Task> call = method switch
        {
            "Join" => async () =>
            {
                var joined = await connection.InvokeAsync<JoinResult>("Join", doc, "main");
                Assert.Equal(new JoinResult(created, caller), joined);
            },
            "SyncStep1" => async () =>
            {
                var ack = await connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeSyncStep1(new byte[] { 0 }), null);
                Assert.Null(ack.Seq); // a read stores nothing
                // Its answer (SyncStep2) reaches the caller.
                await syncStep2.Task.WaitAsync(TimeSpan.FromSeconds(10));
            },
            "Update" => async () =>
            {
                var ack = await connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeUpdate(update), "u1");
                Assert.Equal(created + 1, ack.Seq);
                var broadcast = await observerUpdates.Task.WaitAsync(TimeSpan.FromSeconds(10));
                var seen = new YDoc();
                seen.ApplyUpdate(broadcast);
                Assert.Equal("x", seen.GetText("text").ToString());
                using var client = ClientAs("owner");
                var content = await client.GetFromJsonAsync<ContentResponse>($"/api/documents/{doc}/content");
                Assert.Equal(created + 1, content!.HeadSeq);
            },
            "Awareness" => async () =>
            {
                await connection.InvokeAsync("Awareness", doc, "main", awareness);
                var relayed = Assert.Single(AwarenessUpdate.Read(await observerAwareness.Task.WaitAsync(TimeSpan.FromSeconds(10))));
                Assert.Equal((99u, 1ul, "{}"), (relayed.ClientId, relayed.Clock, relayed.StateJson));
            },
            "Leave" => async () =>
            {
                await connection.InvokeAsync("Leave", doc, "main");
                // Left (or never joined): the branch is closed to this connection.
                var sync = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SyncAck>("Sync", doc, "main", SyncMessage.EncodeSyncStep1(new byte[] { 0 }), null));
                Assert.Contains(caller == "stranger" ? "HubException: forbidden:" : "HubException: not_joined:", sync.Message, StringComparison.Ordinal);
            },
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };

        if (expectedError is null)
        {
            await call();
            return;
        }
        var error = await Assert.ThrowsAsync<HubException>(call);
        Assert.Contains($"HubException: {expectedError}:", error.Message, StringComparison.Ordinal);
        if (method == "Update")
        {
            using var client = ClientAs("owner");
            var content = await client.GetFromJsonAsync<ContentResponse>($"/api/documents/{doc}/content");
            Assert.Equal(created, content!.HeadSeq); // refused: nothing stored
        }
    }

    [Theory]
    [InlineData(Anonymous)]
    [InlineData(Forged)]
    public async Task the_hub_refuses_connections_without_a_valid_token(string caller)
    {
        await using var connection = factory.Hub(TokenAs(caller));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());
        Assert.Contains("401", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_revoked_editor_is_refused_at_its_next_message_and_stops_receiving()
    {
        var doc = await DocumentAsync();
        await using var owner = TestPeer.Create(factory.HubFor("owner"), doc, clientId: 1);
        await using var editor = TestPeer.Create(factory.HubFor("editor"), doc, clientId: 2);
        await owner.JoinAsync();
        await editor.JoinAsync();
        await editor.InsertAsync(0, "before");

        using var client = ClientAs("owner");
        (await client.DeleteAsync(new Uri($"/api/documents/{doc}/permissions/editor", UriKind.Relative))).EnsureSuccessStatusCode();

        var error = await Assert.ThrowsAsync<HubException>(() => editor.InsertAsync(0, "after "));
        Assert.Contains("HubException: forbidden:", error.Message, StringComparison.Ordinal);
        var received = editor.Received.Count;
        await owner.InsertAsync(0, "owner ");

        // Marker: the editor keeps its role on another document, joined on the same connection. An update there, sent
        // after the owner's was acknowledged (and so broadcast), reaches the editor after anything from the first.
        var other = await factory.CreateDocumentAsync("owner", ("editor", "editor"));
        await using var editorOnOther = TestPeer.Create(editor.Connection, other, clientId: 12);
        await using var ownerOnOther = TestPeer.Create(factory.HubFor("owner"), other, clientId: 11);
        await editorOnOther.JoinAsync();
        await ownerOnOther.JoinAsync();
        await ownerOnOther.InsertAsync(0, "marker");
        await editorOnOther.WaitForTextAsync("marker");
        Assert.Equal(received, editor.Received.Count);
    }

    [Fact]
    public async Task the_last_owner_cannot_be_removed()
    {
        var doc = await DocumentAsync();
        using var client = ClientAs("owner");
        var response = await client.DeleteAsync(new Uri($"/api/documents/{doc}/permissions/owner", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("last owner", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
