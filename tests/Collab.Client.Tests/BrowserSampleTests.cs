using Collab.Client.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Collab.Client.Tests;

/// <summary>The browser app's basic flows in headless Chromium (see <see cref="BrowserHost"/>): the CodeMirror editor, sign-in, create, read-only.</summary>
[Collection(ServerCollection.Name)]
public sealed class BrowserSampleTests(CollabServer server) : IAsyncLifetime
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

    private async Task<IPage> OpenEditorAsync(string user, string documentId)
    {
        var page = await _host!.NewPageAsync(user, 1000, 640);
        await page.GotoAsync(new Uri(server.BaseUrl, $"app/?user={user}&doc={Uri.EscapeDataString(documentId)}&branch=main").ToString());
        try
        {
            await page.WaitForFunctionAsync("() => window.collab?.provider?.synced === true", null, new() { Timeout = 20000 });
        }
        catch (TimeoutException)
        {
            string error = await page.Locator("#error").CountAsync() > 0 ? await page.InnerTextAsync("#error") : "(no #error: " + (await page.ContentAsync())[..200] + ")";
            Assert.Fail($"{user}'s page did not sync. Error line: '{error}'. Console:\n{string.Join("\n", _host.Logged())}");
        }

        return page;
    }

    [Fact]
    public async Task two_browser_pages_type_and_see_each_others_text_and_presence()
    {
        string alice = await server.SignInAsync("alice");
        await server.SignInAsync("bob");
        string documentId = await server.CreateDocumentAsync(alice, "browser test");
        await server.GrantAsync(alice, documentId, "bob", "editor");

        var alicePage = await OpenEditorAsync("alice", documentId);
        var bobPage = await OpenEditorAsync("bob", documentId);

        await alicePage.ClickAsync(".cm-content");
        await alicePage.Keyboard.TypeAsync("Hello from Alice.");
        await bobPage.WaitForFunctionAsync(
            "() => window.collab.ytext.toString().includes('Hello from Alice.')", null, new() { Timeout = 10000 });
        Assert.Contains("Hello from Alice.", await bobPage.InnerTextAsync(".cm-content"));

        await bobPage.ClickAsync(".cm-content");
        await bobPage.Keyboard.PressAsync("End");
        await bobPage.Keyboard.TypeAsync(" Hi Alice, Bob here.");
        await alicePage.WaitForFunctionAsync(
            "() => window.collab.ytext.toString() === 'Hello from Alice. Hi Alice, Bob here.'", null, new() { Timeout = 10000 });
        // What the editor shows, not only what the Y.Text holds.
        Assert.Equal("Hello from Alice. Hi Alice, Bob here.", await alicePage.EvaluateAsync<string>("() => window.collab.view.state.doc.toString()"));

        // Presence: each page lists the other user, and shows the other's caret with its name.
        await alicePage.WaitForSelectorAsync("#peers span:text('bob')", new() { Timeout = 10000 });
        await alicePage.WaitForSelectorAsync(".cm-ySelectionInfo:text('bob')", new() { Timeout = 10000, State = WaitForSelectorState.Attached });
        await bobPage.WaitForSelectorAsync("#peers span:text('alice')", new() { Timeout = 10000 });
        Assert.Equal("connected", await alicePage.GetAttributeAsync("#status", "data-status"));

        string shots = Path.Combine(Path.GetTempPath(), "collab-browser-sample");
        Directory.CreateDirectory(shots);
        await alicePage.ScreenshotAsync(new() { Path = Path.Combine(shots, "alice.png") });
        await bobPage.ScreenshotAsync(new() { Path = Path.Combine(shots, "bob.png") });
    }

    [Fact]
    public async Task a_user_signs_in_creates_a_document_and_opens_it_through_the_page()
    {
        var page = await _host!.NewPageAsync("dora");
        await page.GotoAsync(new Uri(server.BaseUrl, "app/").ToString());
        await page.FillAsync("#user", "dora");
        await page.ClickAsync("#signin-form button");
        await page.WaitForSelectorAsync("#picker:not([hidden])");

        await page.FillAsync("#new-title", "Dora's notes");
        await page.ClickAsync("#create-form button");
        await page.WaitForFunctionAsync("() => Array.from(document.querySelectorAll('#documents option')).some(o => o.text.startsWith(\"Dora's notes\"))");
        await page.WaitForSelectorAsync("#branches option", new() { State = WaitForSelectorState.Attached });
        Assert.Equal("main", await page.InputValueAsync("#branches"));
        await page.ClickAsync("#open");
        await page.WaitForFunctionAsync("() => window.collab?.provider?.synced === true");
        Assert.Equal("role: owner", await page.InnerTextAsync("#role"));

        await page.ClickAsync(".cm-content");
        await page.Keyboard.TypeAsync("kept");
        await page.WaitForFunctionAsync("() => document.querySelector('#pending').textContent === 'saved'");
        string documentId = await page.EvaluateAsync<string>("() => window.collab.provider.documentId");
        Assert.StartsWith("doc-", documentId, StringComparison.Ordinal);

        // A reload opens the same document from the URL and shows what the server stored.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => window.collab?.provider?.synced === true");
        Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.collab.view.state.doc.toString()"));
        await page.Context.DisposeAsync();
    }

    [Fact]
    public async Task a_viewers_editor_is_read_only_and_still_follows_the_owners_typing()
    {
        string alice = await server.SignInAsync("alice");
        await server.SignInAsync("vera");
        string documentId = await server.CreateDocumentAsync(alice, "read-only test");
        await server.GrantAsync(alice, documentId, "vera", "viewer");

        var ownerPage = await OpenEditorAsync("alice", documentId);
        var viewerPage = await OpenEditorAsync("vera", documentId);
        await viewerPage.WaitForFunctionAsync("() => document.querySelector('#role').textContent === 'role: viewer'");

        await viewerPage.ClickAsync(".cm-content");
        await viewerPage.Keyboard.TypeAsync("should not appear");
        await ownerPage.ClickAsync(".cm-content");
        await ownerPage.Keyboard.TypeAsync("owner only");
        await viewerPage.WaitForFunctionAsync("() => window.collab.view.state.doc.toString() === 'owner only'", null, new() { Timeout = 10000 });
        Assert.Equal("owner only", await ownerPage.EvaluateAsync<string>("() => window.collab.ytext.toString()"));
        Assert.Equal(0, await viewerPage.EvaluateAsync<int>("() => window.collab.provider.pendingCount"));
    }
}
