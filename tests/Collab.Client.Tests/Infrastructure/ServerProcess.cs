using System.Diagnostics;

namespace Collab.Client.Tests.Infrastructure;

/// <summary>
/// The real server as a child process (<c>dotnet Collab.Server.dll</c> from this test's output folder) on loopback,
/// on a data folder given, so that a test can SIGKILL it and start another on the same data (and port).
/// A small copy of tests/Collab.Server.Tests/Infrastructure/ServerProcess.cs (whose TestSettings needs the server's
/// internals) for the protocol tests here.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts a server on <paramref name="dataFolder"/> (port 0: any free one) and waits until it listens.</summary>
    public static async Task<ServerProcess> StartAsync(string dataFolder, int port = 0)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataFolder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Collab.Server.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Collab__DataFolder"] = dataFolder;
        start.Environment["Collab__Auth__SigningKey"] = "collab-client-tests-signing-key-0123456789abcdef";
        start.Environment["Collab__Auth__DevTokens"] = "true";
        start.Environment["Collab__RateLimits__HubMessagesPerSecond"] = "100000";
        start.Environment["Collab__RateLimits__HubBurst"] = "100000";
        start.Environment["Collab__RateLimits__RestRequestsPerMinute"] = "100000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.Add(line);
            }

            const string marker = "Now listening on: ";
            int at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(new Uri(line[(at + marker.Length)..].Trim() + "/"));
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            lock (output)
            {
                listening.TrySetException(new InvalidOperationException("The server exited: " + string.Join('\n', output)));
            }
        };
        try
        {
            return new ServerProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
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
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
