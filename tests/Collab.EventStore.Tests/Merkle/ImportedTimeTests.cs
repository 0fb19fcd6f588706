using Collab.EventStore.InMemory;
using Collab.EventStore.LiteDb;

namespace Collab.EventStore.Tests.Merkle;

/// <summary><see cref="NewEvent.ServerTime"/> (imports): the given time is stored, hashed and kept after a reopen.</summary>
public sealed class ImportedTimeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task an_imported_event_keeps_its_time_and_hash_on_both_backends()
    {
        var time = new DateTimeOffset(2020, 5, 17, 10, 11, 12, 345, TimeSpan.Zero).AddTicks(6789);
        var doc = new DocumentId("imported");
        var main = BranchRef.MainOf(doc);
        NewEvent Imported(byte b) => new(EventKind.Update, new byte[] { b }, "alice") { ServerTime = time };

        await using var memory = new InMemoryEventStore(new EventStoreOptions());
        await memory.CreateDocumentAsync(doc, "alice");
        var expected = (await memory.AppendAsync(main, [Imported(1), Imported(2)])).Events;

        var options = new LiteDbEventStoreOptions { Path = _dir.File("imported.db") };
        await using (var store = new LiteDbEventStore(options))
        {
            await store.CreateDocumentAsync(doc, "bob");
            await store.AppendAsync(main, [Imported(1), Imported(2)]);
            await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 3 }, "alice"));
        }
        await using var reopened = new LiteDbEventStore(options);
        var read = await reopened.ReadPageAsync(main, new EventSeq(1), 10);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds()), read[0].ServerTime);
        Assert.Equal(expected.Select(e => e.Hash), read.Take(2).Select(e => e.Hash));
        Assert.True(read[2].ServerTime > time);
        Assert.True((await reopened.VerifyAsync(main)).IsValid);
    }
}
