using Collab.Crdt.Document;
using Collab.Crdt.Protocol;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Sessions;

/// <summary>The per-document size limit and what happens when the store refuses snapshots.</summary>
public sealed class SessionLimitTests : IAsyncLifetime
{
    private static readonly SessionCaller Alice = new("c1", "alice", Collab.Documents.Access.DocumentRole.Editor);

    private readonly InMemoryEventStore _inner = new(new EventStoreOptions { MaxPayloadBytes = 1 << 20 });
    private readonly FlakyStore _store;
    private readonly LiveSessionOptions _options = new() { SnapshotEvery = 1000, IdleUnloadAfter = TimeSpan.Zero };
    private readonly BranchRef _branch = new(new DocumentId("doc-1"), BranchName.Main);
    private SessionManager _sessions = null!;

    public SessionLimitTests() => _store = new FlakyStore(_inner);

    public async Task InitializeAsync()
    {
        await _store.CreateDocumentAsync(_branch.Document, "alice");
        _sessions = new SessionManager(_store, new YDocFactory(), new RecordingBroadcaster(), Microsoft.Extensions.Options.Options.Create(_options), TimeProvider.System, NullLogger<SessionManager>.Instance);
        await _sessions.JoinAsync(_branch, Alice, default);
    }

    public async Task DisposeAsync() => await _sessions.DisposeAsync();

    private static byte[] Change(YDoc doc, Action<Collab.Crdt.Types.YText> edit) => TextEdits.Capture(doc, () => edit(doc.GetText("text")));

    /// <summary>Sends an update; its seq, or 0 when nothing was stored.</summary>
    private async Task<long> SendAsync(byte[] update) =>
        (await _sessions.SyncAsync(_branch, Alice, SyncMessage.EncodeUpdate(update), null, 1 << 20, default)).Seq ?? 0;

    private async Task<string> LiveTextAsync()
    {
        var (_, content) = await _sessions.ReadContentAsync(_branch, default);
        var doc = new YDoc();
        doc.ApplyUpdate(content);
        return doc.GetText("text").ToString();
    }

    [Fact]
    public async Task an_update_that_would_take_the_document_past_its_size_limit_is_refused_and_changes_nothing()
    {
        _options.MaxDocumentBytes = 8 * 1024;
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        var block = new string('a', 1000);
        var accepted = 0;
        CollabException? refused = null;
        while (refused is null && accepted < 20)
        {
            var update = Change(doc, t => t.Insert(t.Length, block));
            try
            {
                Assert.Equal(accepted + 1, await SendAsync(update));
                accepted++;
            }
            catch (CollabException ex)
            {
                refused = ex;
            }
        }

        // 8 blocks of 1,000 characters fit in 8 KiB with their headers; a 9th does not.
        Assert.Equal(8, accepted);
        Assert.NotNull(refused);
        Assert.Equal(CollabErrorCode.TooLarge, refused.Code);
        Assert.Contains("8192", refused.Message, StringComparison.Ordinal);
        Assert.Equal(accepted, (await _inner.GetHeadAsync(_branch)).Seq.Value);
        Assert.Equal(new string('a', 8000), await LiveTextAsync());

        // A full document can still shrink; then it has room again. (A fresh client: the refused block stays local to the first.)
        doc = new YDoc(new YDocOptions { ClientId = 6 });
        doc.ApplyUpdate((await _sessions.ReadContentAsync(_branch, default)).Update);
        Assert.Equal(9, await SendAsync(Change(doc, t => t.Delete(0, 5000))));
        Assert.Equal(10, await SendAsync(Change(doc, t => t.Insert(0, "b"))));
        Assert.Equal("b" + new string('a', 3000), await LiveTextAsync());
    }

    [Fact]
    public async Task after_a_refused_snapshot_the_next_attempt_waits_twice_as_long()
    {
        _options.SnapshotEvery = 1;
        _store.RefuseSnapshots = true;
        var doc = new YDoc(new YDocOptions { ClientId = 5 });
        for (var i = 1; i <= 20; i++) Assert.Equal(i, await SendAsync(Change(doc, t => t.Insert(t.Length, "x"))));

        // Attempts at seq 1, 2, 4, 8 and 16 (the interval doubles after each refusal), not one per update.
        // A snapshot is taken after the batch is acknowledged; a read is queued behind it, so it waits for the attempt.
        await _sessions.ReadContentAsync(_branch, default);
        Assert.Equal(5, _store.SnapshotAttempts);
        Assert.Null(await _inner.GetNearestSnapshotAsync(_branch, EventSeq.MaxValue));

        _store.RefuseSnapshots = false;
        for (var i = 21; i <= 32; i++) Assert.Equal(i, await SendAsync(Change(doc, t => t.Insert(t.Length, "x"))));
        await _sessions.ReadContentAsync(_branch, default);
        Assert.Equal(6, _store.SnapshotAttempts);
        Assert.Equal(32, (await _inner.GetNearestSnapshotAsync(_branch, EventSeq.MaxValue))!.Seq.Value);

        // A success resets the interval.
        Assert.Equal(33, await SendAsync(Change(doc, t => t.Insert(t.Length, "x"))));
        await _sessions.ReadContentAsync(_branch, default);
        Assert.Equal(33, (await _inner.GetNearestSnapshotAsync(_branch, EventSeq.MaxValue))!.Seq.Value);
    }
}
