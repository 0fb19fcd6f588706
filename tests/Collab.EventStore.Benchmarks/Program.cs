using BenchmarkDotNet.Running;
using Collab.EventStore.Benchmarks;

// appends [seconds]  durable append throughput and latency, grouped vs one transaction per append
// fork [events]      fork cost on a long branch vs a short one
// fork-ab [events]   forks committed to LiteDB vs through the fork journal, alternating on two copies of one file
// size [events]      bytes on disk per event
// writer [events]    the writer thread's CPU per event (plan, commit), no fsync
// bdn [...]          BenchmarkDotNet micro-benchmarks (BenchmarkSwitcher arguments follow)
var mode = args.Length > 0 ? args[0] : "appends";
var rest = args.Skip(1).ToArray();
switch (mode)
{
    case "appends":
        await AppendHarness.RunAsync(rest.Length > 0 ? double.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 3.0);
        break;
    case "fork":
        await ForkHarness.RunAsync(rest.Length > 0 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
        break;
    case "fork-ab":
        await ForkJournalHarness.RunAsync(rest.Length > 0 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
        break;
    case "size":
        await SizeHarness.RunAsync(rest.Length > 0 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
        break;
    case "writer":
        await WriterHarness.RunAsync(rest.Length > 0 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 50_000);
        break;
    case "bdn":
        BenchmarkSwitcher.FromAssembly(typeof(HashBenchmarks).Assembly).Run(rest);
        break;
    default:
        Console.Error.WriteLine("usage: appends [seconds] | fork [events] | fork-ab [events] | size [events] | writer [events] | bdn [benchmarkdotnet args]");
        return 2;
}

return 0;
