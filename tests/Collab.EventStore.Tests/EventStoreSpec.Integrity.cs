using System.Text;

namespace Collab.EventStore.Tests;

public abstract partial class EventStoreSpec
{
    [Fact]
    public async Task verify_names_the_event_whose_payload_was_changed_behind_the_store()
    {
        await AppendManyAsync(Main, 8, "payload-number-");
        var fork = await Store.ForkAsync(Main, new EventSeq(6), new BranchName("audit"), "bob");
        await AppendManyAsync(fork.Ref, 2, "f");
        Assert.True((await Store.VerifyAsync(fork.Ref)).IsValid);

        _store = await TamperPayloadAsync(Store, new EventRef(Main, new EventSeq(5)), Encoding.UTF8.GetBytes("forged-number-44"));

        var onMain = await Store.VerifyAsync(Main);
        Assert.False(onMain.IsValid);
        Assert.Equal(new EventRef(Main, new EventSeq(5)), onMain.FirstBroken!.Event);
        Assert.Contains("changed", onMain.FirstBroken.Reason, StringComparison.Ordinal);
        Assert.Equal(4, onMain.EventsChecked);
        var onFork = await Store.VerifyAsync(fork.Ref);
        Assert.Equal(new EventRef(Main, new EventSeq(5)), onFork.FirstBroken!.Event);
        var before = await Store.ForkAsync(Main, new EventSeq(4), new BranchName("before"), "bob");
        Assert.True((await Store.VerifyAsync(before.Ref)).IsValid);
    }

