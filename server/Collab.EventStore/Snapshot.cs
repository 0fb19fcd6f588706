namespace Collab.EventStore;

/// <summary>
/// A compacted state of a branch's view at a seq (e.g. Yjs <c>encodeStateAsUpdate</c>). A cache: deleting snapshots
/// changes no answer. Stored on the branch that owns the event at <paramref name="Seq"/>, so every fork containing
/// that position finds it.
/// </summary>
/// <param name="Branch">The branch that owns the event at <paramref name="Seq"/>.</param>
/// <param name="Seq">The position the state is at (1 or more).</param>
/// <param name="Hash">The hash of the event at <paramref name="Seq"/>: the history the state derives from.</param>
/// <param name="State">Opaque bytes.</param>
/// <param name="FormatVersion">The caller's version of the state encoding.</param>
/// <param name="CreatedAt">Server time when it was stored.</param>
public sealed record Snapshot(BranchRef Branch, EventSeq Seq, EventHash Hash, ReadOnlyMemory<byte> State, int FormatVersion, DateTimeOffset CreatedAt);
