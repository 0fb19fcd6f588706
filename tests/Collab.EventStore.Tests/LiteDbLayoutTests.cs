using System.Text;
using Collab.EventStore.LiteDb;
using LiteDB;

namespace Collab.EventStore.Tests;

/// <summary>
/// The LiteDB backend's own layout: fresh events in the journal and in memory (tails), copied into per-branch chunks
/// once a tail is full or old, journal entries pruned, tails rebuilt from the journal after a crash. Tiny limits make
/// every path run many times; a model of what each branch must read back is checked throughout.
/// </summary>
public sealed class LiteDbLayoutTests : IDisposable
{
    private static readonly DocumentId Doc = new("layout");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task reads_match_a_model_through_chunking_pruning_crashes_and_reopens(int seed)
    {
        var random = new Random(seed);
        var options = new LiteDbEventStoreOptions
        {
            Path = _dir.File("unused.db"),
            CheckpointBytes = 64 * 1024,
            TailFlushEvents = 5,
            TailFlushBytes = 300,
            JournalLag = 6,
        };
        var data = new CrashableStream();
        var log = new CrashableStream();
        var store = new LiteDbEventStore(options, data, log);
        await store.CreateDocumentAsync(Doc, "alice");

        // What each branch must read back (its whole view, parent prefix included), and the update ids it stored.
        var views = new Dictionary<BranchRef, List<string>> { [BranchRef.MainOf(Doc)] = [] };
        var ids = new Dictionary<BranchRef, List<(string Id, string Payload)>> { [BranchRef.MainOf(Doc)] = [] };
        var nextId = 0;
        var crashes = 0;

        NewEvent Fresh(BranchRef branch)
        {
            var payload = $"{branch.Branch}:{views[branch].Count}:" + new string('x', random.Next(0, 60));
            return new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes(payload), "alice")
            {
                ClientUpdateId = random.Next(10) < 7 ? $"u{nextId++}" : null,
                ClientIds = [(uint)random.Next()],
                // Some events carry a domain record, which lives in the journal, the tails and the chunks with the event.
                Record = random.Next(10) < 2 ? new DomainRecord("step", new Dictionary<string, string> { ["p"] = payload, ["n"] = $"{random.Next()}" }) : null,
            };
        }

        void Stored(BranchRef branch, NewEvent e)
        {
            var payload = Encoding.UTF8.GetString(e.Payload.Span);
            views[branch].Add(e.Record is { } record ? $"{payload}#{record.Fields["n"]}" : payload);
            if (e.ClientUpdateId is { } id) ids[branch].Add((id, payload));
        }

        // An event as the model writes it: its payload, and its record's number when it carries one.
        static string Render(StoredEvent e)
        {
            var payload = Encoding.UTF8.GetString(e.Payload.Span);
            if (e.Record is not { } record) return payload;
            Assert.Equal(payload, record.Fields["p"]);
            return $"{payload}#{record.Fields["n"]}";
        }

        BranchRef Any() => views.Keys.ElementAt(random.Next(views.Count));

        for (var step = 0; step < 400; step++)
        {
            var roll = random.Next(100);
            if (roll < 45)
            {
                var branch = Any();
                var batch = Enumerable.Range(0, random.Next(1, 7)).Select(_ => Fresh(branch)).ToList();
                var result = await store.AppendAsync(branch, batch);
                Assert.Equal(batch.Count, result.AppendedCount);
                foreach (var e in batch) Stored(branch, e);
            }
            else if (roll < 55)
            {
                // A retry of an earlier update id stores nothing and answers with the first event.
                var branch = Any();
                if (ids[branch].Count == 0) continue;
                var (id, payload) = ids[branch][random.Next(ids[branch].Count)];
                var retry = new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes(payload), "alice") { ClientUpdateId = id };
                var result = await store.AppendAsync(branch, [retry]);
                Assert.True(result.WasDuplicate);
                Assert.Equal(payload, Encoding.UTF8.GetString(result.Events[0].Payload.Span));
            }
            else if (roll < 62 && views.Count < 12)
            {
                var source = Any();
                var at = random.Next(views[source].Count + 1);
                var fork = await store.ForkAsync(source, new EventSeq(at), new BranchName($"b{views.Count}"), "bob");
                views[fork.Ref] = views[source].Take(at).ToList();
                ids[fork.Ref] = [];
            }
            else if (roll < 72)
            {
                // Several branches in one group commit.
                var branches = views.Keys.OrderBy(_ => random.Next()).Take(random.Next(2, 8)).ToList();
                var events = branches.Select(Fresh).ToList();
                await Task.WhenAll(branches.Select((branch, i) => store.AppendAsync(branch, events[i])));
                for (var i = 0; i < branches.Count; i++) Stored(branches[i], events[i]);
            }
            else if (roll < 77)
            {
                // Power cut: only what was synced survives, and everything acknowledged must be in it.
                var (dataImage, logImage) = (data.DurableImage, log.DurableImage);
                await store.DisposeAsync();
                (data, log) = (new CrashableStream(dataImage), new CrashableStream(logImage));
                store = new LiteDbEventStore(options, data, log);
                crashes++;
            }
            else if (roll < 80)
            {
                await store.DisposeAsync();
                Assert.Equal(0, store.TailEventCount);
                (data, log) = (new CrashableStream(data.DurableImage), new CrashableStream(log.DurableImage));
                store = new LiteDbEventStore(options, data, log);
                Assert.Equal(0, store.JournalEntryCount);
            }
            else
            {
                var branch = Any();
                var view = views[branch];
                var from = random.Next(1, view.Count + 2);
                var max = random.Next(1, 40);
                var page = await store.ReadPageAsync(branch, new EventSeq(from), max);
                Assert.Equal(view.Skip(from - 1).Take(max), page.Select(Render));
                if (page.Count > 0)
                {
                    Assert.Equal(page[^1].Hash, (await store.GetDigestAsync(branch, page[^1].Seq)).Hash);
                }
            }

