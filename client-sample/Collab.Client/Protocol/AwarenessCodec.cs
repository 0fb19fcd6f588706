using Collab.Crdt.Encoding;

namespace Collab.Client.Protocol;

/// <summary>One client's entry in a y-protocols awareness update; <see cref="StateJson"/> null means "gone".</summary>
public readonly record struct AwarenessEntry(ulong ClientId, ulong Clock, string? StateJson);

/// <summary>
/// The y-protocols awareness update layout: varuint count, then per client varuint id, varuint clock and a varString
/// holding the JSON state (the text <c>null</c> for a removed client).
/// </summary>
public static class AwarenessCodec
{
    /// <summary>Encodes entries as one awareness update.</summary>
    public static byte[] Encode(IReadOnlyList<AwarenessEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var writer = new Lib0Writer(64);
        writer.WriteVarUInt((ulong)entries.Count);
        foreach (var entry in entries)
        {
            writer.WriteVarUInt(entry.ClientId);
            writer.WriteVarUInt(entry.Clock);
            writer.WriteVarString(entry.StateJson ?? "null");
        }

        return writer.ToArray();
    }

    /// <summary>Decodes an awareness update; throws <see cref="Collab.Crdt.YjsFormatException"/> if malformed.</summary>
    public static IReadOnlyList<AwarenessEntry> Decode(ReadOnlySpan<byte> update)
    {
        var reader = new Lib0Reader(update);
        int count = reader.ReadVarUIntAsLength(minBytesPerItem: 3);
        var entries = new List<AwarenessEntry>(count);
        for (int i = 0; i < count; i++)
        {
            ulong client = reader.ReadVarUInt();
            ulong clock = reader.ReadVarUInt();
            string json = reader.ReadVarString();
            entries.Add(new AwarenessEntry(client, clock, json == "null" ? null : json));
        }

        return entries;
    }
}
