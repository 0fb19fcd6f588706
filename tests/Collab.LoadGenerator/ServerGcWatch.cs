using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Collab.LoadGenerator;

/// <summary>
/// The server's garbage collections, read over the runtime's diagnostics channel (an EventPipe session with the GC
/// keyword at informational level, as dotnet-trace does): each collection's generation and each pause (execution
/// engine suspended → restarted). Events arrive with a delay, so figures are asked for a past window by timestamp.
/// </summary>
internal sealed class ServerGcWatch : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(DateTime At, int Generation)> _collections = [];
    private readonly List<(DateTime At, double Milliseconds)> _pauses = [];
    private readonly EventPipeSession? _session;
    private readonly EventPipeEventSource? _source;
    private readonly Task? _pump;
    private double _suspendedAtMs = -1;

    private ServerGcWatch(int pid)
    {
        try
        {
            var providers = new[] { new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.GC) };
            _session = new DiagnosticsClient(pid).StartEventPipeSession(providers, requestRundown: false);
            _source = new EventPipeEventSource(_session.EventStream);
            _source.Clr.GCStart += e =>
            {
                lock (_gate) _collections.Add((e.TimeStamp.ToUniversalTime(), e.Depth));
            };
            _source.Clr.GCSuspendEEStart += e =>
            {
                // Only the suspensions made for a collection: the debugger and others suspend the runtime too.
                if (e.Reason is GCSuspendEEReason.SuspendForGC or GCSuspendEEReason.SuspendForGCPrep) _suspendedAtMs = e.TimeStampRelativeMSec;
            };
            _source.Clr.GCRestartEEStop += e =>
            {
                if (_suspendedAtMs < 0) return;
                lock (_gate) _pauses.Add((e.TimeStamp.ToUniversalTime(), e.TimeStampRelativeMSec - _suspendedAtMs));
                _suspendedAtMs = -1;
            };
            _pump = Task.Run(() => _source.Process());
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException or UnauthorizedAccessException)
        {
            Problem = e.Message;
        }
    }

    /// <summary>Why no events come (null when the session started).</summary>
    public string? Problem { get; }

    /// <summary>Starts watching the .NET process <paramref name="pid"/>; see <see cref="Problem"/> when it could not.</summary>
    public static ServerGcWatch Start(int pid) => new(pid);

    /// <summary>Collections and pauses that began in [<paramref name="from"/>, <paramref name="to"/>) (UTC); null when not watching.</summary>
    public GcFigures? Between(DateTime from, DateTime to)
    {
        if (Problem is not null)
        {
            return null;
        }

        lock (_gate)
        {
            int[] byGeneration = new int[3];
            foreach (var (at, generation) in _collections)
            {
                if (at >= from && at < to) byGeneration[Math.Min(2, generation)]++;
            }

            var pauses = _pauses.Where(p => p.At >= from && p.At < to).Select(p => p.Milliseconds).ToList();
            return new GcFigures(byGeneration[0], byGeneration[1], byGeneration[2], pauses.Sum(), pauses.Count > 0 ? pauses.Max() : 0);
        }
    }

    public void Dispose()
    {
        try
        {
            _session?.Stop();
        }
        catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException or ObjectDisposedException)
        {
            // The server may be gone already.
        }

        _pump?.Wait(TimeSpan.FromSeconds(5));
        _source?.Dispose();
        _session?.Dispose();
    }
}

/// <summary>Garbage collections of one window: counts by generation and the pauses (ms).</summary>
internal readonly record struct GcFigures(int Gen0, int Gen1, int Gen2, double PauseMs, double MaxPauseMs);
