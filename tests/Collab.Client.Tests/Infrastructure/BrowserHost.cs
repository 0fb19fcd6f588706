using Microsoft.Playwright;

namespace Collab.Client.Tests.Infrastructure;

/// <summary>
/// Headless Chromium for the browser tests: the system's /usr/bin/chromium through Playwright (no browser download).
/// Each page's console and page errors are recorded, so that a failure can show them and a test can assert none.
/// </summary>
public sealed class BrowserHost : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly List<string> _log = [];
    private readonly List<string> _errors = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Starts Chromium (fails clearly when it is not installed).</summary>
    public static async Task<BrowserHost> LaunchAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install it with `apt-get install -y chromium`.");
        var host = new BrowserHost { _playwright = await Playwright.CreateAsync() };
        host._browser = await host._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        return host;
    }

    /// <summary>A page in a new browser context (its own storage and IndexedDB: another person or device).</summary>
    public async Task<IPage> NewPageAsync(string user, int width = 1280, int height = 900)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        Watch(page, user);
        return page;
    }

    /// <summary>Records the page's console and errors under <paramref name="user"/>.</summary>
    public void Watch(IPage page, string user)
    {
        page.Console += (_, message) =>
        {
            Add(_log, $"{user} console {message.Type}: {message.Text}");
            if (message.Type == "error")
            {
                Add(_errors, $"{user}: {message.Text}");
            }
        };
        page.PageError += (_, error) =>
        {
            Add(_log, $"{user} page error: {error}");
            Add(_errors, $"{user} page error: {error}");
        };
    }

    /// <summary>Everything the pages logged so far.</summary>
    public string[] Logged() => Copy(_log);

    /// <summary>Console errors and uncaught page errors so far.</summary>
    public string[] Errors() => Copy(_errors);

    public async ValueTask DisposeAsync()
    {
        // COLLAB_BROWSER_LOG=file keeps every page's console (warnings included) for a look after the run.
        if (Environment.GetEnvironmentVariable("COLLAB_BROWSER_LOG") is { Length: > 0 } logFile)
        {
            await File.AppendAllLinesAsync(logFile, Logged());
        }

        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static void Add(List<string> list, string line)
    {
        lock (list)
        {
            list.Add(line);
        }
    }

    private static string[] Copy(List<string> list)
    {
        lock (list)
        {
            return list.ToArray();
        }
    }
}
