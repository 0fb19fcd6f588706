using System.Text;

namespace Collab.EventStore.Tests;

/// <summary>
/// The behaviour every <see cref="IEventStore"/> backend must show. A backend's test class derives from this and
/// supplies a fresh store and a way to change a stored payload behind the store's back.
/// </summary>
public abstract partial class EventStoreSpec : IAsyncLifetime
{
    private IEventStore? _store;

    protected static readonly DocumentId Doc = new("doc-1");

    protected static readonly BranchRef Main = BranchRef.MainOf(Doc);

    protected IEventStore Store => _store ?? throw new InvalidOperationException("not initialized");

    /// <summary>A new, empty store with these options.</summary>
    protected abstract Task<IEventStore> CreateStoreAsync(EventStoreOptions options);

    /// <summary>The options type the backend takes (tests adjust limits on it).</summary>
    protected abstract EventStoreOptions NewOptions();

    /// <summary>
    /// Overwrites the stored payload of <paramref name="target"/> (same length) without going through the store's API;
    /// returns the store to use afterwards (a backend may have to close and reopen it).
    /// </summary>
    protected abstract Task<IEventStore> TamperPayloadAsync(IEventStore store, EventRef target, byte[] payload);

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync(NewOptions());
        await _store.CreateDocumentAsync(Doc, "alice");
    }

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        await DisposeBackendAsync();
    }

    protected virtual Task DisposeBackendAsync() => Task.CompletedTask;

    protected static NewEvent Ev(string payload, string? updateId = null, string author = "alice") =>
        new(EventKind.Update, Encoding.UTF8.GetBytes(payload), author) { ClientUpdateId = updateId, ClientIds = [7u, 42u] };

    /// <summary>What makes two reads of an event the same (records compare payload arrays by reference).</summary>
    protected static (EventRef, EventHash, EventHash, string) Identity(StoredEvent e) => (e.Ref, e.PreviousHash, e.Hash, Convert.ToHexString(e.Payload.Span));

    protected static string Text(StoredEvent e) => Encoding.UTF8.GetString(e.Payload.Span);

    protected async Task AppendManyAsync(BranchRef branch, int count, string prefix = "e")
    {
        for (var i = 0; i < count; i++) await Store.AppendAsync(branch, Ev($"{prefix}{i}"));
    }

    protected async Task<List<StoredEvent>> ReadAllAsync(BranchRef branch, IEventStore? store = null)
    {
        var list = new List<StoredEvent>();
        await foreach (var e in (store ?? Store).ReadAsync(branch, new EventSeq(1), EventSeq.MaxValue)) list.Add(e);
        return list;
    }

    protected static async Task<EventStoreException> Refused(EventStoreError error, Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<EventStoreException>(action);
        Assert.Equal(error, ex.Error);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        return ex;
    }

    protected static void AssertGaplessChain(IReadOnlyList<StoredEvent> events, EventHash genesis)
    {
        var previous = genesis;
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(i + 1, events[i].Seq.Value);
            Assert.Equal(previous, events[i].PreviousHash);
            Assert.Equal(EventChain.ComputeHash(events[i]), events[i].Hash);
            previous = events[i].Hash;
        }
    }
}
