using System.IO.Compression;
using System.Text;
using Collab.EventStore.LiteDb;
using LiteDB;

namespace Collab.EventStore.Tests;

/// <summary>
/// Records in the hash chain on the LiteDB backend: a log written before records were chained (hash encoding v1
/// only) still verifies and takes chained records; a chained record removed or edited in the file is found.
/// </summary>
public sealed class LiteDbRecordChainTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Fixtures/v1-records.db.gz: written by the store as of e959bab (before records were chained) and closed cleanly.
    /// Document "legacy": main = v1-one (update id u-1), v1-two, v1-three, v1-merge (merge record: source feature@3,
    /// base main@2, conflict c1 with ours "ours-legacy"), v1-resolution (c1 → "theirs-legacy"); feature forked at 2
    /// with v1-feature.
    /// </summary>
    private LiteDbEventStoreOptions OpenFixture()
    {
        var options = new LiteDbEventStoreOptions { Path = _dir.File("store.db") };
        using var source = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1-records.db.gz"));
        using var gzip = new GZipStream(source, CompressionMode.Decompress);
        using var target = File.Create(options.Path);
        gzip.CopyTo(target);
        return options;
    }

    [Fact]
    public async Task a_v1_log_with_records_beside_the_chain_still_verifies_and_takes_chained_records()
    {
        var options = OpenFixture();
        var doc = new DocumentId("legacy");
        var main = BranchRef.MainOf(doc);
        var feature = new BranchRef(doc, new BranchName("feature"));
        var mergeRef = new EventRef(main, new EventSeq(4));
        await using (var store = new LiteDbEventStore(options))
        {
            var result = await store.VerifyAsync(main);
            Assert.True(result.IsValid, result.FirstBroken?.Reason);
            Assert.Equal(5, result.EventsChecked);
            Assert.Equal(EventHash.Parse("11cfaaf194e015db4f340ab198783756c845b19d152233f706dc18da195f867a"), result.Head.Hash);
            Assert.Equal(EventHash.Parse("59d0156f8656938ec2e9e1b172b5e988c6184b707bed189ca9da841198d9d78e"), (await store.GetHeadAsync(feature)).Hash);
            Assert.True((await store.VerifyAsync(feature)).IsValid);

            var events = await store.ReadPageAsync(main, new EventSeq(1), 10);
            Assert.Equal(["v1-one", "v1-two", "v1-three", "v1-merge", "v1-resolution"], events.Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
            Assert.All(events, e => Assert.Equal(EventRecordKind.None, e.RecordKind));
            Assert.All(events, e => Assert.Equal(e.Hash, EventChain.ComputeHash(e)));
            var legacyMerge = await store.GetMergeRecordAsync(mergeRef);
            Assert.Equal("ours-legacy", legacyMerge!.Conflicts[0].Ours);
            Assert.Equal("theirs-legacy", Assert.Single(await store.ListResolutionsAsync(mergeRef)).Decisions[0].Choice);
            Assert.True((await store.AppendAsync(main, new NewEvent(EventKind.Update, Encoding.UTF8.GetBytes("v1-one"), "alice") { ClientUpdateId = "u-1" })).Seq.Value == 1);

            // New events go on top: a decision on the old merge and a new merge, both chained.
            var head = await store.GetHeadAsync(main);
            await store.AppendAsync(main, new NewEvent(EventKind.Resolution, new byte[] { 6 }, "dave")
            {
                Resolution = new ResolutionRecordDraft(mergeRef, [new ConflictDecision("c1", "custom", "chained-decision")]),
            });
            await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 7 }, "carol")
            {
                Merge = new MergeRecordDraft(await store.GetHeadAsync(feature), head, [new MergeConflict("c9", "map-key", "k", null, "a", "chained-theirs", "b", "ours")]),
            });
        }

        await using (var store = new LiteDbEventStore(options))
        {
            var events = await store.ReadPageAsync(main, new EventSeq(1), 10);
            Assert.Equal([1, 1, 1, 1, 1, 2, 2], events.Select(e => e.HashVersion));
            var result = await store.VerifyAsync(main);
            Assert.True(result.IsValid, result.FirstBroken?.Reason);
            Assert.Equal(7, result.EventsChecked);
        }

        Assert.True(FileEdit.ReplaceAll(options.Path, Encoding.UTF8.GetBytes("chained-decision"), Encoding.UTF8.GetBytes("chained-decisioN")) > 0);
        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Equal(new EventRef(main, new EventSeq(6)), (await store.VerifyAsync(main)).FirstBroken?.Event);
        }
    }

    [Fact]
    public async Task a_chained_record_removed_from_the_file_or_given_another_author_is_found_by_verify()
    {
        var options = new LiteDbEventStoreOptions { Path = _dir.File("store.db") };
        var doc = new DocumentId("doc-1");
        var main = BranchRef.MainOf(doc);
        await using (var store = new LiteDbEventStore(options))
        {
            await store.CreateDocumentAsync(doc, "alice");
            await store.AppendAsync(main, new NewEvent(EventKind.Update, new byte[] { 1 }, "alice"));
            var head = await store.GetHeadAsync(main);
            var draft = new MergeRecordDraft(head, head, [new MergeConflict("c1", "map-key", "k", null, "a", "b", "b", "theirs")]);
            await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 2 }, "carol") { Merge = draft });
            await store.AppendAsync(main, new NewEvent(EventKind.Merge, new byte[] { 3 }, "carol") { Merge = draft });
            Assert.True((await store.VerifyAsync(main)).IsValid);
        }

        using (var db = new LiteDatabase($"Filename={options.Path}"))
        {
            var merges = db.GetCollection("merges");
            var second = merges.FindById(Bson.EventKey(1, 3));
            second["a"] = "mallory";
            Assert.True(merges.Update(second));
        }

        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Equal("mallory", (await store.GetMergeRecordAsync(new EventRef(main, new EventSeq(3))))!.Author);
            var result = await store.VerifyAsync(main);
            Assert.Equal(new EventRef(main, new EventSeq(3)), result.FirstBroken?.Event);
            Assert.Contains("author", result.FirstBroken!.Reason, StringComparison.Ordinal);
        }

        using (var db = new LiteDatabase($"Filename={options.Path}"))
        {
            Assert.True(db.GetCollection("merges").Delete(Bson.EventKey(1, 2)));
        }

        await using (var store = new LiteDbEventStore(options))
        {
            Assert.Null(await store.GetMergeRecordAsync(new EventRef(main, new EventSeq(2))));
            var result = await store.VerifyAsync(main);
            Assert.Equal(new EventRef(main, new EventSeq(2)), result.FirstBroken?.Event);
            Assert.Contains("missing", result.FirstBroken!.Reason, StringComparison.Ordinal);
        }
    }
}