            Assert.True(store.JournalEntryCount <= options.JournalLag + 2, $"the journal holds {store.JournalEntryCount} entries");
        }

        Assert.True(crashes > 0);
        for (var round = 0; round < 2; round++)
        {
            foreach (var (branch, view) in views)
            {
                Assert.Equal(view.Count, (await store.GetHeadAsync(branch)).Seq.Value);
                Assert.Equal(view, (await store.ReadPageAsync(branch, new EventSeq(1), 100_000)).Select(Render));
                Assert.True((await store.VerifyAsync(branch)).IsValid);
            }

            await store.DisposeAsync();
            store = new LiteDbEventStore(options, new CrashableStream(data.DurableImage), new CrashableStream(log.DurableImage));
        }

        await store.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task update_ids_dropped_from_memory_are_read_again_and_still_deduplicate(bool preload)
    {
        // Room for 10 ids in memory: every branch's ids are dropped and read back from its events again and again,
        // by the appending caller (preload) or by the writer itself.
        var options = new LiteDbEventStoreOptions { Path = _dir.File("evict.db"), MaxCachedUpdateIds = 10, TailFlushEvents = 4, PreloadUpdateIds = preload };
        await using var store = new LiteDbEventStore(options);
        await store.CreateDocumentAsync(Doc, "alice");
        var main = BranchRef.MainOf(Doc);
        var branches = new List<BranchRef> { main };
        for (var i = 0; i < 4; i++) branches.Add((await store.ForkAsync(main, EventSeq.Zero, new BranchName($"e{i}"), "alice")).Ref);

        static NewEvent Ev(BranchRef branch, int i) => new(EventKind.Update, Encoding.UTF8.GetBytes($"{branch.Branch}-{i}"), "alice") { ClientUpdateId = $"id-{i}" };
        for (var i = 0; i < 12; i++)
        {
            foreach (var branch in branches) Assert.Equal(i + 1, (await store.AppendAsync(branch, Ev(branch, i))).Seq.Value);
        }

        for (var i = 11; i >= 0; i--)
        {
            foreach (var branch in branches)
            {
                var retry = await store.AppendAsync(branch, [Ev(branch, i)]);
                Assert.True(retry.WasDuplicate, $"{branch} id-{i}");
                Assert.Equal(i + 1, retry.Events[0].Seq.Value);
            }
        }

        var conflict = await Assert.ThrowsAsync<EventStoreException>(() => store.AppendAsync(main, new NewEvent(EventKind.Update, "other"u8.ToArray(), "alice") { ClientUpdateId = "id-3" }));
        Assert.Equal(EventStoreError.IdempotencyConflict, conflict.Error);
        foreach (var branch in branches) Assert.Equal(12, (await store.GetHeadAsync(branch)).Seq.Value);
    }

    [Fact]
    public async Task a_file_with_one_document_per_event_still_reads_verifies_and_deduplicates()
    {
        // The layout before chunks: one document per event, update ids in an index.
        var options = new LiteDbEventStoreOptions { Path = _dir.File("legacy.db") };
        var main = BranchRef.MainOf(Doc);
        await using (var store = new LiteDbEventStore(options))
        {
            await store.CreateDocumentAsync(Doc, "alice");
        }

        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        using (var db = new LiteDatabase($"Filename={options.Path}"))
        {
            var events = db.GetCollection("events");
            events.EnsureIndex("u", "$.u");
            var previous = EventChain.Genesis(Doc);
            for (var seq = 1; seq <= 3; seq++)
            {
                var payload = Encoding.UTF8.GetBytes($"old-{seq}");
                var id = $"old-id-{seq}";
                var hash = EventChain.ComputeHash(previous, main, new EventSeq(seq), EventKind.Update, 1, "alice", time, id, [7u], payload);
                events.Insert(new BsonDocument
                {
                    ["_id"] = Bson.EventKey(1, seq),
                    ["k"] = "update",
                    ["p"] = payload,
                    ["a"] = "alice",
                    ["t"] = time.ToUnixTimeMilliseconds(),
                    ["v"] = 1,
                    ["q"] = previous.ToArray(),
                    ["h"] = hash.ToArray(),
                    ["c"] = new byte[] { 0, 0, 0, 7 },
                    ["u"] = (byte[])[0, 0, 0, 1, .. Encoding.UTF8.GetBytes(id)],
                });
                previous = hash;
            }
        }

        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Equal(["old-1", "old-2", "old-3"], (await store.ReadPageAsync(main, new EventSeq(1), 10)).Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
            Assert.True((await store.VerifyAsync(main)).IsValid);
            var retry = await store.AppendAsync(main, [new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes("old-2"), "alice") { ClientUpdateId = "old-id-2" }]);
            Assert.True(retry.WasDuplicate);
            Assert.Equal(2, retry.Events[0].Seq.Value);
            Assert.Equal(4, (await store.AppendAsync(main, new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes("new-4"), "alice"))).Seq.Value);
        }

        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Equal(["old-1", "old-2", "old-3", "new-4"], (await store.ReadPageAsync(main, new EventSeq(1), 10)).Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
            Assert.True((await store.VerifyAsync(main)).IsValid);
        }

        using (var db = new LiteDatabase($"Filename={options.Path}"))
        {
            Assert.DoesNotContain(db.GetCollection("$indexes").FindAll(), index => index["collection"] == "events" && index["name"] == "u");
        }
    }
}
