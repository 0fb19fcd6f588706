using System.Text.Encodings.Web;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.Updates;

namespace Collab.Crdt.Protocol;

/// <summary>
/// The awareness state table of y-protocols (cursors, presence): one JSON state per client, with a clock per
/// client. Remote states time out after <see cref="OutdatedTimeout"/> without renewal; the local state is renewed
/// every half of that. Time comes from a <see cref="TimeProvider"/>, so tests drive it without real timers.
/// Thread safe; events are raised outside the lock, in the order the changes happened.
/// </summary>
public sealed class Awareness : IDisposable
{
    /// <summary>A state not renewed for this long is removed (y-protocols' <c>outdatedTimeout</c>).</summary>
    public static readonly TimeSpan OutdatedTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The origin of local changes.</summary>
    public const string LocalOrigin = "local";

    /// <summary>The origin of removals by timeout.</summary>
    public const string TimeoutOrigin = "timeout";

    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly object _lock = new();
    private readonly Dictionary<uint, AwarenessState> _states = [];
    private readonly Dictionary<uint, AwarenessMeta> _meta = [];
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;
    private bool _disposed;

    /// <summary>
    /// Creates the table for local client <paramref name="clientId"/> with an empty local state (<c>{}</c>), as
    /// y-protocols does. The check for outdated states runs every 3 seconds on <paramref name="timeProvider"/>.
    /// </summary>
    public Awareness(uint clientId, TimeProvider? timeProvider = null)
    {
        ClientId = clientId;
        _time = timeProvider ?? TimeProvider.System;
        SetLocalState(JsonDocument.Parse("{}").RootElement);
        _timer = _time.CreateTimer(static s => ((Awareness)s!).CheckTimeouts(), this, OutdatedTimeout / 10, OutdatedTimeout / 10);
    }

    /// <summary>Creates the table for <paramref name="doc"/>'s client id (see <see cref="Awareness(uint, TimeProvider?)"/>).</summary>
    public Awareness(YDoc doc, TimeProvider? timeProvider = null)
        : this((doc ?? throw new ArgumentNullException(nameof(doc))).ClientId, timeProvider)
    {
    }

    /// <summary>Raised when states were added, removed, or changed in content.</summary>
    public event EventHandler<AwarenessChange>? Change;

    /// <summary>Raised for every applied entry, including renewals with an unchanged state.</summary>
    public event EventHandler<AwarenessChange>? Update;

    /// <summary>The local client id.</summary>
    public uint ClientId { get; }

    /// <summary>A snapshot of the states by client id.</summary>
    public IReadOnlyDictionary<uint, JsonElement> States
    {
        get
        {
            lock (_lock)
            {
                return _states.ToDictionary(static kv => kv.Key, static kv => kv.Value.Value);
            }
        }
    }

