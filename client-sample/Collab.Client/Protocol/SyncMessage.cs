using Collab.Crdt.Encoding;

namespace Collab.Client.Protocol;

/// <summary>The three y-protocols sync message kinds (the first varuint of a sync message).</summary>
public enum SyncMessageType
{
    /// <summary>"Here is my state vector": the receiver answers with what the sender lacks.</summary>
    SyncStep1 = 0,

    /// <summary>"Here is what you lack": an update computed against the other side's state vector.</summary>
    SyncStep2 = 1,

    /// <summary>One local change.</summary>
    Update = 2,
}

/// <summary>Encodes and decodes one y-protocols sync message: varuint type, then varUint8Array payload.</summary>
internal static class SyncMessage
{
    public static byte[] Encode(SyncMessageType type, ReadOnlySpan<byte> payload)
    {
        var writer = new Lib0Writer(payload.Length + 8);
        writer.WriteVarUInt((ulong)type);
        writer.WriteVarUint8Array(payload);
        return writer.ToArray();
    }

    /// <summary>Reads a message; throws <see cref="Collab.Crdt.YjsFormatException"/> when it is malformed.</summary>
    public static (SyncMessageType Type, byte[] Payload) Decode(ReadOnlySpan<byte> message)
    {
        var reader = new Lib0Reader(message);
        ulong type = reader.ReadVarUInt();
        if (type > (ulong)SyncMessageType.Update)
        {
            throw reader.Error($"unknown sync message type {type}");
        }

        return ((SyncMessageType)type, reader.ReadVarUint8Array().ToArray());
    }
}