    [Fact]
    public async Task empty_and_oversized_payloads_are_refused_and_the_store_keeps_working()
    {
        var limit = NewOptions().MaxPayloadBytes;
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, [new NewEvent(EventKind.Update, ReadOnlyMemory<byte>.Empty, "alice")]));
        var ex = await Refused(EventStoreError.PayloadTooLarge, () => Store.AppendAsync(Main, [Ev("fine"), new NewEvent(EventKind.Update, new byte[limit + 1], "alice")]));
        Assert.Contains(limit.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await Store.AppendAsync(Main, new NewEvent(EventKind.Update, new byte[limit], "alice"))).Seq.Value);
        var snapshotLimit = NewOptions().MaxSnapshotBytes;
        var snapshotError = await Refused(EventStoreError.PayloadTooLarge, () => Store.PutSnapshotAsync(Main, new EventSeq(1), new byte[snapshotLimit + 1], 1));
        Assert.Contains(snapshotLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), snapshotError.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await Store.AppendAsync(Main, Ev("after"))).Seq.Value);
    }

    [Fact]
    public async Task snapshots_above_the_payload_limit_are_stored_whole_up_to_the_snapshot_limit()
    {
        var options = NewOptions();
        Assert.True(options.MaxSnapshotBytes > 4 * options.MaxPayloadBytes, "the spec needs a snapshot limit well above the payload limit");
        await AppendManyAsync(Main, 3);
        var large = new byte[options.MaxSnapshotBytes];
        new Random(13).NextBytes(large);
        var smaller = large.AsSpan(0, (2 * options.MaxPayloadBytes) + 5).ToArray();
        smaller[0] ^= 0xFF;

        await Store.PutSnapshotAsync(Main, new EventSeq(2), large, 1);
        await Store.PutSnapshotAsync(Main, new EventSeq(3), smaller, 1);
        Assert.Equal(large, (await Store.GetNearestSnapshotAsync(Main, new EventSeq(2)))!.State.ToArray());
        Assert.Equal(smaller, (await Store.GetNearestSnapshotAsync(Main, EventSeq.MaxValue))!.State.ToArray());

        // Rewritten at the same position with a shorter state: the shorter one reads back, nothing of the longer one.
        await Store.PutSnapshotAsync(Main, new EventSeq(2), smaller, 1);
        var rewritten = await Store.GetNearestSnapshotAsync(Main, new EventSeq(2));
        Assert.Equal(smaller, rewritten!.State.ToArray());
        Assert.Equal(4, (await Store.AppendAsync(Main, Ev("after"))).Seq.Value);
    }

    [Fact]
    public async Task malformed_events_are_refused_with_clear_errors()
    {
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, []));
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, [Ev("x", author: " ")]));
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, [Ev("x") with { ClientUpdateId = "" }]));
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, [Ev("x") with { SchemaVersion = 0 }]));
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, [Ev("x") with { SchemaVersion = EventSchema.CurrentVersion + 1 }]));
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, [Ev("x")], new EventSeq(-1)));
        await Refused(EventStoreError.InvalidArgument, () => Store.AppendAsync(Main, Enumerable.Range(0, NewOptions().MaxEventsPerAppend + 1).Select(i => Ev("x")).ToArray()));
        Assert.Equal(1, (await Store.AppendAsync(Main, Ev("ok"))).Seq.Value);
    }

    [Fact]
    public async Task unknown_documents_and_branches_are_refused_and_the_store_keeps_working()
    {
        var ghostDoc = BranchRef.MainOf(new DocumentId("ghost"));
        var ghostBranch = new BranchRef(Doc, new BranchName("ghost"));
        await Refused(EventStoreError.DocumentNotFound, () => Store.AppendAsync(ghostDoc, [Ev("x")]));
        await Refused(EventStoreError.BranchNotFound, () => Store.AppendAsync(ghostBranch, [Ev("x")]));
        await Refused(EventStoreError.BranchNotFound, () => Store.ReadPageAsync(ghostBranch, new EventSeq(1), 10));
        await Refused(EventStoreError.BranchNotFound, () => Store.GetDigestAsync(ghostBranch));
        await Refused(EventStoreError.BranchNotFound, () => Store.VerifyAsync(ghostBranch));
        await Refused(EventStoreError.BranchNotFound, () => Store.PutSnapshotAsync(ghostBranch, new EventSeq(1), new byte[] { 1 }, 1));
        await Refused(EventStoreError.BranchNotFound, async () =>
        {
            await foreach (var e in Store.ReadAsync(ghostBranch, new EventSeq(1), EventSeq.MaxValue)) Assert.Fail("no events expected");
        });
        Assert.Equal(1, (await Store.AppendAsync(Main, Ev("ok"))).Seq.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData(".hidden")]
    [InlineData("ünïcode")]
    public void invalid_document_ids_are_refused_with_a_reason(string value)
    {
        var ex = Assert.Throws<EventStoreException>(() => new DocumentId(value));
        Assert.Equal(EventStoreError.InvalidName, ex.Error);
        Assert.Contains("document id", ex.Message, StringComparison.Ordinal);
        Assert.False(DocumentId.TryParse(value, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/lead")]
    [InlineData("trail/")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("tab\tname")]
    public void invalid_branch_names_are_refused_with_a_reason(string value)
    {
        var ex = Assert.Throws<EventStoreException>(() => new BranchName(value));
        Assert.Equal(EventStoreError.InvalidName, ex.Error);
        Assert.Contains("branch name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task names_at_the_length_limit_work_and_one_more_is_refused()
    {
        var longest = new DocumentId(new string('d', NameRules.MaxNameLength));
        await Store.CreateDocumentAsync(longest, "alice");
        var branch = await Store.ForkAsync(BranchRef.MainOf(longest), EventSeq.Zero, new BranchName("team/" + new string('b', NameRules.MaxNameLength - 5)), "alice");
        Assert.Equal(1, (await Store.AppendAsync(branch.Ref, Ev("x"))).Seq.Value);
        Assert.Throws<EventStoreException>(() => new DocumentId(new string('d', NameRules.MaxNameLength + 1)));
        Assert.Throws<EventStoreException>(() => new BranchName(new string('b', NameRules.MaxNameLength + 1)));
        Assert.Throws<EventStoreException>(() => new EventKind("Update"));
        await Refused(EventStoreError.InvalidName, () => Store.AppendAsync(default, [Ev("x")]));
    }
}
