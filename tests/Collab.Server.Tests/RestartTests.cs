using System.Net.Http.Json;
using Collab.Crdt.Document;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests;

/// <summary>The real server on a loopback Kestrel port with the LiteDB store, stopped and restarted mid-typing.</summary>
public sealed class RestartTests : IAsyncLifetime
{
    private readonly string _folder = TestSettings.TempFolder();
    private KestrelHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = new KestrelHost(_folder, inMemory: false);
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// What a call can fail with when the server stops under it (refused as unavailable, or the connection closed).
    /// Anything else is a defect and fails the test.
    /// </summary>
    private static bool IsConnectionLoss(Exception ex) =>
        ex is HubException or InvalidOperationException or IOException or OperationCanceledException
            or HttpRequestException or System.Net.WebSockets.WebSocketException;

    private async Task<string> CreateDocumentAsync(string owner, params (string User, string Role)[] grants)
    {
        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _host.Token(owner));
        var id = "restart-" + Guid.NewGuid().ToString("N")[..8];
        (await http.PostAsJsonAsync("/api/documents", new { id, title = "Restart" })).EnsureSuccessStatusCode();
        foreach (var (user, role) in grants) (await http.PutAsJsonAsync($"/api/documents/{id}/permissions/{user}", new { role })).EnsureSuccessStatusCode();
        return id;
    }

    [Fact]
    public async Task every_acknowledged_update_survives_a_restart_mid_typing_and_clients_resync_to_identical_content()
    {
        var doc = await CreateDocumentAsync("alice", ("bob", "editor"));
        var aliceToken = _host.Token("alice");
        var bobToken = _host.Token("bob");
        var alice = TestPeer.Create(_host.Hub(aliceToken), doc, clientId: 1);
        var bob = TestPeer.Create(_host.Hub(bobToken), doc, clientId: 2);
        await using var _ = alice;
        await using var __ = bob;
        await alice.JoinAsync();
        await bob.JoinAsync();

        var acked = new System.Text.StringBuilder();
        long lastSeq = 0;
        var enoughTyped = new TaskCompletionSource();
        var typing = Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var letter = ((char)('a' + (i % 26))).ToString();
                try
                {
                    var ack = await alice.InsertAsync(alice.Text.Length, letter);
                    acked.Append(letter);
                    lastSeq = ack.Seq ?? lastSeq;
                    if (acked.Length == 40) enoughTyped.TrySetResult();
                }
                catch (Exception ex) when (IsConnectionLoss(ex))
                {
                    return; // the server went away mid-typing: this keystroke was not acknowledged
                }
            }
        });

        await enoughTyped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await _host.StopAsync();
        await typing.WaitAsync(TimeSpan.FromSeconds(30));
        var ackedText = acked.ToString();
        Assert.True(ackedText.Length >= 40);

        await _host.StartAsync();

        // Before any client comes back, the restarted server already holds every acknowledged keystroke.
        var branch = new BranchRef(new DocumentId(doc), BranchName.Main);
        var head = await _host.Services.GetRequiredService<IEventStore>().GetHeadAsync(branch);
        Assert.True(head.Seq.Value >= lastSeq, $"head {head.Seq} < last acknowledged seq {lastSeq}");
        var (_, content) = await _host.Services.GetRequiredService<SessionManager>().ReadContentAsync(branch, default);
        var serverDoc = new YDoc();
        serverDoc.ApplyUpdate(content);
        Assert.StartsWith(ackedText, serverDoc.GetText("text").ToString(), StringComparison.Ordinal);
        Assert.True((await _host.Services.GetRequiredService<IEventStore>().VerifyAsync(branch)).IsValid);

        // The clients reconnect and resync (including any keystroke typed but never acknowledged).
        await alice.ReconnectAsync(_host.Hub(aliceToken));
        await bob.ReconnectAsync(_host.Hub(bobToken));
        await bob.WaitForTextAsync(alice.Text);
        Assert.StartsWith(ackedText, alice.Text, StringComparison.Ordinal);
        Assert.Equal(alice.Doc.EncodeStateVector(), bob.Doc.EncodeStateVector());

        // And what they agree on is what the server stored.
        await alice.InsertAsync(alice.Text.Length, "!");
        await bob.WaitForTextAsync(alice.Text);
        var (_, after) = await _host.Services.GetRequiredService<SessionManager>().ReadContentAsync(branch, default);
        var check = new YDoc();
        check.ApplyUpdate(after);
        Assert.Equal(alice.Text, check.GetText("text").ToString());
    }

    [Fact]
    public async Task a_browser_style_connection_authenticates_with_the_access_token_query_over_websockets()
    {
        var doc = await CreateDocumentAsync("alice");
        var token = _host.Token("alice");
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.BaseAddress, $"/hubs/documents?access_token={Uri.EscapeDataString(token)}"), options =>
            {
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
            })
            .AddMessagePackProtocol()
            .Build();
        connection.On<string, string, byte[]>("Sync", (_, _, _) => { });
        await connection.StartAsync();
        var result = await connection.InvokeAsync<Collab.Server.Hubs.JoinResult>("Join", doc, "main");
        Assert.Equal("owner", result.Role);
    }

    [Fact]
    public async Task a_graceful_stop_closes_connections_with_a_reason_that_allows_reconnecting()
    {
        var doc = await CreateDocumentAsync("alice");
        var alice = TestPeer.Create(_host.Hub(_host.Token("alice")), doc, clientId: 1);
        await using var _ = alice;
        await alice.JoinAsync();
        var closed = new TaskCompletionSource<Exception?>();
        alice.Connection.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };

        await _host.StopAsync();

        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(reason);
        Assert.Contains("shutting down", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task roles_and_documents_survive_a_restart()
    {
        var doc = await CreateDocumentAsync("alice", ("bob", "viewer"));
        await _host.StopAsync();
        await _host.StartAsync();

        using var http = new HttpClient { BaseAddress = _host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _host.Token("bob"));
        var view = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/documents/{doc}");
        Assert.Equal("viewer", view.GetProperty("role").GetString());
        Assert.Equal("Restart", view.GetProperty("title").GetString());
    }
}
