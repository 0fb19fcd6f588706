using System.Collections.Concurrent;
using Collab.EventStore;

namespace Collab.Server.Protocols.Hocuspocus;

/// <summary>
/// A socket speaking the Hocuspocus protocol: many documents on one socket, each under the name its provider gave
/// (<c>document</c> or <c>document@branch</c>, optionally followed by Hocuspocus's <c>\0session</c> routing suffix); every
/// frame to it carries that name.
/// </summary>
internal sealed class HocuspocusPeer(string connectionId, string user, SocketOutbox outbox) : SocketPeer(connectionId, user, outbox)
{
    /// <summary>The documents open on this socket, by the name the provider uses.</summary>
    public ConcurrentDictionary<string, OpenDocument> Documents { get; } = new(StringComparer.Ordinal);

    /// <summary>The name each open branch goes by on this socket (one name per branch).</summary>
    public ConcurrentDictionary<BranchRef, string> Names { get; } = new();

    /// <summary>Names differ per socket: frames are encoded per peer.</summary>
    public override string? FrameKey(BranchRef branch) => null;

    public override byte[]? Frame(BranchRef branch, BroadcastKind kind, byte[] payload)
    {
        if (!Names.TryGetValue(branch, out var name)) return null;
        return kind switch
        {
            BroadcastKind.Sync => HocuspocusFrames.SyncFrame(name, payload),
            BroadcastKind.Awareness => HocuspocusFrames.AwarenessFrame(name, payload),
            _ => HocuspocusFrames.StatelessFrame(name, System.Text.Encoding.UTF8.GetString(payload)),
        };
    }

    /// <summary>One document open on the socket: its branch and the user whose token opened it.</summary>
    internal sealed record OpenDocument(BranchRef Branch, string User);
}
