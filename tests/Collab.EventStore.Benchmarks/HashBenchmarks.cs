using BenchmarkDotNet.Attributes;
using Collab.EventStore.InMemory;

namespace Collab.EventStore.Benchmarks;

/// <summary>Hot paths that do not touch the disk: hashing an event and planning an append in memory.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class HashBenchmarks
{
    private readonly BranchRef _branch = new(new DocumentId("doc"), BranchName.Main);
    private readonly uint[] _clientIds = [12345u];
    private InMemoryEventStore? _store;

    [GlobalSetup]
    public void Setup()
    {
        _store = new InMemoryEventStore();
        _store.CreateDocumentAsync(_branch.Document, "bench").GetAwaiter().GetResult();
    }

    [Benchmark]
    public EventHash Hash_15_byte_event() =>
        EventChain.ComputeHash(default, _branch, new EventSeq(42), EventKind.Update, 1, "bench-user", DateTimeOffset.UnixEpoch, "client-7:42", _clientIds, Bench.Payload);

    [Benchmark]
    public Task<AppendResult> Append_in_memory() => _store!.AppendAsync(_branch, [new NewEvent(EventKind.Update, Bench.Payload, "bench-user")]);
}
