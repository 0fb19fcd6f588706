using MessagePack;

namespace Collab.Server.Hubs;

/// <summary>Methods the server calls on clients (docs/protocol.md).</summary>
public interface IDocumentClient
{
    /// <summary>A y-protocols sync message for a joined branch.</summary>
    Task Sync(string documentId, string branch, byte[] message);

    /// <summary>A y-protocols awareness update for a joined branch.</summary>
    Task Awareness(string documentId, string branch, byte[] update);

    /// <summary>
    /// Something happened to the document's branches (a branch was created, or merged into), sent to every connection
    /// joined to any branch of the document. <paramref name="json"/> is a JSON object whose <c>type</c> says what
    /// (docs/protocol.md).
    /// </summary>
    Task BranchEvent(string documentId, string json);
}

/// <summary>The answer to <c>Join</c>. MessagePack writes it as a map with the same camelCase keys as JSON.</summary>
[MessagePackObject]
public sealed record JoinResult([property: Key("headSeq")] long HeadSeq, [property: Key("role")] string Role);

/// <summary>The answer to <c>Sync</c>: the seq at which the update was stored, or null when nothing was stored.</summary>
[MessagePackObject]
public sealed record SyncAck([property: Key("seq")] long? Seq);

/// <summary>The answer to <c>MoveToBranch</c>: the new branch the connection is now joined to.</summary>
[MessagePackObject]
public sealed record MoveResult(
    [property: Key("branch")] string Branch,
    [property: Key("forkSeq")] long ForkSeq,
    [property: Key("headSeq")] long HeadSeq,
    [property: Key("role")] string Role);
