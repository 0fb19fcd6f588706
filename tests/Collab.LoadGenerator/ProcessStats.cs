using System.Globalization;

namespace Collab.LoadGenerator;

/// <summary>CPU time and resident memory of a process, read from /proc (Linux).</summary>
internal readonly record struct ProcessSample(DateTime At, double CpuSeconds, long RssBytes)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ is 100 on Linux x86-64

    public static ProcessSample? Read(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces) start after the last ')'.
            string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double cpu = (double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            long rss = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }

            return new ProcessSample(DateTime.UtcNow, cpu, rss);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Average CPU use between two samples, in percent of one core.</summary>
    public static double CpuPercent(ProcessSample from, ProcessSample to) =>
        100 * (to.CpuSeconds - from.CpuSeconds) / Math.Max(1e-9, (to.At - from.At).TotalSeconds);
}

/// <summary>Whole-machine figures: busy share of all cores (from /proc/stat) and the 1-minute load average.</summary>
internal readonly record struct MachineSample(long Busy, long Total, double LoadAverage)
{
    public static MachineSample Read()
    {
        // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..."
        string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long[] v = f.Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        long idle = v[3] + v[4];
        long total = v.Sum();
        double load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        return new MachineSample(total - idle, total, load);
    }

    /// <summary>Share of all cores that was busy between two samples, in percent.</summary>
    public static double BusyPercent(MachineSample from, MachineSample to) =>
        100.0 * (to.Busy - from.Busy) / Math.Max(1, to.Total - from.Total);
}
