using System.Text;

namespace Collab.EventStore.Tests;

/// <summary>Records in the hash chain (hash encoding v2), domain records, and finding a position by time.</summary>
public abstract partial class EventStoreSpec
{
    /// <summary>
    /// Replaces a text (same UTF-8 length) in the stored merge, resolution and domain records without going through
    /// the store's API; returns the store to use afterwards.
    /// </summary>
    protected abstract Task<IEventStore> TamperRecordTextAsync(IEventStore store, string original, string replacement);

    /// <summary>Closes and reopens a durable store (the same store for one that keeps nothing).</summary>
    protected virtual Task<IEventStore> ReopenAsync(IEventStore store) => Task.FromResult(store);

    private static MergeRecordDraft ChainDraft(BranchDigest source, BranchDigest @base) => new(source, @base,
    [
        new MergeConflict("c1", "sequence-overlap", "text[3..9]", "base-excerpt-1", "ours-excerpt-1", "theirs-excerpt-1", "merged-excerpt-1", "both kept")
        {
            Properties = new Dictionary<string, string> { ["type"] = "text", ["range"] = "3..9" },
        },
        new MergeConflict("c2", "map-key", "meta.title", null, "A", "B", "B", "theirs won"),
    ]) { Properties = new Dictionary<string, string> { ["strategy"] = "crdt", ["message"] = "merge feature" } };

    private static DomainRecord Proposal(string state) => new("proposal.state", new Dictionary<string, string>
    {
        ["proposal"] = "p-17",
        ["state"] = state,
        ["reviewer"] = "erin",
    });

    /// <summary>main: 2 updates, then merge (3), resolution (4), a proposal event (5), an update (6); feature forked at 2 with one event.</summary>
    private async Task<(StoredEvent Merge, StoredEvent Resolution, StoredEvent Domain)> AppendRecordsAsync()
    {
        await AppendManyAsync(Main, 2);
        var feature = await Store.ForkAsync(Main, new EventSeq(2), new BranchName("feature"), "bob");
        await AppendManyAsync(feature.Ref, 1, "f");
        var merge = await Store.AppendAsync(Main, new NewEvent(EventKind.Merge, Encoding.UTF8.GetBytes("merged"), "carol")
        {
            Merge = ChainDraft(await Store.GetHeadAsync(feature.Ref), await Store.GetDigestAsync(Main, new EventSeq(2))),
        });
        var resolution = await Store.AppendAsync(Main, new NewEvent(EventKind.Resolution, Encoding.UTF8.GetBytes("decided"), "dave")
        {
            Resolution = new ResolutionRecordDraft(merge.Ref,
            [
                new ConflictDecision("c1", "custom", "custom-choice-A") { Properties = new Dictionary<string, string> { ["replaced"] = "abX" } },
                new ConflictDecision("c2", "ours", null),
            ]),
        });
        var domain = await Store.AppendAsync(Main, new NewEvent(new EventKind("proposal"), new byte[] { 0 }, "erin") { Record = Proposal("approved-by-erin") });
        await AppendManyAsync(Main, 1, "after");
        return (merge, resolution, domain);
    }

