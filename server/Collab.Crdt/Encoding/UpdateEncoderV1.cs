using Collab.Crdt.Structs;

namespace Collab.Crdt.Encoding;

/// <summary>Update format v1 field writers (yjs UpdateEncoderV1): everything goes to one lib0 stream.</summary>
internal sealed class UpdateEncoderV1
{
    public UpdateEncoderV1(Lib0Writer? writer = null)
    {
        Rest = writer ?? new Lib0Writer();
    }

    public Lib0Writer Rest { get; }

    public void WriteId(ItemId id)
    {
        Rest.WriteVarUInt(id.Client);
        Rest.WriteVarUInt(id.Clock);
    }

    public void WriteClient(uint client) => Rest.WriteVarUInt(client);

    public void WriteInfo(byte info) => Rest.WriteByte(info);

    public void WriteString(string s) => Rest.WriteVarString(s);

    public void WriteParentInfo(bool isYKey) => Rest.WriteVarUInt(isYKey ? 1UL : 0UL);

    public void WriteTypeRef(uint typeRef) => Rest.WriteVarUInt(typeRef);

    public void WriteLen(ulong len) => Rest.WriteVarUInt(len);

    public void WriteAny(object? value) => Rest.WriteAny(value);

    public void WriteBuf(ReadOnlySpan<byte> buf) => Rest.WriteVarUint8Array(buf);

    public void WriteJson(object? value) => Rest.WriteVarString(JsJson.Stringify(value) ?? "undefined");

    public void WriteKey(string key) => Rest.WriteVarString(key);

    public byte[] ToArray() => Rest.ToArray();
}
