namespace Collab.LoadGenerator;

/// <summary>Collects latency samples (microseconds) from many threads; percentiles are computed at the end.</summary>
internal sealed class LatencyRecorder
{
    private readonly Lock _gate = new();
    private List<int> _samples = new(1 << 16);

    public bool Recording { get; set; }

    public void Add(long microseconds)
    {
        if (!Recording)
        {
            return;
        }

        lock (_gate)
        {
            _samples.Add((int)Math.Min(microseconds, int.MaxValue));
        }
    }

    public LatencySummary Summarize()
    {
        List<int> samples;
        lock (_gate)
        {
            samples = _samples;
            _samples = new List<int>(1 << 16);
        }

        if (samples.Count == 0)
        {
            return new LatencySummary(0, 0, 0, 0);
        }

        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Floor(q * samples.Count))] / 1000.0;
        return new LatencySummary(samples.Count, At(0.50), At(0.99), samples[^1] / 1000.0);
    }
}

/// <summary>Percentiles in milliseconds.</summary>
internal readonly record struct LatencySummary(int Count, double P50, double P99, double Max);
