using Collab.Crdt.Document;
using Collab.Documents.Branching;
using Collab.EventStore;

namespace Collab.Documents.Tests.Branching;

/// <summary>
/// A fork answers with the new branch's details without reading merge records; those details must equal what
/// <c>GET …/branches/{name}</c> computes from the records, wherever the fork starts (after merges either way, on a
/// grandchild, at a merged branch).
/// </summary>
public sealed class ForkDetailsTests : IAsyncLifetime
{
    private PolicyFixture _f = null!;

    public async Task InitializeAsync() => _f = await PolicyFixture.CreateAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    [Fact]
    public async Task a_forks_answer_equals_the_branch_details_read_afterwards_at_every_position()
    {
        var main = new YDoc(new YDocOptions { ClientId = 1 });
        await _f.SendAsync("main", "c1", TextEdits.Append(main, "one"));
        await _f.SendAsync("main", "c1", TextEdits.Append(main, " two"));
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "f", "main", null, null, "erin", default);
        var feature = new YDoc(new YDocOptions { ClientId = 2 });
        feature.ApplyUpdate(main.EncodeStateAsUpdate());
        await _f.SendAsync("f", "c2", TextEdits.Append(feature, " A"), "erin");
        await _f.SendAsync("main", "c1", TextEdits.Append(main, " three"));
        await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("f", "main", false, null, null), "alice", default);
        await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("main", "f", false, null, null), "alice", default);
        await _f.Branches.ForkAsync(PolicyFixture.Doc, "g", "f", null, null, "erin", default);
        var grandchild = new YDoc(new YDocOptions { ClientId = 3 });
        await foreach (var e in _f.Store.ReadAsync(PolicyFixture.Ref("g"), new EventSeq(1), EventSeq.MaxValue)) grandchild.ApplyUpdate(e.Payload.ToArray());
        await _f.SendAsync("g", "c3", TextEdits.Append(grandchild, " G"), "erin");
        await _f.Merges.MergeAsync(PolicyFixture.Doc, new MergeRequest("g", "f", false, null, null), "alice", default);
        await _f.SendAsync("f", "c2", TextEdits.Append(feature, " B"), "erin");
        await _f.SendAsync("main", "c1", TextEdits.Append(main, " four"));

        var forks = 0;
        foreach (var source in new[] { "main", "f", "g" })
        {
            var head = await _f.HeadAsync(source);
            for (long seq = 0; seq <= head; seq++)
            {
                var name = $"x{forks++}";
                var answered = await _f.Branches.ForkAsync(PolicyFixture.Doc, name, source, seq, null, "erin", default);
                var read = await _f.Branches.GetAsync(PolicyFixture.Doc, name, "vic", default);
                Assert.Equal(read, answered);
                Assert.Equal(0L, answered.Ahead);
            }
        }

        Assert.True(forks > 15, $"only {forks} forks");
    }
}
