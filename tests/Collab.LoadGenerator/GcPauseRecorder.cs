using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Collab.LoadGenerator;

/// <summary>
/// Records the garbage-collection pauses of another .NET process over EventPipe (the runtime's GC keyword at
/// informational level, as <c>dotnet-trace collect --providers Microsoft-Windows-DotNETRuntime:0x1:4</c> does). A pause
/// is the time from the runtime's "suspend execution engine" start to its "restart execution engine" end: the time every
/// managed thread of the process stood still (suspensions for anything but a collection are left out). A background
/// collection shows as its short suspensions, not its length. Used by the hub-memory mode (pauses by phase) and the
/// fan-out mode (collections and pauses of a time window, the share of each pause spent stopping threads, the bytes
/// promoted, and with <c>--allocations</c> the allocation ticks).
/// </summary>
internal sealed class GcPauseRecorder : IAsyncDisposable
{
    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _processing;
    private readonly List<Pause> _pauses = [];
    private readonly Lock _gate = new();
    private double _suspendStartMs = -1;
    private int _generation;
    private string _type = "";
    private string _reason = "";
    private int _gcIndex;
    private double _suspendedMs;
    private long _promotedBytes;
    private readonly List<(DateTime At, double SuspendMs, long Promoted)> _details = [];
    private readonly List<AllocationSample> _allocations = [];
    private bool _stopped;

    private GcPauseRecorder(EventPipeSession session)
    {
        _session = session;
        _source = new EventPipeEventSource(session.EventStream);
        _source.Clr.GCStart += OnGcStart;
        _source.Clr.GCSuspendEEStart += e =>
        {
            // Only the suspensions made for a collection: the debugger and others suspend the runtime too.
            if (e.Reason is GCSuspendEEReason.SuspendForGC or GCSuspendEEReason.SuspendForGCPrep) _suspendStartMs = e.TimeStampRelativeMSec;
        };
        _source.Clr.GCRestartEEStop += OnRestarted;
        _source.Clr.GCSuspendEEStop += e =>
        {
            if (_suspendStartMs >= 0) _suspendedMs = e.TimeStampRelativeMSec - _suspendStartMs;
        };
        _source.Clr.GCHeapStats += e => _promotedBytes = e.TotalPromotedSize0 + e.TotalPromotedSize1 + e.TotalPromotedSize2;
        // Only raised at verbose level (Start with allocations): one event per ~100 KB allocated, naming the type that crossed it.
        _source.Clr.GCAllocationTick += e =>
        {
            var sample = new AllocationSample(e.TimeStamp.ToUniversalTime(), e.AllocationAmount64, e.TypeName ?? "?");
            lock (_gate) _allocations.Add(sample);
        };
        _processing = Task.Run(() => _source.Process());
    }

    /// <summary>One stop of the world: the collection it belonged to, how long it lasted and when it ended (UTC).</summary>
    public readonly record struct Pause(int GcIndex, int Generation, string Type, string Reason, string Phase, double Milliseconds, DateTime At);

    /// <summary>A label the pauses recorded from now on carry (what the process was doing).</summary>
    public string Phase { get; set; } = "";

    /// <summary>
    /// Starts recording the process <paramref name="pid"/>'s GC pauses; with <paramref name="allocations"/> also its
    /// allocation ticks (the GC keyword at verbose level: a sampled view of what allocates, ~100 KB per sample).
    /// </summary>
    public static GcPauseRecorder Start(int pid, bool allocations = false)
    {
        var client = new DiagnosticsClient(pid);
        var level = allocations ? System.Diagnostics.Tracing.EventLevel.Verbose : System.Diagnostics.Tracing.EventLevel.Informational;
        var providers = new[]
        {
            new EventPipeProvider(ClrTraceEventParser.ProviderName, level, (long)ClrTraceEventParser.Keywords.GC),
        };
        return new GcPauseRecorder(client.StartEventPipeSession(providers, requestRundown: false));
    }

    /// <summary>Starts recording, or returns null with the reason when the process offers no diagnostics session.</summary>
    public static GcPauseRecorder? TryStart(int pid, out string? problem, bool allocations = false)
    {
        try
        {
            problem = null;
            return Start(pid, allocations);
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return null;
        }
    }

    /// <summary>
    /// The collections whose pauses ended in [<paramref name="from"/>, <paramref name="to"/>) (UTC), by generation, and
    /// those pauses. Events arrive with a delay, so ask for a window that ended a moment ago.
    /// </summary>
    public GcFigures Between(DateTime from, DateTime to)
    {
        var pauses = Pauses.Where(p => p.At >= from && p.At < to).ToList();
        var byGeneration = new int[3];
        foreach (var collection in pauses.DistinctBy(p => p.GcIndex)) byGeneration[Math.Min(2, collection.Generation)]++;
        return new GcFigures(byGeneration[0], byGeneration[1], byGeneration[2], pauses.Sum(p => p.Milliseconds), pauses.Count > 0 ? pauses.Max(p => p.Milliseconds) : 0);
    }

