using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Collab.Crdt.Tests.Compat;

/// <summary>
/// A long-lived Node process running tests/js/peer.mjs: real yjs documents driven by line-delimited JSON.
/// Every call has a timeout; disposing kills the process tree, so a hung or crashed peer never outlives the test.
/// </summary>
internal sealed class NodePeer : IAsyncDisposable
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _readLoop;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _nextId;
    private volatile bool _exited;

    private NodePeer(Process process)
    {
        _process = process;
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
        _process.BeginErrorReadLine();
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Starts `node peer.mjs` in tests/js and checks it answers.</summary>
    public static async Task<NodePeer> StartAsync(CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo("node", "peer.mjs")
        {
            WorkingDirectory = JsEnvironment.JsDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("Node.js (`node`) is required for the yjs compatibility tests.", e);
        }

        var peer = new NodePeer(process);
        await peer.CallAsync("ping", null, TimeSpan.FromSeconds(30), ct);
        return peer;
    }

    /// <summary>Sends one command; returns its result or throws with the peer's error and stderr.</summary>
    public async Task<JsonNode?> CallAsync(string cmd, JsonObject? args = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        int id = Interlocked.Increment(ref _nextId);
        var request = args?.DeepClone().AsObject() ?? new JsonObject();
        request["id"] = id;
        request["cmd"] = cmd;
        var tcs = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        if (_exited)
        {
            throw new InvalidOperationException("yjs peer has exited. stderr:\n" + Stderr);
        }

        await _writeLock.WaitAsync(ct);
        try
        {
            await _process.StandardInput.WriteLineAsync(request.ToJsonString());
            await _process.StandardInput.FlushAsync(ct);
        }
        finally
        {
            _writeLock.Release();
        }

        try
        {
            return await tcs.Task.WaitAsync(timeout ?? s_defaultTimeout, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"yjs peer did not answer `{cmd}` within {timeout ?? s_defaultTimeout}. stderr:\n{Stderr}");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Several commands in one round trip (peer.mjs `batch`); results in order.</summary>
    public async Task<JsonArray> BatchAsync(IEnumerable<(string Cmd, JsonObject Args)> calls)
    {
        var arr = new JsonArray();
        foreach (var (cmd, args) in calls)
        {
            var call = args.DeepClone().AsObject();
            call["cmd"] = cmd;
            arr.Add(call);
        }

        return (await CallAsync("batch", new JsonObject { ["calls"] = arr }))!.AsArray();
    }

    public static JsonObject EditArgs(string doc, JsonArray txns) => new() { ["doc"] = doc, ["txns"] = txns };

    public static JsonObject ApplyArgs(string doc, IEnumerable<byte[]> updates) => new() { ["doc"] = doc, ["updates"] = B64Array(updates) };

    /// <summary>The result of `edit` or `apply`: a list of updates per transaction or per applied update.</summary>
    public static List<byte[]>[] UpdateLists(JsonNode? result) =>
        result!.AsArray().Select(list => list!.AsArray().Select(Bytes).ToList()).ToArray();

    /// <summary>The OS process id of the Node process.</summary>
    public int ProcessId => _process.Id;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    // ---- typed helpers over the protocol ----
    /// <summary>Creates a yjs doc; with <paramref name="observe"/> the events of roots t, m, a, x are logged (drainEvents).</summary>
    public Task CreateDocAsync(string doc, uint clientId, bool gc = true, bool observe = false) =>
        CallAsync("create", new JsonObject { ["doc"] = doc, ["clientId"] = clientId, ["gc"] = gc, ["observe"] = observe });

    /// <summary>
    /// Applies each update on its own, in order (origin 'remote'); returns per update the updates of the local
    /// transactions it triggered (yjs's formatting cleanup after remote changes), which a provider would broadcast.
    /// </summary>
    public async Task<List<byte[]>[]> ApplyAsync(string doc, IEnumerable<byte[]> updates)
    {
        return UpdateLists(await CallAsync("apply", ApplyArgs(doc, updates)));
    }

    public async Task<byte[]> EncodeStateAsUpdateAsync(string doc, byte[]? stateVector = null)
    {
        var args = new JsonObject { ["doc"] = doc };
        if (stateVector is not null)
        {
            args["stateVector"] = Convert.ToBase64String(stateVector);
        }

        return Bytes(await CallAsync("encode", args));
    }

    public async Task<byte[]> EncodeStateVectorAsync(string doc) =>
        Bytes(await CallAsync("stateVector", new JsonObject { ["doc"] = doc }));

    /// <summary>Content of the named roots as gen-fixtures/peer report it (tagged JSON, see lib/content.mjs).</summary>
    public async Task<JsonNode> ContentAsync(string doc, IEnumerable<(string Name, string Kind)> roots)
    {
        var arr = new JsonArray();
        foreach (var (name, kind) in roots)
        {
            arr.Add(new JsonObject { ["name"] = name, ["kind"] = kind });
        }

        return (await CallAsync("content", new JsonObject { ["doc"] = doc, ["roots"] = arr }))!;
    }

    /// <summary>Runs each inner list of ops as one transaction; returns per transaction the updates emitted while it ran.</summary>
    public async Task<List<byte[]>[]> EditAsync(string doc, JsonArray txns)
    {
        return UpdateLists(await CallAsync("edit", EditArgs(doc, txns)));
    }

    public static byte[] Bytes(JsonNode? node) => Convert.FromBase64String(node!.GetValue<string>());

    public static JsonArray B64Array(IEnumerable<byte[]> items)
    {
        var arr = new JsonArray();
        foreach (byte[] b in items)
        {
            arr.Add(Convert.ToBase64String(b));
        }

        return arr;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                JsonNode? msg;
                try
                {
                    msg = JsonNode.Parse(line);
                }
                catch (JsonException)
                {
                    continue; // not ours: peer.mjs writes only responses, but never let a stray line kill the loop
                }

                int id = msg?["id"]?.GetValue<int>() ?? -1;
                if (!_pending.TryGetValue(id, out var tcs))
                {
                    continue;
                }

                if (msg!["ok"]?.GetValue<bool>() == true)
                {
                    tcs.TrySetResult(msg["result"]);
                }
                else
                {
                    tcs.TrySetException(new InvalidOperationException("yjs peer error: " + msg["error"]));
                }
            }
        }
        finally
        {
            _exited = true;
            foreach (var tcs in _pending.Values)
            {
                tcs.TrySetException(new InvalidOperationException("yjs peer exited. stderr:\n" + Stderr));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close(); // peer.mjs exits when stdin closes
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // falls through to the kill below
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
            _process.Dispose();
            _writeLock.Dispose();
        }
    }
}
