using Collab.Documents.Sessions;
using Collab.Server.Hubs;
using Collab.Server.Protocols;
using Microsoft.Extensions.Options;

namespace Collab.Server;

/// <summary>
/// Runs the idle-session sweep, and on shutdown — before Kestrel stops, so that in-flight invocations can still be
/// answered — stops new work, lets every branch finish its appends, writes snapshots, then closes the hub connections.
/// </summary>
internal sealed class SessionHost(
    SessionManager sessions,
    ConnectionRegistry connections,
    SocketRegistry sockets,
    IOptions<LiveSessionOptions> options,
    ILogger<SessionHost> logger) : IHostedLifecycleService, IDisposable
{
    /// <summary>What clients read in the close message (SignalR .NET: the Closed event's exception).</summary>
    public const string ShutdownReason = "unavailable: The server is shutting down; every acknowledged update is stored. Reconnect and resync.";

    private readonly CancellationTokenSource _stop = new();
    private Task _sweeper = Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _sweeper = SweepAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _sweeper;
        await sessions.StopAsync().WaitAsync(cancellationToken);
        ServerLog.ClosingConnections(logger, connections.Count);
        await connections.CloseAllAsync(ShutdownReason, cancellationToken);
        // Raw protocol sockets (y-websocket) get a "going away" close: their providers reconnect and resync.
        sockets.CloseAll(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "unavailable: The server is shutting down. Reconnect and resync.");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _stop.Dispose();

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await sessions.SweepIdleAsync(id => connections.IsConnected(id) || sockets.IsConnected(id));
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