    /// <summary>
    /// Bytes allocated in [<paramref name="from"/>, <paramref name="to"/>) (UTC) as the allocation ticks count them, and
    /// the types that crossed the most ticks (empty unless started with allocations).
    /// </summary>
    public (long Bytes, IReadOnlyList<(string Type, long Bytes)> Top) AllocatedBetween(DateTime from, DateTime to, int top)
    {
        List<AllocationSample> window;
        lock (_gate) window = [.. _allocations.Where(a => a.At >= from && a.At < to)];
        var byType = window.GroupBy(a => a.Type).Select(g => (g.Key, g.Sum(a => a.Bytes))).OrderByDescending(t => t.Item2).Take(top).ToList();
        return (window.Sum(a => a.Bytes), byType);
    }

    private readonly record struct AllocationSample(DateTime At, long Bytes, string Type);

    /// <summary>
    /// Of the pauses that ended in the window: the mean and longest time the runtime took to stop its threads (part of
    /// each pause), and the mean bytes the collections promoted.
    /// </summary>
    public (double MeanSuspendMs, double MaxSuspendMs, double MeanPromotedBytes) SuspensionBetween(DateTime from, DateTime to)
    {
        List<(DateTime At, double SuspendMs, long Promoted)> window;
        lock (_gate) window = [.. _details.Where(d => d.At >= from && d.At < to)];
        return window.Count == 0 ? (0, 0, 0) : (window.Average(d => d.SuspendMs), window.Max(d => d.SuspendMs), window.Average(d => (double)d.Promoted));
    }

    /// <summary>The pauses seen so far.</summary>
    public IReadOnlyList<Pause> Pauses
    {
        get
        {
            lock (_gate) return [.. _pauses];
        }
    }

    /// <summary>Stops the session and waits until every buffered event has been read.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped) return;
        _stopped = true;
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (ServerNotAvailableException)
        {
            // The process is gone: what was read is all there is.
        }
        await _processing.WaitAsync(TimeSpan.FromSeconds(30));
        _source.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// A one-line summary: collections, pauses, max and how many went over <paramref name="limitMs"/>; induced collections
    /// (GC.Collect) are left out.
    /// </summary>
    public static string Summarize(IReadOnlyList<Pause> pauses, double limitMs)
    {
        // Collections the benchmark itself asked for (the footprint endpoint's forced full GCs) are not the server's.
        pauses = [.. pauses.Where(p => !p.Reason.StartsWith("Induced", StringComparison.Ordinal))];
        if (pauses.Count == 0) return "no GC pause recorded";
        var sorted = pauses.Select(p => p.Milliseconds).Order().ToArray();
        var byGeneration = string.Join(", ", pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"gen{g.Key} {g.Select(p => p.GcIndex).Distinct().Count()} GCs / max {g.Max(p => p.Milliseconds):F2} ms")));
        var max = pauses.MaxBy(p => p.Milliseconds);
        return string.Create(CultureInfo.InvariantCulture,
            $"{pauses.Select(p => p.GcIndex).Distinct().Count()} GCs, {pauses.Count} pauses; pause p50 {sorted[sorted.Length / 2]:F2} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F2} ms, max {max.Milliseconds:F2} ms (gen{max.Generation} {max.Type}); over {limitMs} ms: {pauses.Count(p => p.Milliseconds > limitMs)}; {byGeneration}");
    }

    private void OnGcStart(GCStartTraceData e)
    {
        _generation = e.Depth;
        _type = e.Type.ToString();
        _reason = e.Reason.ToString();
        _gcIndex = e.Count;
    }

    private void OnRestarted(GCNoUserDataTraceData e)
    {
        if (_suspendStartMs < 0) return;
        var pause = new Pause(_gcIndex, _generation, _type, _reason, Phase, e.TimeStampRelativeMSec - _suspendStartMs, e.TimeStamp.ToUniversalTime());
        _suspendStartMs = -1;
        lock (_gate)
        {
            _pauses.Add(pause);
            _details.Add((pause.At, _suspendedMs, _promotedBytes));
        }
        _suspendedMs = 0;
    }
}

/// <summary>Garbage collections of one window: counts by generation and the pauses (ms).</summary>
internal readonly record struct GcFigures(int Gen0, int Gen1, int Gen2, double PauseMs, double MaxPauseMs);
