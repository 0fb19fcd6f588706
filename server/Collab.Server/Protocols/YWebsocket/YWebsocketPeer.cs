using System.Net.WebSockets;
using Collab.Crdt.Protocol;
using Collab.EventStore;

namespace Collab.Server.Protocols.YWebsocket;

/// <summary>
/// A socket speaking the y-websocket protocol: one branch per socket, frames are <c>varUint type</c> + body
/// (0 sync, 1 awareness, 2 auth, 3 query awareness), as y-websocket's <c>WebsocketProvider</c> reads them.
/// </summary>
internal sealed class YWebsocketPeer(string connectionId, string user, SocketOutbox outbox) : SocketPeer(connectionId, user, outbox)
{
    /// <summary>Every y-websocket socket of a branch gets the same bytes.</summary>
    public override string? FrameKey(BranchRef branch) => "y-websocket";

    public override byte[]? Frame(BranchRef branch, BroadcastKind kind, byte[] payload) => kind switch
    {
        BroadcastKind.Sync => SyncFrame(payload),
        BroadcastKind.Awareness => ProviderMessage.EncodeAwareness(payload),
        _ => null, // y-websocket has no stateless messages
    };

    /// <summary>A y-protocols sync message (already encoded) framed as a y-websocket sync message.</summary>
    public static byte[] SyncFrame(byte[] syncMessage)
    {
        var frame = new byte[syncMessage.Length + 1];
        frame[0] = (byte)ProviderMessageType.Sync;
        syncMessage.CopyTo(frame, 1);
        return frame;
    }

    /// <inheritdoc />
    public override void Revoked(DocumentId document) =>
        Close((WebSocketCloseStatus)4403, $"forbidden: your role on document '{document}' was revoked");
}
