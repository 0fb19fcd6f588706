using Collab.Client;
using Collab.Crdt.Encoding;

namespace Collab.LoadGenerator;

/// <summary>
/// A lightweight replica for load generation: it writes Yjs update v1 bytes for one client that types at the end of
/// its own run of text in the root Y.Text <c>content</c>, and deletes its own last characters. It ignores remote
/// updates (the server does the real integration), which keeps the generator's CPU for the connections.
/// </summary>
/// <remarks>
/// Each inserted item's origin is this client's previously inserted item, so every update integrates on any replica
/// whatever the other clients did. Not suitable for a resync after a lost connection.
/// </remarks>
internal sealed class TypistReplica(uint clientId, string textName = "content") : IDocumentReplica
{
    /// <summary>Set on the clock of a delete-only update's identity.</summary>
    public const ulong DeleteMark = 1UL << 63;

    private readonly Stack<(ulong Clock, int Length)> _alive = new(); // runs of our characters not deleted yet
    private ulong _clock;

    public event Action<byte[]>? LocalUpdate;

    public ulong ClientId { get; } = clientId;

    /// <summary>The clock the next inserted character will get (the first struct's clock of the next update).</summary>
    public ulong Clock => _clock;

    /// <summary>Inserts <paramref name="text"/> after our last inserted character; returns the update.</summary>
    public byte[] Insert(string text)
    {
        var writer = new Lib0Writer(16 + (text.Length * 3));
        writer.WriteVarUInt(1); // clients with structs
        writer.WriteVarUInt(1); // structs of this client
        writer.WriteVarUInt(ClientId);
        writer.WriteVarUInt(_clock);
        const byte stringContent = 4, hasOrigin = 0x80;
        if (_clock == 0)
        {
            writer.WriteByte(stringContent);
            writer.WriteVarUInt(1); // parent is a root type, named:
            writer.WriteVarString(textName);
        }
        else
        {
            writer.WriteByte(stringContent | hasOrigin);
            writer.WriteVarUInt(ClientId);
            writer.WriteVarUInt(_clock - 1);
        }

        writer.WriteVarString(text);
        writer.WriteVarUInt(0); // empty delete set
        _alive.Push((_clock, text.Length));
        _clock += (ulong)text.Length;
        return Emit(writer.ToArray());
    }

    /// <summary>Deletes up to <paramref name="count"/> of our last live characters; null when none are left.</summary>
    public byte[]? DeleteLast(int count)
    {
        if (_alive.Count == 0 || count <= 0)
        {
            return null;
        }

        var (clock, length) = _alive.Pop();
        int n = Math.Min(count, length);
        if (n < length)
        {
            _alive.Push((clock, length - n));
        }

        var writer = new Lib0Writer(24);
        writer.WriteVarUInt(0); // no structs
        writer.WriteVarUInt(1); // delete set: one client
        writer.WriteVarUInt(ClientId);
        writer.WriteVarUInt(1); // one range
        writer.WriteVarUInt(clock + (ulong)(length - n));
        writer.WriteVarUInt((ulong)n);
        return Emit(writer.ToArray());
    }

    public byte[] EncodeStateVector()
    {
        var writer = new Lib0Writer(16);
        writer.WriteVarUInt(_clock == 0 ? 0UL : 1UL);
        if (_clock > 0)
        {
            writer.WriteVarUInt(ClientId);
            writer.WriteVarUInt(_clock);
        }

        return writer.ToArray();
    }

    // Updates are sent as they are made and the generator opens documents before typing: nothing to resend.
    public byte[] EncodeStateAsUpdate(byte[] stateVector) => [0, 0];

    public void ApplyRemoteUpdate(byte[] update)
    {
    }

    private byte[] Emit(byte[] update)
    {
        LocalUpdate?.Invoke(update);
        return update;
    }

    /// <summary>
    /// Reads the (client, clock) that identifies an update: its first struct, or for a delete-only update its first
    /// deleted range with <see cref="DeleteMark"/> set on the clock (a deleted clock may equal an inserted one).
    /// False when the update carries neither.
    /// </summary>
    public static bool TryIdentify(ReadOnlySpan<byte> update, out ulong client, out ulong clock)
    {
        client = clock = 0;
        var reader = new Lib0Reader(update);
        if (reader.ReadVarUInt() > 0)
        {
            reader.ReadVarUInt(); // struct count
            client = reader.ReadVarUInt();
            clock = reader.ReadVarUInt();
            return true;
        }

        if (reader.ReadVarUInt() == 0)
        {
            return false;
        }

        client = reader.ReadVarUInt();
        reader.ReadVarUInt(); // range count
        clock = reader.ReadVarUInt() | DeleteMark;
        return true;
    }
}
