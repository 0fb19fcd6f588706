using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// The records projection (proposals, protection, settings, audit) after a restart is loaded from the store's index of
/// domain events: equal to the projection built by scanning every event, and reading only the domain events.
/// </summary>
public sealed class DocumentRecordsLoadTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;

    public async Task InitializeAsync() => _f = await PolicyFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static byte[] Replace(YDoc doc, int index, int length, string text) => TextEdits.Capture(doc, () =>
    {
        doc.GetText("text").Delete(index, length);
        doc.GetText("text").Insert(index, text);
    });

    [Fact]
    public async Task after_a_restart_the_projection_equals_a_scan_and_reads_only_the_domain_events_whatever_the_log_length()
    {
        // Every kind of record: settings, protection, proposals opened/reviewed/merged/closed, a merge with a decision.
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c-main", TextEdits.Append(main, "The cat sat."));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "feature", "main", null, null, "erin", default);
        var feature = new YDoc(new YDocOptions { ClientId = 10 });
        feature.ApplyUpdate(main.EncodeStateAsUpdate());
        await _f.SendAsync("feature", "c-feature", Replace(feature, 4, 3, "cow"), "erin");
        await _f.SendAsync("main", "c-main", Replace(main, 4, 3, "dog"));
        await _f.Settings.SetAsync(PolicyFixture.Doc, true, "alice", default);
        await _f.Protection.ProtectAsync(PolicyFixture.Doc, "main", "alice", default);
        var proposal = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("feature", "main", "Cow", "a better animal"), "erin", default);
        await _f.Proposals.ReviewAsync(PolicyFixture.Doc, proposal.Id, new ReviewRequest("approve", "fine"), "alice", default);
        var conflict = Assert.Single((await _f.Proposals.GetAsync(PolicyFixture.Doc, proposal.Id, "alice", default)).Preview!.Conflicts);
        await _f.Proposals.MergeAsync(PolicyFixture.Doc, proposal.Id, new MergeProposalRequest([new DecisionRequest(conflict.Id, "theirs", null)], "cow it is"), "alice", default);
        var closed = await _f.Proposals.OpenAsync(PolicyFixture.Doc, new OpenProposalRequest("main", "feature", "Back", "the other way"), "erin", default);
        await _f.Proposals.CloseAsync(PolicyFixture.Doc, closed.Id, new CloseProposalRequest("not now"), "erin", default);
        await _f.Protection.UnprotectAsync(PolicyFixture.Doc, "main", "alice", default);
        await _f.RestartAsync();

        var first = await LoadBothWaysAsync();
        Assert.Equal(first.Scanned, first.Indexed);
        Assert.Contains("cow it is", first.Indexed, StringComparison.Ordinal);
        Assert.Contains("settings.changed", first.Indexed, StringComparison.Ordinal);
        Assert.Equal(first.DomainEvents, first.ReadByIndex);
        Assert.True(first.ReadByScan > first.ReadByIndex, $"scan {first.ReadByScan}, index {first.ReadByIndex}");

        // 200 more updates: a load by the index reads exactly as much as before; a scan reads them all.
        for (var i = 0; i < 200; i++) await _f.SendAsync("feature", "c-feature", TextEdits.Append(feature, "."), "erin");
        await _f.RestartAsync();

        var second = await LoadBothWaysAsync();
        Assert.Equal(second.Scanned, second.Indexed);
        Assert.Equal(first.ReadByIndex, second.ReadByIndex);
        Assert.True(second.ReadByScan >= first.ReadByScan + 200, $"scan read {second.ReadByScan} events after 200 more, {first.ReadByScan} before");
    }

    /// <summary>The projection loaded through the index and by scanning, as JSON, with the events each read and the domain events there are.</summary>
    private async Task<(string Indexed, string Scanned, long ReadByIndex, long ReadByScan, long DomainEvents)> LoadBothWaysAsync()
    {
        var indexed = new CountingStore(_f.Store, useIndex: true);
        var scanned = new CountingStore(_f.Store, useIndex: false);
        var indexedJson = await ProjectionAsync(new DocumentRecords(indexed));
        var scannedJson = await ProjectionAsync(new DocumentRecords(scanned));
        long domainEvents = 0;
        foreach (var branch in await _f.Store.ListBranchesAsync(new DocumentId(PolicyFixture.Doc)))
        {
            await foreach (var e in _f.Store.ReadAsync(branch.Ref, new EventSeq(1), EventSeq.MaxValue))
            {
                if (e.Branch == branch.Ref && DomainEvents.Is(e)) domainEvents++;
            }
        }

        return (indexedJson, scannedJson, indexed.EventsRead, scanned.EventsRead, domainEvents);
    }

    private static Task<string> ProjectionAsync(DocumentRecords records) =>
        records.ReadAsync(new DocumentId(PolicyFixture.Doc), state => JsonSerializer.Serialize(new
        {
            Protected = state.Protected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList(),
            state.EditorsMayMerge,
            Branches = state.Branches.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => new { b.Key, b.Value.Scanned, b.Value.Entries }).ToList(),
            Proposals = state.Proposals.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList(),
        }), default);
}
