using Collab.Crdt.Protocol;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collab.Documents.Tests.Sessions;

/// <summary>Presence is bounded and owned (issue 13, findings 2, 8 and 10).</summary>
public sealed class AwarenessLimitsTests : IAsyncLifetime
{
    private const ulong MaxSafeClock = (1UL << 53) - 1;
    private readonly InMemoryEventStore _store = new();
    private readonly RecordingBroadcaster _broadcaster = new();
    private readonly LiveSessionOptions _options = new()
    {
        MaxAwarenessClientsPerConnection = 4,
        MaxAwarenessClientsPerBranch = 10,
        MaxAwarenessBytesPerBranch = 64 * 1024,
        MaxStateVectorEntries = 1024,
    };
    private readonly BranchRef _branch = new(new DocumentId("doc-presence"), BranchName.Main);
    private readonly SessionCaller _alice = new("c-alice", "alice", DocumentRole.Editor);
    private readonly SessionCaller _mallory = new("c-mallory", "mallory", DocumentRole.Viewer);
    private SessionManager _sessions = null!;

    public async Task InitializeAsync()
    {
        await _store.CreateDocumentAsync(_branch.Document, "alice");
        _sessions = new SessionManager(_store, new YDocFactory(), _broadcaster, Microsoft.Extensions.Options.Options.Create(_options), TimeProvider.System, NullLogger<SessionManager>.Instance);
        await _sessions.JoinAsync(_branch, _alice, default);
        await _sessions.JoinAsync(_branch, _mallory, default);
    }

    public async Task DisposeAsync() => await _sessions.DisposeAsync();

    private Task PublishAsync(SessionCaller caller, params AwarenessEntry[] entries) =>
        _sessions.AwarenessAsync(_branch, caller, AwarenessUpdate.Write(entries), default);

    private async Task<List<AwarenessEntry>> StatesSeenByNewcomerAsync()
    {
        var join = await _sessions.JoinAsync(_branch, new SessionCaller("c-new-" + Guid.NewGuid().ToString("N"), "newcomer", DocumentRole.Viewer), default);
        return join.Awareness is null ? [] : AwarenessUpdate.Read(join.Awareness);
    }

    [Fact]
    public async Task another_users_connection_cannot_overwrite_or_silence_a_client_id_it_does_not_own()
    {
        await PublishAsync(_alice, new AwarenessEntry(1, 1, """{"user":"alice"}"""));
        var relayed = _broadcaster.Awareness.Count;

        await PublishAsync(_mallory, new AwarenessEntry(1, MaxSafeClock, """{"user":"fake"}"""));
        await PublishAsync(_mallory, new AwarenessEntry(1, MaxSafeClock, "null"));

        Assert.Equal(relayed, _broadcaster.Awareness.Count); // nothing relayed for the forger
        await PublishAsync(_alice, new AwarenessEntry(1, 2, """{"user":"alice","cursor":4}"""));
        var last = Assert.Single(AwarenessUpdate.Read(_broadcaster.Awareness.Last().Update));
        Assert.Equal((1u, 2ul), (last.ClientId, last.Clock));
        var state = Assert.Single(await StatesSeenByNewcomerAsync());
        Assert.Equal("""{"user":"alice","cursor":4}""", state.StateJson);
    }

    [Fact]
    public async Task only_the_entries_a_connection_owns_are_relayed_from_a_mixed_update()
    {
        await PublishAsync(_alice, new AwarenessEntry(1, 5, """{"user":"alice"}"""));

        // A stock client re-sends others' states along with its own: its own entry goes through, the others do not.
        await PublishAsync(_mallory, new AwarenessEntry(2, 1, """{"user":"mallory"}"""), new AwarenessEntry(1, 9, """{"user":"fake"}"""));

        var relayed = AwarenessUpdate.Read(_broadcaster.Awareness.Last().Update);
        Assert.Equal([new AwarenessEntry(2, 1, """{"user":"mallory"}""")], relayed);
        Assert.Equal(_mallory.ConnectionId, _broadcaster.Awareness.Last().Except);
    }

    [Fact]
    public async Task a_client_id_is_freed_when_its_connection_leaves_and_the_same_user_may_take_it_over_on_reconnect()
    {
        await PublishAsync(_alice, new AwarenessEntry(1, 3, """{"v":1}"""));
        var reconnected = _alice with { ConnectionId = "c-alice-2" };
        await _sessions.JoinAsync(_branch, reconnected, default);

        await PublishAsync(reconnected, new AwarenessEntry(1, 4, """{"v":2}"""));
        Assert.Equal(new AwarenessEntry(1, 4, """{"v":2}"""), Assert.Single(AwarenessUpdate.Read(_broadcaster.Awareness.Last().Update)));

        // The old connection no longer owns it: its leave removes nothing.
        var before = _broadcaster.Awareness.Count;
        await _sessions.LeaveAsync(_branch, _alice.ConnectionId, default);
        Assert.Equal(before, _broadcaster.Awareness.Count);
        await _sessions.LeaveAsync(_branch, reconnected.ConnectionId, default);
        var removal = Assert.Single(AwarenessUpdate.Read(_broadcaster.Awareness.Last().Update));
        Assert.Equal(new AwarenessEntry(1, 5, "null"), removal);
        Assert.Empty(await StatesSeenByNewcomerAsync());

        // Freed: another user may now use the id.
        await PublishAsync(_mallory, new AwarenessEntry(1, 1, "{}"));
        Assert.Equal(new AwarenessEntry(1, 1, "{}"), Assert.Single(await StatesSeenByNewcomerAsync()));
    }

