using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>
/// The browser app switched to the stock <c>@hocuspocus/provider</c> (<c>?provider=hocuspocus</c>): two people type
/// into the Tiptap editor over Collab's Hocuspocus endpoint and their pages converge. Waits are for page conditions.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserHocuspocusTests(CollabServer server) : IAsyncLifetime
{
    private BrowserHost? _host;

    public async Task InitializeAsync() => _host = await BrowserHost.LaunchAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task two_pages_on_the_hocuspocus_provider_type_into_tiptap_and_converge()
    {
        string aliceToken = await server.SignInAsync("alice");
        string documentId = await server.CreateDocumentAsync(aliceToken, "tiptap over hocuspocus");
        await server.SignInAsync("bob");
        await server.GrantAsync(aliceToken, documentId, "bob", "editor");

        var alice = await OpenAsync("alice", documentId);
        var bob = await OpenAsync("bob", documentId);

        await alice.ClickAsync("#rich .tiptap");
        await alice.Keyboard.TypeAsync("Hello from Hocuspocus");
        await WaitAsync(bob, "() => window.collab.rich.getText() === 'Hello from Hocuspocus'", "bob to see alice's text");

        await bob.ClickAsync("#rich .tiptap");
        await bob.Keyboard.PressAsync("End");
        await bob.Keyboard.TypeAsync(", and back");
        const string expected = "Hello from Hocuspocus, and back";
        await WaitAsync(alice, $"() => window.collab.rich.getText() === '{expected}'", "alice to see bob's text");
        await WaitAsync(bob, $"() => window.collab.rich.getText() === '{expected}'", "bob's page to keep it");

        // Both providers end with nothing unsynced: the server acknowledged every change as stored.
        await WaitAsync(alice, "() => window.collab.provider.unsyncedChanges === 0", "alice's changes to be stored");
        await WaitAsync(bob, "() => window.collab.provider.unsyncedChanges === 0", "bob's changes to be stored");
        string[] errors = _host!.Errors();
        Assert.True(errors.Length == 0, "console errors:\n" + string.Join("\n", errors));
    }

    private async Task<IPage> OpenAsync(string user, string documentId)
    {
        var page = await _host!.NewPageAsync(user, 1280);
        await page.GotoAsync(new Uri(server.BaseUrl, $"app/?user={user}&doc={Uri.EscapeDataString(documentId)}&provider=hocuspocus").ToString());
        await WaitAsync(page, "() => window.collab?.provider?.isSynced === true && window.collab.provider.unsyncedChanges === 0", $"{user} to sync");
        return page;
    }

    private async Task WaitAsync(IPage page, string condition, string what)
    {
        try
        {
            await page.WaitForFunctionAsync(condition, null, new() { Timeout = 20000, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            string error = await page.InnerTextAsync("#error");
            Assert.Fail($"Timed out waiting for {what}. Error line: '{error}'. Console:\n{string.Join("\n", _host!.Logged().TakeLast(40))}");
        }
    }
}