    /// <summary>A snapshot of the clocks and update times by client id (kept after a state is removed).</summary>
    public IReadOnlyDictionary<uint, AwarenessMeta> Meta
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<uint, AwarenessMeta>(_meta);
            }
        }
    }

    /// <summary>The local state, or null when there is none.</summary>
    public JsonElement? LocalState
    {
        get
        {
            lock (_lock)
            {
                return _states.TryGetValue(ClientId, out var s) ? s.Value : null;
            }
        }
    }

    /// <summary>Sets (or with null removes) the local state and bumps the local clock.</summary>
    public void SetLocalState(JsonElement? state)
    {
        AwarenessChange? change;
        AwarenessChange update;
        lock (_lock)
        {
            ulong clock = _meta.TryGetValue(ClientId, out var meta) ? meta.Clock + 1 : 0;
            bool hadState = _states.TryGetValue(ClientId, out var previous);
            bool isNull = state is null || state.Value.ValueKind == JsonValueKind.Null;
            if (isNull)
            {
                _states.Remove(ClientId);
            }
            else
            {
                _states[ClientId] = AwarenessState.FromElement(state!.Value);
            }

            _meta[ClientId] = new AwarenessMeta(clock, Now());
            uint[] me = [ClientId];
            if (isNull)
            {
                update = new AwarenessChange([], [], me, LocalOrigin);
                change = update;
            }
            else if (!hadState)
            {
                update = new AwarenessChange(me, [], [], LocalOrigin);
                change = update;
            }
            else
            {
                update = new AwarenessChange([], me, [], LocalOrigin);
                change = SameState(previous.Value, state!.Value) ? null : update;
            }
        }

        if (change is not null)
        {
            Change?.Invoke(this, change);
        }

        Update?.Invoke(this, update);
    }

    /// <summary>Sets one field of the local state object (nothing happens without a local state).</summary>
    public void SetLocalStateField(string field, JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(field);
        var current = LocalState;
        if (current is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        try
        {
            using var w = new Utf8JsonWriter(buffer, CompactJson);
            w.WriteStartObject();
            if (current.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in current.Value.EnumerateObject())
                {
                    if (p.Name != field)
                    {
                        p.WriteTo(w);
                    }
                }
            }

            w.WritePropertyName(field);
            value.WriteTo(w);
            w.WriteEndObject();
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException("The state holds a lone surrogate escape and cannot be re-encoded", nameof(value), e);
        }

        SetLocalState(JsonDocument.Parse(buffer.ToArray()).RootElement.Clone());
    }

    /// <summary>
    /// Applies a remote awareness update (y-protocols' <c>applyAwarenessUpdate</c>): an entry wins with a newer
    /// clock, or with the same clock and a null state for a client whose state is known. A remote removal of the
    /// local state is refused by bumping the local clock instead.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed; nothing is applied.</exception>
    public void ApplyUpdate(ReadOnlySpan<byte> update, object? origin)
    {
        var entries = AwarenessUpdate.Read(update);
        List<uint> added = [], updated = [], filteredUpdated = [], removed = [];
        lock (_lock)
        {
            long now = Now();
            foreach (var entry in entries)
            {
                uint client = entry.ClientId;
                ulong clock = entry.Clock;
                bool known = _meta.TryGetValue(client, out var meta);
                ulong currentClock = known ? meta.Clock : 0;
                bool isNull = entry.IsRemoval;
                bool hasState = _states.TryGetValue(client, out var previous);
                if (currentClock < clock || (currentClock == clock && isNull && hasState))
                {
                    if (isNull)
                    {
                        if (client == ClientId && hasState)
                        {
                            // Never let a remote peer remove the local state: announce it is still here.
                            clock++;
                        }
                        else
                        {
                            _states.Remove(client);
                        }
                    }
                    else
                    {
                        _states[client] = AwarenessState.FromText(entry.StateJson);
                    }

                    _meta[client] = new AwarenessMeta(clock, now);
                    if (!known && !isNull)
                    {
                        added.Add(client);
                    }
                    else if (known && isNull)
                    {
                        removed.Add(client);
                    }
                    else if (!isNull)
                    {
                        if (!hasState || !SameState(_states[client].Value, previous.Value))
                        {
                            filteredUpdated.Add(client);
                        }

                        updated.Add(client);
                    }
                }
            }
        }

        if (added.Count > 0 || filteredUpdated.Count > 0 || removed.Count > 0)
        {
            Change?.Invoke(this, new AwarenessChange(added, filteredUpdated, removed, origin));
        }

        if (added.Count > 0 || updated.Count > 0 || removed.Count > 0)
        {
            Update?.Invoke(this, new AwarenessChange(added, updated, removed, origin));
        }
    }

    /// <summary>
    /// Removes the states of <paramref name="clients"/> (y-protocols' <c>removeAwarenessStates</c>); removing the
    /// local state bumps the local clock. Encode the removed clients with <see cref="EncodeUpdate"/> to tell peers.
    /// </summary>
    public void RemoveAwarenessStates(IEnumerable<uint> clients, object? origin)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var removed = new List<uint>();
        lock (_lock)
        {
            foreach (uint client in clients)
            {
                if (_states.Remove(client))
                {
                    if (client == ClientId)
                    {
                        var meta = _meta[client];
                        _meta[client] = new AwarenessMeta(meta.Clock + 1, Now());
                    }

                    removed.Add(client);
                }
            }
        }

        if (removed.Count > 0)
        {
            var change = new AwarenessChange([], [], removed, origin);
            Change?.Invoke(this, change);
            Update?.Invoke(this, change);
        }
    }

    /// <summary>
    /// Encodes the entries of <paramref name="clients"/> (y-protocols' <c>encodeAwarenessUpdate</c>): their clock
    /// and state, or <c>null</c> for a client without a state. Clients never seen are left out (y-protocols throws).
    /// </summary>
    public byte[] EncodeUpdate(IEnumerable<uint> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        var entries = new List<AwarenessEntry>();
        lock (_lock)
        {
            foreach (uint client in clients)
            {
                if (_meta.TryGetValue(client, out var meta))
                {
                    string json = _states.TryGetValue(client, out var state) ? state.Json : "null";
                    entries.Add(new AwarenessEntry(client, meta.Clock, json));
                }
            }
        }

        return AwarenessUpdate.Write(entries);
    }

    /// <summary>Encodes every known state (what a server sends a new connection).</summary>
    public byte[] EncodeFullUpdate()
    {
        uint[] clients;
        lock (_lock)
        {
            clients = [.. _states.Keys];
        }

        return EncodeUpdate(clients);
    }

    /// <summary>
    /// What the periodic check does: renews the local state when half the timeout has passed, and removes remote
    /// states not renewed within the timeout (origin <see cref="TimeoutOrigin"/>). Runs every 3 s on the timer.
    /// </summary>
    public void CheckTimeouts()
    {
        JsonElement? renew = null;
        var outdated = new List<uint>();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long now = Now();
            long timeout = (long)OutdatedTimeout.TotalMilliseconds;
            if (_states.TryGetValue(ClientId, out var local) && timeout / 2 <= now - _meta[ClientId].LastUpdated)
            {
                renew = local.Value;
            }

            foreach (var (client, meta) in _meta)
            {
                if (client != ClientId && timeout <= now - meta.LastUpdated && _states.ContainsKey(client))
                {
                    outdated.Add(client);
                }
            }
        }

        if (renew is not null)
        {
            SetLocalState(renew);
        }

        if (outdated.Count > 0)
        {
            RemoveAwarenessStates(outdated, TimeoutOrigin);
        }
    }

    /// <summary>Stops the timer and removes the local state (peers learn it when the resulting update is sent).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _timer?.Dispose();
        SetLocalState(null);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Deep equality like lib0's <c>equalityDeep</c>. JSON.parse accepts lone surrogate escapes, which
    /// <see cref="JsonElement.DeepEquals"/> refuses to unescape; such states are compared by their text.
    /// </summary>
    private static bool SameState(JsonElement a, JsonElement b)
    {
        try
        {
            return JsonElement.DeepEquals(a, b);
        }
        catch (InvalidOperationException)
        {
            return a.GetRawText() == b.GetRawText();
        }
    }

    /// <summary>A state with the JSON text it travels as (kept verbatim for remote states).</summary>
    private readonly record struct AwarenessState(JsonElement Value, string Json)
    {
        public static AwarenessState FromText(string json)
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = JsonText.MaxDepth });
            return new AwarenessState(doc.RootElement.Clone(), json);
        }

        public static AwarenessState FromElement(JsonElement value)
        {
            string json;
            try
            {
                using var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer, CompactJson))
                {
                    value.WriteTo(w);
                }

                json = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            }
            catch (InvalidOperationException)
            {
                // Lone surrogate escapes (legal for JSON.parse) cannot be re-written: keep the text as it is.
                json = value.GetRawText();
            }

            return new AwarenessState(value.Clone(), json);
        }
    }
}