    [Fact]
    public async Task a_connection_may_hold_only_a_few_client_ids_and_a_refused_update_changes_nothing()
    {
        await PublishAsync(_mallory, [.. Enumerable.Range(1, 4).Select(i => new AwarenessEntry((uint)i, 1, "{}"))]);
        var relayed = _broadcaster.Awareness.Count;

        var error = await Assert.ThrowsAsync<CollabException>(() => PublishAsync(_mallory, new AwarenessEntry(5, 1, "{}"), new AwarenessEntry(1, 2, """{"changed":true}""")));

        Assert.Equal(CollabErrorCode.TooLarge, error.Code);
        Assert.Equal(relayed, _broadcaster.Awareness.Count);
        var states = await StatesSeenByNewcomerAsync();
        Assert.Equal(4, states.Count);
        Assert.All(states, s => Assert.Equal("{}", s.StateJson));

        // Removing one of its own ids makes room again.
        await PublishAsync(_mallory, new AwarenessEntry(4, 2, "null"), new AwarenessEntry(5, 1, "{}"));
        Assert.Equal([1u, 2u, 3u, 5u], (await StatesSeenByNewcomerAsync()).Select(s => s.ClientId).Order());
    }

    [Fact]
    public async Task a_branch_holds_a_bounded_number_of_client_ids_and_bytes_whatever_the_number_of_connections()
    {
        var callers = new List<SessionCaller>();
        for (var c = 0; c < 3; c++)
        {
            var caller = new SessionCaller($"c-{c}", $"user-{c}", DocumentRole.Viewer);
            callers.Add(caller);
            await _sessions.JoinAsync(_branch, caller, default);
            await PublishAsync(caller, [.. Enumerable.Range(0, 3).Select(i => new AwarenessEntry((uint)(100 + (c * 10) + i), 1, "{}"))]);
        }
        var late = new SessionCaller("c-late", "late", DocumentRole.Viewer);
        await _sessions.JoinAsync(_branch, late, default);
        await PublishAsync(late, new AwarenessEntry(200, 1, "{}")); // the tenth
        var full = await Assert.ThrowsAsync<CollabException>(() => PublishAsync(late, new AwarenessEntry(201, 1, "{}")));
        Assert.Equal(CollabErrorCode.TooLarge, full.Code);
        Assert.Equal(10, (await StatesSeenByNewcomerAsync()).Count);

        // Bytes: a state that would take the branch past 64 KiB is refused; the newcomer's message stays below the limit.
        var big = "\"" + new string('b', 40 * 1024) + "\"";
        await PublishAsync(late, new AwarenessEntry(200, 2, big));
        var tooMuch = await Assert.ThrowsAsync<CollabException>(() => PublishAsync(callers[0], new AwarenessEntry(100, 2, big)));
        Assert.Equal(CollabErrorCode.TooLarge, tooMuch.Code);
        Assert.Contains("bytes", tooMuch.Message, StringComparison.Ordinal);
        var join = await _sessions.JoinAsync(_branch, new SessionCaller("c-last", "last", DocumentRole.Viewer), default);
        Assert.True(join.Awareness!.Length < 64 * 1024, $"{join.Awareness.Length} bytes");
    }

    [Fact]
    public async Task a_state_vector_with_more_entries_than_allowed_is_refused_before_it_reaches_the_branch()
    {
        static byte[] StateVector(int entries)
        {
            var w = new Collab.Crdt.Encoding.Lib0Writer(entries * 4);
            w.WriteVarUInt((ulong)entries);
            for (var i = 0; i < entries; i++)
            {
                w.WriteVarUInt((ulong)i + 1);
                w.WriteVarUInt(1);
            }
            return w.ToArray();
        }

        var ok = await _sessions.SyncAsync(_branch, _mallory, SyncMessage.EncodeSyncStep1(StateVector(1024)), null, 1 << 20, default);
        Assert.Equal(SyncMessageType.SyncStep2, SyncMessage.Read(ok.Reply!).Type);

        var error = await Assert.ThrowsAsync<CollabException>(() => _sessions.SyncAsync(_branch, _mallory, SyncMessage.EncodeSyncStep1(StateVector(1025)), null, 1 << 20, default));
        Assert.Equal(CollabErrorCode.TooLarge, error.Code);
        Assert.Contains("1025", error.Message, StringComparison.Ordinal);
    }
}
