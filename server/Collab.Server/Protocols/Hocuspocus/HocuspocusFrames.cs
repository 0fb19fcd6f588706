using Collab.Crdt.Encoding;

namespace Collab.Server.Protocols.Hocuspocus;

/// <summary>
/// The Hocuspocus message layout (@hocuspocus/provider 4.x): <c>varString documentName</c>, <c>varUint type</c>, then
/// the body. Types: 0 sync (a y-protocols sync message), 1 awareness (varUint8Array), 2 auth (varUint 0 token + varString
/// token + varString version from the client; 1 permission denied + varString reason, 2 authenticated + varString
/// scope from the server), 3 query awareness, 5 stateless (varString), 7 close, 8 sync status (varInt 1 applied / 0
/// not), 9 ping and 10 pong (one byte, no name).
/// </summary>
internal static class HocuspocusFrames
{
    public const int Sync = 0;
    public const int Awareness = 1;
    public const int Auth = 2;
    public const int QueryAwareness = 3;
    public const int Stateless = 5;
    public const int Close = 7;
    public const int SyncStatus = 8;
    public const int Ping = 9;
    public const int Pong = 10;

    public const int AuthToken = 0;
    public const int AuthPermissionDenied = 1;
    public const int AuthAuthenticated = 2;

    public static byte[] SyncFrame(string name, ReadOnlySpan<byte> syncMessage) => Frame(name, Sync, syncMessage, raw: true);

    public static byte[] AwarenessFrame(string name, ReadOnlySpan<byte> update) => Frame(name, Awareness, update, raw: false);

    public static byte[] StatelessFrame(string name, string payload)
    {
        var w = Start(name, Stateless, payload.Length * 3);
        w.WriteVarString(payload);
        return w.ToArray();
    }

    public static byte[] PermissionDenied(string name, string reason) => AuthFrame(name, AuthPermissionDenied, reason);

    public static byte[] Authenticated(string name, string scope) => AuthFrame(name, AuthAuthenticated, scope);

    /// <summary>Whether the update (or SyncStep2) was applied and stored: the provider's unsynced-changes count goes down on true.</summary>
    public static byte[] SyncStatusFrame(string name, bool applied)
    {
        var w = Start(name, SyncStatus, 1);
        w.WriteVarInt(applied ? 1 : 0);
        return w.ToArray();
    }

    /// <summary>Tells the provider the server closed this document on the socket, and why.</summary>
    public static byte[] CloseFrame(string name, string reason)
    {
        var w = Start(name, Close, reason.Length * 3);
        w.WriteVarString(reason);
        return w.ToArray();
    }

    private static byte[] AuthFrame(string name, int authType, string text)
    {
        var w = Start(name, Auth, text.Length * 3 + 1);
        w.WriteVarUInt((ulong)authType);
        w.WriteVarString(text);
        return w.ToArray();
    }

    private static byte[] Frame(string name, int type, ReadOnlySpan<byte> body, bool raw)
    {
        var w = Start(name, type, body.Length + 5);
        if (raw) w.WriteBytes(body);
        else w.WriteVarUint8Array(body);
        return w.ToArray();
    }

    private static Lib0Writer Start(string name, int type, int bodySize)
    {
        var w = new Lib0Writer(name.Length * 3 + bodySize + 8);
        w.WriteVarString(name);
        w.WriteVarUInt((ulong)type);
        return w;
    }
}
