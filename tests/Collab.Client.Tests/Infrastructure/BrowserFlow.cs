using Microsoft.Playwright;

namespace Collab.Client.Tests.Infrastructure;

/// <summary>
/// What every browser-app test class shares: headless Chromium for the class, documents set up over REST, pages opened
/// on a document and synced, waits for conditions in the page (never fixed sleeps), and the console-error check.
/// Screenshots go to <see cref="Shots"/>.
/// </summary>
public abstract class BrowserFlow(CollabServer server) : IAsyncLifetime
{
    /// <summary>Where the tests save screenshots.</summary>
    protected static readonly string Shots = Path.Combine(Path.GetTempPath(), "collab-browser-app");

    private BrowserHost? _host;

    /// <summary>The test server.</summary>
    protected CollabServer Server => server;

    /// <summary>The browser of this class's tests.</summary>
    protected BrowserHost Host => _host ?? throw new InvalidOperationException("The browser is not started.");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Shots);
        _host = await BrowserHost.LaunchAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>Creates a document owned by <paramref name="owner"/> and gives each other user its role.</summary>
    protected async Task<string> DocumentAsync(string owner, string title, params (string User, string Role)[] grants)
    {
        string token = await server.SignInAsync(owner);
        string documentId = await server.CreateDocumentAsync(token, title);
        foreach (var (user, role) in grants)
        {
            await server.SignInAsync(user);
            await server.GrantAsync(token, documentId, user, role);
        }

        return documentId;
    }

    /// <summary>A new browser context (another person) with the app open on the document, synced.</summary>
    protected async Task<IPage> OpenAsync(string user, string documentId, string branch = "main", int width = 1280)
    {
        var page = await Host.NewPageAsync(user, width);
        await GotoAsync(page, user, documentId, branch);
        return page;
    }

    /// <summary>Opens the app in <paramref name="page"/> on the document and waits until it is synced and connected.</summary>
    protected async Task GotoAsync(IPage page, string user, string documentId, string branch = "main")
    {
        await page.GotoAsync(new Uri(server.BaseUrl, $"app/?user={user}&doc={Uri.EscapeDataString(documentId)}&branch={Uri.EscapeDataString(branch)}").ToString());
        await WaitAsync(page, "() => window.collab?.provider?.synced === true && document.querySelector('#status').dataset.status === 'connected'", $"{user} to sync");
    }

    /// <summary>Waits for a condition in the page; on timeout the failure shows the page's error line and console.</summary>
    protected async Task WaitAsync(IPage page, string condition, string what, int timeoutMs = 20000)
    {
        try
        {
            await page.WaitForFunctionAsync(condition, null, new() { Timeout = timeoutMs, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            string error = await page.InnerTextAsync("#error");
            Assert.Fail($"Timed out waiting for {what}. Error line: '{error}'. Console:\n{string.Join("\n", Host.Logged().TakeLast(40))}");
        }
    }

    /// <summary>Fails when any page of the class logged a console error.</summary>
    protected void AssertNoConsoleErrors()
    {
        string[] errors = Host.Errors();
        Assert.True(errors.Length == 0, "console errors:\n" + string.Join("\n", errors));
    }

    /// <summary>In the plain-text editor of "The cat sat.", replaces "cat" with <paramref name="word"/> by keyboard.</summary>
    protected static Task ReplaceCatAsync(IPage page, string word) => ReplaceAtAsync(page, 4, 3, word);

    /// <summary>In the plain-text editor, selects <paramref name="length"/> characters from <paramref name="offset"/> by keyboard and types <paramref name="word"/>.</summary>
    protected static async Task ReplaceAtAsync(IPage page, int offset, int length, string word)
    {
        await page.ClickAsync(".cm-content");
        await page.Keyboard.PressAsync("Control+Home");
        for (int i = 0; i < offset; i++)
        {
            await page.Keyboard.PressAsync("ArrowRight");
        }

        for (int i = 0; i < length; i++)
        {
            await page.Keyboard.PressAsync("Shift+ArrowRight");
        }

        await page.Keyboard.TypeAsync(word);
    }
}
