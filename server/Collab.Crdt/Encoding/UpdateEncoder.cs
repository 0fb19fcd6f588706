using Collab.Crdt.Structs;

namespace Collab.Crdt.Encoding;

/// <summary>Field writers of an update format (yjs UpdateEncoderV1/V2); structs and delete sets write through these.</summary>
internal abstract class UpdateEncoder
{
    protected UpdateEncoder(Lib0Writer? rest)
    {
        Rest = rest ?? new Lib0Writer();
    }

    /// <summary>The stream for everything without a dedicated column (counts, clocks, any values, buffers).</summary>
    public Lib0Writer Rest { get; private set; }

    /// <summary>Replaces the rest stream (the lazy struct writer collects rest parts per client).</summary>
    public void SetRest(Lib0Writer rest) => Rest = rest;

    public abstract void WriteLeftId(ItemId id);

    public abstract void WriteRightId(ItemId id);

    public abstract void WriteClient(uint client);

    public abstract void WriteInfo(byte info);

    public abstract void WriteString(ReadOnlySpan<char> s);

    public void WriteString(string s) => WriteString(s.AsSpan());

    public abstract void WriteParentInfo(bool isYKey);

    public abstract void WriteTypeRef(uint typeRef);

    public abstract void WriteLen(ulong len);

    public void WriteAny(object? value) => Rest.WriteAny(value);

    public void WriteBuf(ReadOnlySpan<byte> buf) => Rest.WriteVarUint8Array(buf);

    public abstract void WriteJson(object? value);

    public abstract void WriteKey(string key);

    public abstract void ResetDsCurVal();

    public abstract void WriteDsClock(uint clock);

    public abstract void WriteDsLen(uint len);

    public abstract byte[] ToArray();

    /// <summary>A fresh encoder of the same format (used by the lazy struct writer of merges).</summary>
    public abstract UpdateEncoder CreateEmpty();
}

/// <summary>Update format v1: one lib0 stream.</summary>
internal sealed class UpdateEncoderV1 : UpdateEncoder
{
    public UpdateEncoderV1(Lib0Writer? writer = null)
        : base(writer)
    {
    }

    public void WriteId(ItemId id)
    {
        Rest.WriteVarUInt(id.Client);
        Rest.WriteVarUInt(id.Clock);
    }

    public override void WriteLeftId(ItemId id) => WriteId(id);

    public override void WriteRightId(ItemId id) => WriteId(id);

    public override void WriteClient(uint client) => Rest.WriteVarUInt(client);

    public override void WriteInfo(byte info) => Rest.WriteByte(info);

    public override void WriteString(ReadOnlySpan<char> s) => Rest.WriteVarString(s);

    public override void WriteParentInfo(bool isYKey) => Rest.WriteVarUInt(isYKey ? 1UL : 0UL);

    public override void WriteTypeRef(uint typeRef) => Rest.WriteVarUInt(typeRef);

    public override void WriteLen(ulong len) => Rest.WriteVarUInt(len);

    public override void WriteJson(object? value) => Rest.WriteVarString(JsJson.StringifyForEncoding(value));

    public override void WriteKey(string key) => Rest.WriteVarString(key);

    public override void ResetDsCurVal()
    {
    }

    public override void WriteDsClock(uint clock) => Rest.WriteVarUInt(clock);

    public override void WriteDsLen(uint len) => Rest.WriteVarUInt(len);

    public override byte[] ToArray() => Rest.ToArray();

    public override UpdateEncoder CreateEmpty() => new UpdateEncoderV1();
}

/// <summary>
/// Update format v2: columns (key clocks, clients, left/right clocks, info, strings, parent info, type refs, lengths)
/// encoded with lib0's RLE encoders, then the rest stream appended (yjs UpdateEncoderV2).
/// </summary>
internal sealed class UpdateEncoderV2 : UpdateEncoder
{
    private readonly IntDiffOptRleEncoder _keyClock = new();
    private readonly UintOptRleEncoder _client = new();
    private readonly IntDiffOptRleEncoder _leftClock = new();
    private readonly IntDiffOptRleEncoder _rightClock = new();
    private readonly RleByteEncoder _info = new();
    private readonly StringEncoder _string = new();
    private readonly RleByteEncoder _parentInfo = new();
    private readonly UintOptRleEncoder _typeRef = new();
    private readonly UintOptRleEncoder _len = new();
    private long _keyClockValue;
    private long _dsCurrVal;

    public UpdateEncoderV2()
        : base(null)
    {
    }

    public override void WriteLeftId(ItemId id)
    {
        _client.Write(id.Client);
        _leftClock.Write(id.Clock);
    }

    public override void WriteRightId(ItemId id)
    {
        _client.Write(id.Client);
        _rightClock.Write(id.Clock);
    }

    public override void WriteClient(uint client) => _client.Write(client);

    public override void WriteInfo(byte info) => _info.Write(info);

    public override void WriteString(ReadOnlySpan<char> s) => _string.Write(s);

    public override void WriteParentInfo(bool isYKey) => _parentInfo.Write(isYKey ? (byte)1 : (byte)0);

    public override void WriteTypeRef(uint typeRef) => _typeRef.Write(typeRef);

    public override void WriteLen(ulong len) => _len.Write((long)len);

    public override void WriteJson(object? value) => Rest.WriteAny(value);

    public override void WriteKey(string key)
    {
        // yjs never reuses keys (its key cache is commented out): every key gets the next clock and is written
        _keyClock.Write(_keyClockValue++);
        _string.Write(key);
    }

    public override void ResetDsCurVal() => _dsCurrVal = 0;

    public override void WriteDsClock(uint clock)
    {
        long diff = clock - _dsCurrVal;
        _dsCurrVal = clock;
        Rest.WriteVarUInt((ulong)diff);
    }

    public override void WriteDsLen(uint len)
    {
        if (len == 0)
        {
            throw new InvalidOperationException("Delete range of length 0");
        }

        Rest.WriteVarUInt(len - 1);
        _dsCurrVal += len;
    }

    public override byte[] ToArray()
    {
        var w = new Lib0Writer(Rest.Length + 64);
        w.WriteVarUInt(0); // feature flag
        w.WriteVarUint8Array(_keyClock.ToArray());
        w.WriteVarUint8Array(_client.ToArray());
        w.WriteVarUint8Array(_leftClock.ToArray());
        w.WriteVarUint8Array(_rightClock.ToArray());
        w.WriteVarUint8Array(_info.ToArray());
        w.WriteVarUint8Array(_string.ToArray());
        w.WriteVarUint8Array(_parentInfo.ToArray());
        w.WriteVarUint8Array(_typeRef.ToArray());
        w.WriteVarUint8Array(_len.ToArray());
        w.WriteBytes(Rest.WrittenSpan);
        return w.ToArray();
    }

    public override UpdateEncoder CreateEmpty() => new UpdateEncoderV2();
}
