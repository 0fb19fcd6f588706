using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>
/// The real server as a child process (<c>dotnet Collab.Server.dll</c> from this test's output folder) on a dynamic
/// loopback port, with its data folder given, so that a test can SIGKILL it and start another on the same data.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

    /// <summary>Starts a server on <paramref name="dataFolder"/> and waits until it listens.</summary>
    public static async Task<ServerProcess> StartAsync(string dataFolder, IDictionary<string, string>? settings = null, TimeSpan? timeout = null)
    {
        var server = Path.Combine(AppContext.BaseDirectory, "Collab.Server.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataFolder };
        start.ArgumentList.Add(server);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Collab__DataFolder"] = dataFolder;
        start.Environment["Collab__Auth__SigningKey"] = TestSettings.SigningKey;
        start.Environment["Collab__Auth__DevTokens"] = "true";
        start.Environment["Collab__RateLimits__HubMessagesPerSecond"] = "100000";
        start.Environment["Collab__RateLimits__HubBurst"] = "100000";
        start.Environment["Collab__RateLimits__RestRequestsPerMinute"] = "100000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (output) output.Add(line);
            const string marker = "Now listening on: ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) listening.TrySetResult(new Uri(line[(at + marker.Length)..].Trim()));
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The server exited: " + string.Join('\n', Snapshot(output))));
        try
        {
            var address = await listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
            var server1 = new ServerProcess(process, address);
            lock (output) server1._output.AddRange(output);
            return server1;
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed.</summary>
    public void Kill()
    {
        Kill(_process);
        _process.WaitForExit();
    }

    public async Task<string> TokenAsync(string user)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var response = await http.PostAsJsonAsync("/api/dev/token", new { user });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    /// <summary>An HTTP client for this server that sends <paramref name="token"/>.</summary>
    public HttpClient Http(string token)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    /// <summary>The <c>text</c> root of a document's main branch as <c>/content</c> serves it.</summary>
    public static async Task<string> TextAsync(HttpClient http, string doc)
    {
        var content = await http.GetFromJsonAsync<JsonElement>($"/api/documents/{doc}/content");
        var ydoc = new Collab.Crdt.Document.YDoc();
        ydoc.ApplyUpdate(Convert.FromBase64String(content.GetProperty("update").GetString()!));
        return ydoc.GetText("text").ToString();
    }

    public HubConnection Hub(string token) =>
        new HubConnectionBuilder().WithUrl(new Uri(BaseAddress, "/hubs/documents"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .AddMessagePackProtocol()
            .Build();

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines) return [.. lines];
    }
}
