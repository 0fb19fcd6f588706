using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt.Protocol;

/// <summary>One client's entry in an awareness update.</summary>
/// <param name="ClientId">The yjs client id the state belongs to.</param>
/// <param name="Clock">The client's awareness clock; a newer clock wins.</param>
/// <param name="StateJson">The state as JSON text; the text <c>null</c> removes the client.</param>
public readonly record struct AwarenessEntry(uint ClientId, ulong Clock, string StateJson)
{
    /// <summary>Whether this entry removes the client (its state is JSON <c>null</c>).</summary>
    public bool IsRemoval => JsonText.IsNull(System.Text.Encoding.UTF8.GetBytes(StateJson));
}

/// <summary>
/// The y-protocols awareness update codec: varUint count, then per client varUint client id, varUint clock and a
/// varString with the JSON state. For a relay: <see cref="Validate"/> checks an update without allocating,
/// <see cref="Read"/> says which clients it speaks for, <see cref="EncodeRemoval"/> writes what to broadcast when a
/// connection that owned some clients goes away.
/// </summary>
public static class AwarenessUpdate
{
    /// <summary>Throws <see cref="YjsFormatException"/> unless the bytes are exactly one well-formed awareness update.</summary>
    public static void Validate(ReadOnlySpan<byte> update)
    {
        var r = new Lib0Reader(update);
        int count = r.ReadVarUIntAsLength(3); // id, clock, string length: a byte each at least
        for (int i = 0; i < count; i++)
        {
            r.ReadVarUInt32();
            r.ReadVarUInt();
            ReadStateUtf8(ref r);
        }

        ExpectEnd(ref r);
    }

    /// <summary>Decodes an awareness update.</summary>
    /// <exception cref="YjsFormatException">Malformed input, including invalid JSON.</exception>
    public static List<AwarenessEntry> Read(ReadOnlySpan<byte> update)
    {
        var r = new Lib0Reader(update);
        int count = r.ReadVarUIntAsLength(3);
        var entries = new List<AwarenessEntry>(count);
        for (int i = 0; i < count; i++)
        {
            uint client = r.ReadVarUInt32();
            ulong clock = r.ReadVarUInt();
            var state = ReadStateUtf8(ref r);
            entries.Add(new AwarenessEntry(client, clock, System.Text.Encoding.UTF8.GetString(state)));
        }

        ExpectEnd(ref r);
        return entries;
    }

    /// <summary>Encodes entries as an awareness update.</summary>
    public static byte[] Write(IEnumerable<AwarenessEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries as IReadOnlyCollection<AwarenessEntry> ?? entries.ToList();
        var w = new Lib0Writer(16 + (list.Count * 32));
        w.WriteVarUInt((ulong)list.Count);
        foreach (var e in list)
        {
            w.WriteVarUInt(e.ClientId);
            w.WriteVarUInt(e.Clock);
            w.WriteVarString(e.StateJson);
        }

        return w.ToArray();
    }

    /// <summary>
    /// The update that removes <paramref name="lastClocks"/>' clients for everyone: each with a <c>null</c> state and
    /// its last seen clock + 1, so every peer applies it (a newer clock always wins).
    /// </summary>
    public static byte[] EncodeRemoval(IEnumerable<KeyValuePair<uint, ulong>> lastClocks)
    {
        ArgumentNullException.ThrowIfNull(lastClocks);
        return Write(lastClocks.Select(static kv => new AwarenessEntry(kv.Key, kv.Value + 1, "null")));
    }

    private static ReadOnlySpan<byte> ReadStateUtf8(ref Lib0Reader r)
    {
        long at = r.Offset;
        var state = r.ReadVarUint8Array();
        if (!System.Text.Unicode.Utf8.IsValid(state))
        {
            throw new YjsFormatException("Invalid UTF-8 in awareness state", at);
        }

        JsonText.Validate(state, at);
        return state;
    }

    private static void ExpectEnd(ref Lib0Reader r)
    {
        if (r.HasMore)
        {
            throw r.Error($"{r.Remaining} unexpected bytes after the awareness update");
        }
    }
}
