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
