using System.Text;

namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    private static MergeRecordDraft Draft(BranchDigest source, BranchDigest @base) => new(source, @base,
    [
        new MergeConflict("c1", "text-overlap", "text[3..9]", "abc", "abX", "abY", "abXY", "both kept") { Properties = new Dictionary<string, string> { ["type"] = "text" } },
        new MergeConflict("c2", "map-key", "meta.title", null, "A", "B", "B", "theirs won"),
    ]) { Properties = new Dictionary<string, string> { ["strategy"] = "crdt" } };

    [Fact]
    public async Task a_merge_record_and_its_resolutions_are_stored_with_their_events()
    {
        await AppendManyAsync(Main, 2);
        var feature = await Store.ForkAsync(Main, new EventSeq(2), new BranchName("feature"), "bob");
        await AppendManyAsync(feature.Ref, 3, "f");
        await AppendManyAsync(Main, 1, "m");
        var source = await Store.GetHeadAsync(feature.Ref);
        var @base = await Store.GetDigestAsync(Main, new EventSeq(2));
        var targetBefore = await Store.GetHeadAsync(Main);

        var merge = await Store.AppendAsync(Main, new NewEvent(EventKind.Merge, Encoding.UTF8.GetBytes("merged"), "carol") { Merge = Draft(source, @base) });
        var record = await Store.GetMergeRecordAsync(merge.Ref);
        Assert.NotNull(record);
        Assert.Equal(merge.Hash, record.EventHash);
        Assert.Equal(targetBefore, record.TargetHead);
        Assert.Equal(source, record.Source);
        Assert.Equal(@base, record.Base);
        Assert.Equal("carol", record.Author);
        Assert.Equal(["c1", "c2"], record.Conflicts.Select(c => c.Id));
        Assert.Equal("abXY", record.Conflicts[0].Merged);
        Assert.Null(record.Conflicts[1].Base);
        Assert.Equal("text", record.Conflicts[0].Properties["type"]);
        Assert.Equal("crdt", record.Properties["strategy"]);

        var decisions = new ResolutionRecordDraft(merge.Ref, [new ConflictDecision("c1", "custom", "abZ"), new ConflictDecision("c2", "ours", null)]);
        var resolution = await Store.AppendAsync(Main, new NewEvent(EventKind.Resolution, Encoding.UTF8.GetBytes("fix"), "dave") { Resolution = decisions });
        var resolutions = await Store.ListResolutionsAsync(merge.Ref);
        var stored = Assert.Single(resolutions);
        Assert.Equal(resolution.Ref, stored.Event);
        Assert.Equal(resolution.Hash, stored.EventHash);
        Assert.Equal("dave", stored.Author);
        Assert.Equal("abZ", stored.Decisions[0].CustomText);

        var later = await Store.ForkAsync(Main, (await Store.GetHeadAsync(Main)).Seq, new BranchName("later"), "bob");
        Assert.Equal([merge.Ref], (await Store.ListMergeRecordsAsync(later.Ref)).Select(m => m.Event));
        var earlier = await Store.ForkAsync(Main, new EventSeq(3), new BranchName("earlier"), "bob");
        Assert.Empty(await Store.ListMergeRecordsAsync(earlier.Ref));
        Assert.Null(await Store.GetMergeRecordAsync(new EventRef(Main, new EventSeq(1))));
    }

    [Fact]
    public async Task a_merge_and_its_resolution_can_be_appended_in_one_batch()
    {
        await AppendManyAsync(Main, 1);
        var digest = await Store.GetHeadAsync(Main);
        var mergeRef = new EventRef(Main, new EventSeq(2));
        var result = await Store.AppendAsync(Main,
        [
            new NewEvent(EventKind.Merge, new byte[] { 1 }, "carol") { Merge = Draft(digest, digest) },
            new NewEvent(EventKind.Resolution, new byte[] { 2 }, "carol") { Resolution = new(mergeRef, [new ConflictDecision("c2", "theirs", null)]) },
        ]);
        Assert.Equal(2, result.AppendedCount);
        Assert.NotNull(await Store.GetMergeRecordAsync(mergeRef));
        Assert.Single(await Store.ListResolutionsAsync(mergeRef));
    }

    [Fact]
    public async Task resolutions_of_unknown_merges_or_conflicts_are_refused_and_store_nothing()
    {
        await AppendManyAsync(Main, 1);
        var digest = await Store.GetHeadAsync(Main);
        var merge = await Store.AppendAsync(Main, new NewEvent(EventKind.Merge, new byte[] { 1 }, "carol") { Merge = Draft(digest, digest) });
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main,
            [new NewEvent(EventKind.Resolution, new byte[] { 2 }, "carol") { Resolution = new(new EventRef(Main, new EventSeq(1)), [new ConflictDecision("c1", "ours", null)]) }]));
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main,
            [new NewEvent(EventKind.Resolution, new byte[] { 2 }, "carol") { Resolution = new(merge.Ref, [new ConflictDecision("c9", "ours", null)]) }]));
        var duplicateIds = new MergeRecordDraft(digest, digest, [new MergeConflict("x", "k", "l", null, null, null, null, "o"), new MergeConflict("x", "k", "l", null, null, null, null, "o")]);
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main, [new NewEvent(EventKind.Merge, new byte[] { 3 }, "carol") { Merge = duplicateIds }]));
        Assert.Equal(2, (await Store.GetHeadAsync(Main)).Seq.Value);
        Assert.Empty(await Store.ListResolutionsAsync(merge.Ref));
    }

    [Fact]
    public async Task reads_upcast_old_schema_versions_and_verify_still_holds()
    {
        var options = NewOptions();
        options.SchemaVersion = 2;
        options.Upcasters.Add(new UppercaseUpcaster());
        await using var store = await CreateStoreAsync(options);
        await store.CreateDocumentAsync(Doc, "alice");
        await store.AppendAsync(Main, [Ev("old") with { SchemaVersion = 1 }, Ev("NEW") with { SchemaVersion = 2 }]);
        var all = await ReadAllAsync(Main, store);
        Assert.Equal(["OLD", "NEW"], all.Select(Text));
        Assert.All(all, e => Assert.Equal(2, e.SchemaVersion));
        Assert.True((await store.VerifyAsync(Main)).IsValid);
    }

    private sealed class UppercaseUpcaster : IEventUpcaster
    {
        public int FromVersion => 1;

        public StoredEvent Upcast(StoredEvent stored) =>
            stored with { SchemaVersion = 2, Payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(stored.Payload.Span).ToUpperInvariant()) };
    }
}
