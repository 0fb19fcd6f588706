using Collab.Crdt.Encoding;

namespace Collab.Crdt.Protocol;

/// <summary>The y-protocols sync message types.</summary>
public enum SyncMessageType
{
    /// <summary>Carries the sender's state vector; the answer is a <see cref="SyncStep2"/>.</summary>
    SyncStep1 = 0,

    /// <summary>Carries an update with what the receiver of step 1 lacks.</summary>
    SyncStep2 = 1,

    /// <summary>Carries an incremental update.</summary>
    Update = 2,
}

/// <summary>
/// One y-protocols sync message: varUint type, then varUint8Array payload (a state vector for
/// <see cref="SyncMessageType.SyncStep1"/>, a v1 update otherwise). The payload is a view into the bytes it was read
/// from; nothing is copied.
/// </summary>
/// <param name="Type">The message type.</param>
/// <param name="Payload">The state vector or update bytes.</param>
public readonly record struct SyncMessage(SyncMessageType Type, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Reads one sync message that fills <paramref name="data"/> exactly.</summary>
    /// <exception cref="YjsFormatException">Truncated, unknown type, or bytes left over.</exception>
    public static SyncMessage Read(ReadOnlyMemory<byte> data)
    {
        var message = Read(data, out int consumed);
        if (consumed != data.Length)
        {
            throw new YjsFormatException($"{data.Length - consumed} unexpected bytes after the sync message", consumed);
        }

        return message;
    }

    /// <summary>Reads one sync message from the start of <paramref name="data"/>; <paramref name="consumed"/> tells its size.</summary>
    /// <exception cref="YjsFormatException">Truncated or unknown type.</exception>
    public static SyncMessage Read(ReadOnlyMemory<byte> data, out int consumed)
    {
        var r = new Lib0Reader(data.Span);
        ulong type = r.ReadVarUInt();
        if (type > (ulong)SyncMessageType.Update)
        {
            throw new YjsFormatException($"Unknown sync message type {type}", 0);
        }

        int length = r.ReadVarUIntAsLength();
        var payload = data.Slice(r.Position, length);
        consumed = r.Position + length;
        return new SyncMessage((SyncMessageType)type, payload);
    }

    /// <summary>Writes the message to <paramref name="writer"/>.</summary>
    public void WriteTo(Lib0Writer writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVarUInt((ulong)Type);
        writer.WriteVarUint8Array(Payload.Span);
    }

    /// <summary>The encoded message.</summary>
    public byte[] ToArray()
    {
        var w = new Lib0Writer(Payload.Length + 8);
        WriteTo(w);
        return w.ToArray();
    }

    /// <summary>Encodes a SyncStep1 message carrying <paramref name="stateVector"/>.</summary>
    public static byte[] EncodeSyncStep1(ReadOnlyMemory<byte> stateVector) =>
        new SyncMessage(SyncMessageType.SyncStep1, stateVector).ToArray();

    /// <summary>Encodes a SyncStep2 message carrying <paramref name="update"/>.</summary>
    public static byte[] EncodeSyncStep2(ReadOnlyMemory<byte> update) =>
        new SyncMessage(SyncMessageType.SyncStep2, update).ToArray();

    /// <summary>Encodes an Update message carrying <paramref name="update"/>.</summary>
    public static byte[] EncodeUpdate(ReadOnlyMemory<byte> update) =>
        new SyncMessage(SyncMessageType.Update, update).ToArray();
}
