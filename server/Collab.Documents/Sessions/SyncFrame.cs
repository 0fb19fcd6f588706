using Collab.Crdt;
using Collab.Crdt.Encoding;

namespace Collab.Documents.Sessions;

/// <summary>The three y-protocols sync message types.</summary>
public enum SyncMessageType
{
    /// <summary>A state vector: "here is what I have".</summary>
    SyncStep1 = 0,

    /// <summary>An update answering a SyncStep1: "here is what you lack".</summary>
    SyncStep2 = 1,

    /// <summary>An incremental update.</summary>
    Update = 2,
}

/// <summary>One decoded y-protocols sync message: its type and its payload (state vector or update).</summary>
public readonly record struct SyncFrame(SyncMessageType Type, byte[] Payload)
{
    /// <summary>
    /// Decodes exactly one sync message. Throws <see cref="YjsFormatException"/> for an unknown type, a truncated
    /// payload, or trailing bytes (one invocation carries one message).
    /// </summary>
    public static SyncFrame Decode(ReadOnlySpan<byte> message)
    {
        var reader = new Lib0Reader(message);
        var type = reader.ReadVarUInt();
        if (type > (ulong)SyncMessageType.Update) throw reader.Error($"Unknown sync message type {type} (expected 0, 1 or 2)");
        var payload = reader.ReadVarUint8Array().ToArray();
        if (reader.HasMore) throw reader.Error($"{reader.Remaining} unexpected bytes after the sync message");
        return new SyncFrame((SyncMessageType)type, payload);
    }

    /// <summary>Encodes a sync message of the given type around <paramref name="payload"/>.</summary>
    public static byte[] Encode(SyncMessageType type, ReadOnlySpan<byte> payload)
    {
        var writer = new Lib0Writer(payload.Length + 6);
        writer.WriteVarUInt((ulong)type);
        writer.WriteVarUint8Array(payload);
        return writer.ToArray();
    }
}
