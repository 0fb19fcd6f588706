using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Collab.Client.Tests.Infrastructure;

/// <summary>
/// A Node process running <c>Node/wire-peer.mjs</c>: stock yjs + y-protocols + @microsoft/signalr peers that the test
/// drives with one JSON command per line.
/// </summary>
public sealed class NodePeers : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _waiting = new();
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _seq;

    private NodePeers(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data) || !e.Data.StartsWith('{'))
            {
                return;
            }

            var reply = JsonNode.Parse(e.Data)!.AsObject();
            int seq = reply["seq"]!.GetValue<int>();
            if (_waiting.TryRemove(seq, out var tcs))
            {
                tcs.TrySetResult(reply);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.Exited += (_, _) =>
        {
            foreach (var tcs in _waiting.Values)
            {
                tcs.TrySetException(new InvalidOperationException("the Node peer process exited: " + StandardError));
            }
        };
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static NodePeers Start() => StartScript("tests", "Collab.Client.Tests", "Node", "wire-peer.mjs");

    /// <summary>Starts another script that speaks the same line protocol (path from the repository root).</summary>
    public static NodePeers StartScript(params string[] pathFromRoot)
    {
        string root = RepositoryPathsAttribute.Current.Root;
        string script = Path.Combine([root, .. pathFromRoot]);
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var peers = new NodePeers(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peers;
    }

    /// <summary>Sends one command and returns its reply; a failed command throws with Node's message.</summary>
    public async Task<JsonObject> SendAsync(string cmd, object? args = null, TimeSpan? timeout = null)
    {
        int seq = Interlocked.Increment(ref _seq);
        var message = args is null ? new JsonObject() : JsonSerializer.SerializeToNode(args)!.AsObject();
        message["cmd"] = cmd;
        message["seq"] = seq;
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[seq] = tcs;
        await _writeLock.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(message.ToJsonString());
            await _process.StandardInput.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }

        JsonObject reply;
        try
        {
            reply = await tcs.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Node peer command {cmd} timed out; stderr: {StandardError}");
        }

        if (reply["ok"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"Node peer command {cmd} failed: {reply["error"]}");
        }

        return reply;
    }

    public async Task<string> TextAsync(string peer) =>
        (await SendAsync("text", new { peer }))["text"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SendAsync("close", timeout: TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Fall through to the kill below.
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            _writeLock.Dispose();
        }
    }
}
