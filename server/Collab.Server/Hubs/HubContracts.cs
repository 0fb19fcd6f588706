using MessagePack;

namespace Collab.Server.Hubs;

/// <summary>Methods the server calls on clients (docs/protocol.md).</summary>
public interface IDocumentClient
{
    /// <summary>A y-protocols sync message for a joined branch.</summary>
    Task Sync(string documentId, string branch, byte[] message);

    /// <summary>A y-protocols awareness update for a joined branch.</summary>
    Task Awareness(string documentId, string branch, byte[] update);
}

/// <summary>The answer to <c>Join</c>. MessagePack writes it as a map with the same camelCase keys as JSON.</summary>
[MessagePackObject]
public sealed record JoinResult([property: Key("headSeq")] long HeadSeq, [property: Key("role")] string Role);

/// <summary>The answer to <c>Sync</c>: the seq at which the update was stored, or null when nothing was stored.</summary>
[MessagePackObject]
public sealed record SyncAck([property: Key("seq")] long? Seq);
