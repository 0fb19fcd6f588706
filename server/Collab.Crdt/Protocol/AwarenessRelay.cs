namespace Collab.Crdt.Protocol;

/// <summary>
/// The awareness side of a relay server, as y-websocket's server does it: one state table per document without a
/// local state, fed by every connection. A client belongs to the connection whose update last added or renewed it
/// (peers only learn other clients' states from the relay, so they never send a newer clock for them); when that
/// connection closes its clients are removed.
/// Every change (applied update, disconnect, 30 s timeout) is raised as <see cref="Broadcast"/> with the awareness
/// update to send to all connections of the document.
/// </summary>
public sealed class AwarenessRelay : IDisposable
{
    private readonly Awareness _table;
    private readonly Dictionary<uint, object> _ownerOf = [];
    private readonly object _lock = new();

    /// <summary>Creates the relay; <paramref name="timeProvider"/> drives the timeouts.</summary>
    public AwarenessRelay(TimeProvider? timeProvider = null)
    {
        // The relay is not a client: its id never goes on the wire because it holds no state.
        _table = new Awareness(0, timeProvider);
        _table.SetLocalState(null);
        _table.Update += OnUpdate;
    }

    /// <summary>
    /// An awareness update to send to every connection of the document. Raised on the thread that applied or
    /// removed states, or on a timer thread for timeouts: handlers must be thread safe and should not block.
    /// </summary>
    public event Action<byte[]>? Broadcast;

    /// <summary>The state table (read it for presence lists).</summary>
    public Awareness Table => _table;

    /// <summary>
    /// Validates and applies an awareness update sent by <paramref name="connection"/> (compared by reference).
    /// Raises <see cref="Broadcast"/> when something changed.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed; nothing is applied.</exception>
    public void Apply(object connection, ReadOnlySpan<byte> update)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _table.ApplyUpdate(update, new ConnectionOrigin(connection));
    }

    /// <summary>The clients <paramref name="connection"/> owns.</summary>
    public IReadOnlyCollection<uint> ClientsOf(object connection)
    {
        lock (_lock)
        {
            return [.. _ownerOf.Where(kv => ReferenceEquals(kv.Value, connection)).Select(static kv => kv.Key)];
        }
    }

    /// <summary>What to send a connection that joins: every known state, or null when there is none.</summary>
    public byte[]? EncodeFullState()
    {
        var update = _table.EncodeFullUpdate();
        return update.Length > 1 ? update : null;
    }

    /// <summary>Removes the states of the clients <paramref name="connection"/> owned; raises <see cref="Broadcast"/>.</summary>
    public void Disconnect(object connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var owned = ClientsOf(connection);
        lock (_lock)
        {
            foreach (uint client in owned)
            {
                _ownerOf.Remove(client);
            }
        }

        if (owned.Count > 0)
        {
            _table.RemoveAwarenessStates(owned, null);
        }
    }

    private void OnUpdate(object? sender, AwarenessChange change)
    {
        if (change.Origin is ConnectionOrigin origin)
        {
            lock (_lock)
            {
                foreach (uint client in change.Added.Concat(change.Updated))
                {
                    _ownerOf[client] = origin.Connection;
                }

                foreach (uint client in change.Removed)
                {
                    _ownerOf.Remove(client);
                }
            }
        }

        // Removed clients go out with a null state at their last clock, which peers apply (equal clock, null state).
        Broadcast?.Invoke(_table.EncodeUpdate(change.All));
    }

    /// <summary>Stops the timeout timer (without broadcasting anything).</summary>
    public void Dispose()
    {
        _table.Update -= OnUpdate;
        _table.Dispose();
    }

    /// <summary>Marks updates that came from a connection, so no connection object is mistaken for another origin.</summary>
    private sealed record ConnectionOrigin(object Connection);
}
