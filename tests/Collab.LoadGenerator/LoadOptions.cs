using System.Globalization;

namespace Collab.LoadGenerator;

/// <summary>Command-line settings of the load generator (see docs/benchmarks.md for the runs we made).</summary>
internal sealed class LoadOptions
{
    public Uri Server { get; private set; } = new("http://127.0.0.1:5050/");

    public int Editors { get; private set; } = 500;

    public int Documents { get; private set; } = 100;

    /// <summary>Keystrokes per second per editor (steady mode).</summary>
    public double Rate { get; private set; } = 5;

    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>steady</c>: each editor types at <see cref="Rate"/>; <c>saturate</c>: each keeps <see cref="Window"/> updates in flight.</summary>
    public string Mode { get; private set; } = "steady";

    public int Window { get; private set; } = 16;

    /// <summary>Editors start typing one after another over this time instead of all at once.</summary>
    public TimeSpan Ramp { get; private set; } = TimeSpan.Zero;

    public string Trace { get; private set; } = "../shared/data/editing-traces/automerge-paper.json.gz";

    public int? ServerPid { get; private set; }

    public bool Json { get; private set; }

    public string UserPrefix { get; private set; } = "load";

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string key = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value");
            switch (key)
            {
                case "--server": o.Server = new Uri(Next().TrimEnd('/') + "/"); break;
                case "--editors": o.Editors = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--documents": o.Documents = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rate": o.Rate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--mode": o.Mode = Next(); break;
                case "--window": o.Window = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--ramp": o.Ramp = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--trace": o.Trace = Next(); break;
                case "--server-pid": o.ServerPid = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--json": o.Json = true; break;
                case "--user-prefix": o.UserPrefix = Next(); break;
                default: throw new ArgumentException($"unknown option {key}");
            }
        }

        // A load generator pointed at someone else's server is an attack: loopback only.
        if (!o.Server.IsLoopback)
        {
            throw new ArgumentException($"--server must be a loopback address (127.0.0.1, ::1, localhost), not {o.Server.Host}");
        }

        if (o.Mode is not ("steady" or "saturate"))
        {
            throw new ArgumentException("--mode is steady or saturate");
        }

        if (o.Editors < 1 || o.Documents < 1 || o.Documents > o.Editors)
        {
            throw new ArgumentException("need 1 <= --documents <= --editors");
        }

        return o;
    }

    public const string Usage = """
        Collab load generator: N simulated editors over SignalR across M documents, typing keystrokes from an editing trace.
        Only talks to a server on 127.0.0.1 / ::1 / localhost started with the development sign-in.

          --server URL        server base address (default http://127.0.0.1:5050)
          --editors N         simulated editors, one connection and one user each (default 500)
          --documents M       documents; editor i edits document i % M (default 100)
          --mode steady|saturate
          --rate R            keystrokes per second per editor in steady mode (default 5)
          --window W          updates in flight per editor in saturate mode (default 16)
          --warmup S, --duration S   seconds (defaults 5 and 30); the warm-up includes the ramp
          --ramp S            editors start typing one after another over S seconds (default 0: all at once)
          --trace PATH        sequential trace (default ../shared/data/editing-traces/automerge-paper.json.gz)
          --server-pid PID    read the server's CPU and memory from /proc/PID
          --json              JSON hub protocol instead of MessagePack
        --mode fanout: writers and an observer per document, as the peer run (see its own options: --mode fanout --help).
        """;
}
