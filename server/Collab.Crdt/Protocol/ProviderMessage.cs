using Collab.Crdt.Encoding;

namespace Collab.Crdt.Protocol;

/// <summary>The outer message types of the y-websocket provider framing.</summary>
public enum ProviderMessageType
{
    /// <summary>A sync message follows (<see cref="SyncMessage"/>).</summary>
    Sync = 0,

    /// <summary>A varUint8Array with an awareness update follows.</summary>
    Awareness = 1,

    /// <summary>An auth message follows: varUint auth type (0 = permission denied), then a varString reason.</summary>
    Auth = 2,

    /// <summary>A request to send the full awareness state; nothing follows.</summary>
    QueryAwareness = 3,
}

/// <summary>
/// A message in the y-websocket provider framing: varUint type, then a type-specific body. <see cref="Body"/> is
/// a view into the bytes it was read from.
/// </summary>
/// <param name="Type">The outer type.</param>
/// <param name="Body">The bytes after the type.</param>
public readonly record struct ProviderMessage(ProviderMessageType Type, ReadOnlyMemory<byte> Body)
{
    /// <summary>The auth type y-protocols' auth module defines: permission denied.</summary>
    public const int PermissionDenied = 0;

    /// <summary>Reads the outer type; the body is checked by the accessor for that type.</summary>
    /// <exception cref="YjsFormatException">Empty input or an unknown type.</exception>
    public static ProviderMessage Read(ReadOnlyMemory<byte> data)
    {
        var r = new Lib0Reader(data.Span);
        ulong type = r.ReadVarUInt();
        if (type > (ulong)ProviderMessageType.QueryAwareness)
        {
            throw new YjsFormatException($"Unknown provider message type {type}", 0);
        }

        return new ProviderMessage((ProviderMessageType)type, data[r.Position..]);
    }

    /// <summary>The sync message of a <see cref="ProviderMessageType.Sync"/> message.</summary>
    public SyncMessage ReadSync()
    {
        Expect(ProviderMessageType.Sync);
        return SyncMessage.Read(Body);
    }

    /// <summary>The awareness update (its bytes, unparsed) of an <see cref="ProviderMessageType.Awareness"/> message.</summary>
    public ReadOnlyMemory<byte> ReadAwareness()
    {
        Expect(ProviderMessageType.Awareness);
        var r = new Lib0Reader(Body.Span);
        int length = r.ReadVarUIntAsLength();
        return Body.Slice(r.Position, length);
    }

    /// <summary>The auth type and reason of an <see cref="ProviderMessageType.Auth"/> message.</summary>
    public (int AuthType, string Reason) ReadAuth()
    {
        Expect(ProviderMessageType.Auth);
        var r = new Lib0Reader(Body.Span);
        ulong authType = r.ReadVarUInt();
        if (authType != PermissionDenied)
        {
            throw new YjsFormatException($"Unknown auth message type {authType}", 0);
        }

        return ((int)authType, r.ReadVarString());
    }

    private void Expect(ProviderMessageType type)
    {
        if (Type != type)
        {
            throw new InvalidOperationException($"This is a {Type} message, not {type}");
        }
    }

    /// <summary>Frames a sync message.</summary>
    public static byte[] EncodeSync(SyncMessage message)
    {
        var w = new Lib0Writer(message.Payload.Length + 8);
        w.WriteVarUInt((ulong)ProviderMessageType.Sync);
        message.WriteTo(w);
        return w.ToArray();
    }

    /// <summary>Frames an awareness update.</summary>
    public static byte[] EncodeAwareness(ReadOnlySpan<byte> awarenessUpdate)
    {
        var w = new Lib0Writer(awarenessUpdate.Length + 8);
        w.WriteVarUInt((ulong)ProviderMessageType.Awareness);
        w.WriteVarUint8Array(awarenessUpdate);
        return w.ToArray();
    }

    /// <summary>An auth message telling the peer its permission was denied, and why.</summary>
    public static byte[] EncodePermissionDenied(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var w = new Lib0Writer(reason.Length + 8);
        w.WriteVarUInt((ulong)ProviderMessageType.Auth);
        w.WriteVarUInt(PermissionDenied);
        w.WriteVarString(reason);
        return w.ToArray();
    }

    /// <summary>A request for the peer's full awareness state.</summary>
    public static byte[] EncodeQueryAwareness() => [(byte)ProviderMessageType.QueryAwareness];
}
