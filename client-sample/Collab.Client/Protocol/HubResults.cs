using System.Text.Json.Serialization;
using MessagePack;

namespace Collab.Client.Protocol;

/// <summary>Answer to <c>Join</c>: the branch's last durable seq and the caller's role on the document.</summary>
/// <remarks>The server writes camelCase names in both hub protocols, hence the explicit keys.</remarks>
[MessagePackObject]
public sealed class JoinResult
{
    /// <summary>Seq of the branch's last durable event when the join happened (0 for an empty branch).</summary>
    [Key("headSeq")]
    [JsonPropertyName("headSeq")]
    public long HeadSeq { get; init; }

    /// <summary><c>owner</c>, <c>editor</c>, <c>viewer</c> or <c>auditor</c>.</summary>
    [Key("role")]
    [JsonPropertyName("role")]
    public string Role { get; init; } = "";
}

/// <summary>Answer to <c>Sync</c>: the seq at which the update was stored durably, or null when nothing was stored.</summary>
[MessagePackObject]
public sealed class SyncAck
{
    /// <summary>The stored event's seq; null for a message that stored nothing.</summary>
    [Key("seq")]
    [JsonPropertyName("seq")]
    public long? Seq { get; init; }
}
