using System.Runtime.InteropServices;
using Collab.Crdt.Document;

namespace Collab.Crdt.Protocol;

/// <summary>What handling one sync message did.</summary>
/// <param name="Type">The type of the message handled.</param>
/// <param name="Reply">The encoded sync message to send back (a SyncStep2 answering a SyncStep1), or null.</param>
/// <param name="Refused">Whether an update was not applied because the peer is read-only.</param>
public readonly record struct SyncResult(SyncMessageType Type, byte[]? Reply, bool Refused);

/// <summary>
/// The y-protocols sync handshake against a <see cref="YDoc"/> (<c>readSyncMessage</c> and friends): a SyncStep1 is
/// answered with a SyncStep2 holding what the peer lacks; SyncStep2 and Update messages are applied with the given
/// transaction origin, unless the peer is read-only. Unlike y-protocols, a malformed update is not swallowed: it
/// throws <see cref="YjsFormatException"/> and leaves the document unchanged.
/// </summary>
public static class SyncProtocol
{
    /// <summary>A SyncStep1 message with the document's state vector (what a server sends a new peer first).</summary>
    public static byte[] EncodeSyncStep1(YDoc doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        return SyncMessage.EncodeSyncStep1(doc.EncodeStateVector());
    }

    /// <summary>A SyncStep2 message with what a peer at <paramref name="stateVector"/> lacks.</summary>
    /// <exception cref="YjsFormatException">The state vector is malformed.</exception>
    public static byte[] EncodeSyncStep2(YDoc doc, ReadOnlyMemory<byte> stateVector)
    {
        ArgumentNullException.ThrowIfNull(doc);
        return SyncMessage.EncodeSyncStep2(doc.EncodeStateAsUpdate(AsArray(stateVector)));
    }

    /// <summary>Reads one encoded sync message and handles it (see <see cref="Handle(YDoc, SyncMessage, object?, bool)"/>).</summary>
    /// <exception cref="YjsFormatException">The message or its payload is malformed; the document is unchanged.</exception>
    public static SyncResult Handle(YDoc doc, ReadOnlyMemory<byte> message, object? origin = null, bool readOnly = false) =>
        Handle(doc, SyncMessage.Read(message), origin, readOnly);

    /// <summary>
    /// Handles a sync message: answers SyncStep1, applies SyncStep2 and Update with <paramref name="origin"/> as
    /// the transaction origin (so the document's update event can tell who sent it), or refuses them when
    /// <paramref name="readOnly"/>.
    /// </summary>
    /// <exception cref="YjsFormatException">The payload is malformed; the document is unchanged.</exception>
    public static SyncResult Handle(YDoc doc, SyncMessage message, object? origin = null, bool readOnly = false)
    {
        ArgumentNullException.ThrowIfNull(doc);
        switch (message.Type)
        {
            case SyncMessageType.SyncStep1:
                return new SyncResult(message.Type, EncodeSyncStep2(doc, message.Payload), Refused: false);
            case SyncMessageType.SyncStep2:
            case SyncMessageType.Update:
                if (readOnly)
                {
                    return new SyncResult(message.Type, null, Refused: true);
                }

                doc.ApplyUpdate(AsArray(message.Payload), origin);
                return new SyncResult(message.Type, null, Refused: false);
            default:
                throw new YjsFormatException($"Unknown sync message type {(int)message.Type}", 0);
        }
    }

    /// <summary>The bytes as an array, without a copy when the memory is a whole array.</summary>
    private static byte[] AsArray(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();
}