    [Fact]
    public async Task records_are_hashed_into_the_chain_returned_on_read_and_verify()
    {
        var (merge, resolution, domain) = await AppendRecordsAsync();
        Assert.Equal(EventRecordKind.Merge, merge.RecordKind);
        Assert.Equal(EventRecordKind.Resolution, resolution.RecordKind);
        Assert.Equal(EventRecordKind.Domain, domain.RecordKind);
        _store = await ReopenAsync(Store);

        var all = await ReadAllAsync(Main);
        Assert.Equal([EventRecordKind.None, EventRecordKind.None, EventRecordKind.Merge, EventRecordKind.Resolution, EventRecordKind.Domain, EventRecordKind.None], all.Select(e => e.RecordKind));
        Assert.Equal([1, 1, 2, 2, 2, 1], all.Select(e => e.HashVersion));
        var read = all[4].Record;
        Assert.NotNull(read);
        Assert.Equal("proposal.state", read.Type);
        Assert.Equal(Proposal("approved-by-erin").Fields.OrderBy(p => p.Key, StringComparer.Ordinal), read.Fields.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(domain.Hash, EventChain.ComputeHash(all[4]));

        var mergeRecord = await Store.GetMergeRecordAsync(merge.Ref);
        Assert.NotNull(mergeRecord);
        Assert.Equal(merge.Hash, EventChain.ComputeHash(all[2], EventChain.EncodeRecord(mergeRecord)));
        Assert.Equal(merge.Hash, mergeRecord.EventHash);
        Assert.Equal("3..9", mergeRecord.Conflicts[0].Properties["range"]);
        var resolutionRecord = Assert.Single(await Store.ListResolutionsAsync(merge.Ref));
        Assert.Equal(resolution.Hash, EventChain.ComputeHash(all[3], EventChain.EncodeRecord(resolutionRecord)));
        Assert.Equal(resolution.Hash, resolutionRecord.EventHash);
        Assert.Throws<ArgumentException>(() => EventChain.ComputeHash(all[2]));

        var verified = await Store.VerifyAsync(Main);
        Assert.True(verified.IsValid, verified.FirstBroken?.Reason);
        Assert.Equal(6, verified.EventsChecked);
        var fork = await Store.ForkAsync(Main, new EventSeq(5), new BranchName("later"), "bob");
        Assert.Equal(domain.Hash, fork.ForkHash);
        Assert.True((await Store.VerifyAsync(fork.Ref)).IsValid);
    }

    [Fact]
    public async Task the_hash_of_an_event_with_a_record_depends_on_the_record()
    {
        var clock = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var hashes = new List<EventHash>();
        foreach (var state in new[] { "open", "closed" })
        {
            await using var store = await CreateStoreAsync(NewOptionsWithClock(clock));
            await store.CreateDocumentAsync(Doc, "alice");
            hashes.Add((await store.AppendAsync(Main, new NewEvent(new EventKind("proposal"), new byte[] { 1 }, "erin") { Record = Proposal(state) })).Hash);
        }

        await using (var store = await CreateStoreAsync(NewOptionsWithClock(clock)))
        {
            await store.CreateDocumentAsync(Doc, "alice");
            hashes.Add((await store.AppendAsync(Main, new NewEvent(new EventKind("proposal"), new byte[] { 1 }, "erin"))).Hash);
        }

        Assert.Equal(3, hashes.Distinct().Count());
    }

    private EventStoreOptions NewOptionsWithClock(DateTimeOffset time)
    {
        var options = NewOptions();
        options.TimeProvider = new ManualClock(time);
        return options;
    }

    [Fact]
    public async Task verify_names_the_merge_event_whose_stored_conflict_was_edited()
    {
        var (merge, _, _) = await AppendRecordsAsync();
        var before = await Store.ForkAsync(Main, new EventSeq(2), new BranchName("before"), "bob");
        Assert.True((await Store.VerifyAsync(Main)).IsValid);

        _store = await TamperRecordTextAsync(Store, "theirs-excerpt-1", "theirs-excerpt-2");

        Assert.Equal("theirs-excerpt-2", (await Store.GetMergeRecordAsync(merge.Ref))!.Conflicts[0].Theirs);
        var result = await Store.VerifyAsync(Main);
        Assert.False(result.IsValid);
        Assert.Equal(merge.Ref, result.FirstBroken!.Event);
        Assert.Contains("merge record", result.FirstBroken.Reason, StringComparison.Ordinal);
        Assert.Contains("changed", result.FirstBroken.Reason, StringComparison.Ordinal);
        Assert.Equal(merge.Hash, result.FirstBroken.Actual);
        Assert.Equal(2, result.EventsChecked);
        Assert.True((await Store.VerifyAsync(before.Ref)).IsValid);
    }

    [Fact]
    public async Task verify_names_the_merge_event_whose_stored_record_property_was_edited()
    {
        var (merge, _, _) = await AppendRecordsAsync();
        _store = await TamperRecordTextAsync(Store, "merge feature", "merge featurE");
        var result = await Store.VerifyAsync(Main);
        Assert.Equal(merge.Ref, result.FirstBroken?.Event);
    }

    [Fact]
    public async Task verify_names_the_resolution_event_whose_stored_decision_was_edited()
    {
        var (_, resolution, _) = await AppendRecordsAsync();
        _store = await TamperRecordTextAsync(Store, "custom-choice-A", "custom-choice-B");

        Assert.Equal("custom-choice-B", Assert.Single(await Store.ListResolutionsAsync(new EventRef(Main, new EventSeq(3)))).Decisions[0].CustomText);
        var result = await Store.VerifyAsync(Main);
        Assert.False(result.IsValid);
        Assert.Equal(resolution.Ref, result.FirstBroken!.Event);
        Assert.Contains("resolution record", result.FirstBroken.Reason, StringComparison.Ordinal);
        Assert.Equal(3, result.EventsChecked);
    }

    [Fact]
    public async Task verify_names_the_event_whose_domain_record_was_edited()
    {
        var (_, _, domain) = await AppendRecordsAsync();
        _store = await TamperRecordTextAsync(Store, "approved-by-erin", "rejected-by-erin");

        Assert.Equal("rejected-by-erin", (await Store.ReadPageAsync(Main, domain.Seq, 1))[0].Record!.Fields["state"]);
        var result = await Store.VerifyAsync(Main);
        Assert.False(result.IsValid);
        Assert.Equal(domain.Ref, result.FirstBroken!.Event);
        Assert.Contains("domain record", result.FirstBroken.Reason, StringComparison.Ordinal);
        Assert.Equal(4, result.EventsChecked);
    }

    [Fact]
    public async Task a_record_changed_by_its_caller_after_the_append_stays_as_stored()
    {
        await AppendManyAsync(Main, 1);
        var digest = await Store.GetHeadAsync(Main);
        var conflictProperties = new Dictionary<string, string> { ["type"] = "text" };
        var fields = new Dictionary<string, string> { ["state"] = "open" };
        var merge = await Store.AppendAsync(Main, new NewEvent(EventKind.Merge, new byte[] { 1 }, "carol")
        {
            Merge = new MergeRecordDraft(digest, digest, [new MergeConflict("c1", "map-key", "k", null, "a", "b", "b", "theirs") { Properties = conflictProperties }]),
        });
        await Store.AppendAsync(Main, new NewEvent(new EventKind("proposal"), new byte[] { 2 }, "carol") { Record = new DomainRecord("proposal.opened", fields) });
        conflictProperties["type"] = "changed";
        fields["state"] = "changed";

        Assert.Equal("text", (await Store.GetMergeRecordAsync(merge.Ref))!.Conflicts[0].Properties["type"]);
        Assert.Equal("open", (await Store.ReadPageAsync(Main, new EventSeq(3), 1))[0].Record!.Fields["state"]);
        Assert.True((await Store.VerifyAsync(Main)).IsValid);
    }

    [Fact]
    public async Task malformed_domain_records_are_refused_and_store_nothing()
    {
        await AppendManyAsync(Main, 1);
        var digest = await Store.GetHeadAsync(Main);
        NewEvent With(DomainRecord record) => new(new EventKind("proposal"), new byte[] { 1 }, "erin") { Record = record };
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main, [With(new DomainRecord("Proposal", new Dictionary<string, string>()))]));
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main, [With(new DomainRecord("proposal", null!))]));
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main, [With(new DomainRecord("proposal", new Dictionary<string, string> { [""] = "x" }))]));
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main, [With(new DomainRecord("proposal", new Dictionary<string, string> { ["x"] = null! }))]));
        await Refused(EventStoreError.PayloadTooLarge, () => Store.AppendAsync(Main,
            [With(new DomainRecord("proposal", new Dictionary<string, string> { ["text"] = new string('x', NewOptions().MaxPayloadBytes) }))]));
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main,
            [With(Proposal("open")) with { Merge = new MergeRecordDraft(digest, digest, []) }]));
        await Refused(EventStoreError.InvalidRecord, () => Store.AppendAsync(Main,
            [new NewEvent(EventKind.Merge, new byte[] { 1 }, "carol") { Merge = new MergeRecordDraft(digest, digest, []) { Properties = new Dictionary<string, string> { ["x"] = null! } } }]));
        Assert.Equal(1, (await Store.GetHeadAsync(Main)).Seq.Value);
        Assert.True((await Store.VerifyAsync(Main)).IsValid);
    }

    [Fact]
    public async Task an_upcaster_that_rebuilds_events_keeps_their_records()
    {
        var options = NewOptions();
        options.SchemaVersion = 2;
        options.Upcasters.Add(new RebuildingUpcaster());
        await using var store = await CreateStoreAsync(options);
        await store.CreateDocumentAsync(Doc, "alice");
        await store.AppendAsync(Main, new NewEvent(new EventKind("proposal"), new byte[] { 1 }, "erin") { Record = Proposal("open"), SchemaVersion = 1 });
        var read = Assert.Single(await ReadAllAsync(Main, store));
        Assert.Equal(2, read.SchemaVersion);
        Assert.Equal(EventRecordKind.Domain, read.RecordKind);
        Assert.Equal("open", read.Record!.Fields["state"]);
        Assert.True((await store.VerifyAsync(Main)).IsValid);
    }

    private sealed class RebuildingUpcaster : IEventUpcaster
    {
        public int FromVersion => 1;

        public StoredEvent Upcast(StoredEvent s) =>
            new(s.Branch, s.Seq, s.Kind, s.Payload, s.Author, s.ClientIds, s.ServerTime, s.ClientUpdateId, 2, s.PreviousHash, s.Hash);
    }

    [Fact]
    public async Task the_last_event_at_or_before_a_time_is_found_on_a_branch_view()
    {
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var clock = new ManualClock(t0);
        var options = NewOptions();
        options.TimeProvider = clock;
        await using var store = await CreateStoreAsync(options);
        await store.CreateDocumentAsync(Doc, "alice");
        Assert.Equal(new BranchDigest(Main, EventSeq.Zero, EventChain.Genesis(Doc)), await store.FindLastAtOrBeforeAsync(Main, t0));

        // Times (ms after t0) of seqs 1..10 on main: 10, 20, 20, 20, 30, 40, 50, 60, 70, 80; the fork at 5 then gets seqs 6 and 7 at 90.
        var times = new[] { 10, 20, 20, 20, 30, 40, 50, 60, 70, 80 };
        var hashes = new List<EventHash>();
        BranchInfo? fork = null;
        for (var i = 0; i < times.Length; i++)
        {
            clock.Set(t0.AddMilliseconds(times[i]));
            hashes.Add((await store.AppendAsync(Main, Ev($"m{i + 1}"))).Hash);
            if (i == 4) fork = await store.ForkAsync(Main, new EventSeq(5), new BranchName("fork"), "bob");
        }

        async Task<long> On(BranchRef branch, int ms) => (await store.FindLastAtOrBeforeAsync(branch, t0.AddMilliseconds(ms))).Seq.Value;
        Assert.Equal(0, await On(Main, 9));
        Assert.Equal(1, await On(Main, 10));
        Assert.Equal(1, await On(Main, 19));
        Assert.Equal(4, await On(Main, 20));
        Assert.Equal(4, await On(Main, 29));
        Assert.Equal(5, await On(Main, 30));
        Assert.Equal(9, await On(Main, 75));
        Assert.Equal(10, await On(Main, 80));
        Assert.Equal(10, await On(Main, 100_000));
        var at = await store.FindLastAtOrBeforeAsync(Main, t0.AddMilliseconds(55));
        Assert.Equal(new BranchDigest(Main, new EventSeq(7), hashes[6]), at);
        Assert.Equal(at, await store.GetDigestAsync(Main, at.Seq));

        clock.Set(t0.AddMilliseconds(90));
        await store.AppendAsync(fork!.Ref, Ev("f6"));
        await store.AppendAsync(fork.Ref, Ev("f7"));
        Assert.Equal(0, await On(fork.Ref, 5));
        Assert.Equal(4, await On(fork.Ref, 25));
        Assert.Equal(5, await On(fork.Ref, 89));
        Assert.Equal(7, await On(fork.Ref, 90));
        Assert.Equal(hashes[3], (await store.FindLastAtOrBeforeAsync(fork.Ref, t0.AddMilliseconds(25))).Hash);
        await Refused(EventStoreError.BranchNotFound, () => store.FindLastAtOrBeforeAsync(new BranchRef(Doc, new BranchName("ghost")), t0));
    }
}
