namespace Collab.Crdt.Protocol;

/// <summary>The clients an awareness event is about, and the origin of the change.</summary>
public sealed class AwarenessChange : EventArgs
{
    internal AwarenessChange(IReadOnlyList<uint> added, IReadOnlyList<uint> updated, IReadOnlyList<uint> removed, object? origin)
    {
        Added = added;
        Updated = updated;
        Removed = removed;
        Origin = origin;
    }

    /// <summary>Clients that got a state.</summary>
    public IReadOnlyList<uint> Added { get; }

    /// <summary>Clients whose state was renewed (for <c>Update</c>) or changed (for <c>Change</c>).</summary>
    public IReadOnlyList<uint> Updated { get; }

    /// <summary>Clients whose state was removed.</summary>
    public IReadOnlyList<uint> Removed { get; }

    /// <summary><c>"local"</c> for local changes, <c>"timeout"</c> for expiry, else what the caller passed.</summary>
    public object? Origin { get; }

    /// <summary>All clients the event names.</summary>
    public IEnumerable<uint> All => Added.Concat(Updated).Concat(Removed);
}

/// <summary>What the awareness table knows about a client besides its state.</summary>
/// <param name="Clock">The client's awareness clock.</param>
/// <param name="LastUpdated">When the entry last changed, as Unix milliseconds of the awareness' time provider.</param>
public readonly record struct AwarenessMeta(ulong Clock, long LastUpdated);
