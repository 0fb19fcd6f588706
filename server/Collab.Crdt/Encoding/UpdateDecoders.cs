using Collab.Crdt.Structs;

namespace Collab.Crdt.Encoding;

/// <summary>
/// Field readers of an update format (yjs UpdateDecoderV1/V2). Struct and delete-set reading is generic over this
/// interface, so the v1 reader (a ref struct over a span) is used without virtual calls.
/// </summary>
internal interface IUpdateReader
{
    long Offset { get; }

    byte ReadInfo();

    ItemId ReadLeftId();

    ItemId ReadRightId();

    uint ReadClient();

    bool ReadParentInfo();

    string ReadString();

    uint ReadTypeRef();

    ulong ReadLen();

    object? ReadAny();

    byte[] ReadBuf();

    object? ReadJson();

    string ReadKey();

    /// <summary>A varUint from the rest stream (counts and start clocks).</summary>
    ulong ReadRestVarUInt();

    /// <summary>A 32-bit varUint from the rest stream.</summary>
    uint ReadRestVarUInt32();

    /// <summary>A count of items each taking at least <paramref name="minBytes"/> bytes of the whole input.</summary>
    int ReadCount(int minBytes);

    void ResetDsCurVal();

    uint ReadDsClock();

    uint ReadDsLen();
}

/// <summary>Update format v1 reader: everything in one lib0 stream.</summary>
internal ref struct UpdateReaderV1 : IUpdateReader
{
    public Lib0Reader R;

    public UpdateReaderV1(ReadOnlySpan<byte> data)
    {
        R = new Lib0Reader(data);
    }

    public readonly long Offset => R.Offset;

    public byte ReadInfo() => R.ReadByte();

    public ItemId ReadLeftId() => new(R.ReadVarUInt32(), R.ReadVarUInt32());

    public ItemId ReadRightId() => new(R.ReadVarUInt32(), R.ReadVarUInt32());

    public uint ReadClient() => R.ReadVarUInt32();

    public bool ReadParentInfo() => R.ReadVarUInt() == 1;

    public string ReadString() => R.ReadVarString();

    public uint ReadTypeRef() => R.ReadVarUInt32();

    public ulong ReadLen() => R.ReadVarUInt();

    public object? ReadAny() => R.ReadAny();

    public byte[] ReadBuf() => R.ReadVarUint8Array().ToArray();

    public object? ReadJson()
    {
        long off = R.Offset;
        var text = R.ReadVarString();
        try
        {
            return JsJson.Parse(text);
        }
        catch (YjsFormatException e)
        {
            throw new YjsFormatException(e.Message, off);
        }
    }

    public string ReadKey() => R.ReadVarString();

    public ulong ReadRestVarUInt() => R.ReadVarUInt();

    public uint ReadRestVarUInt32() => R.ReadVarUInt32();

    public int ReadCount(int minBytes) => R.ReadVarUIntAsLength(minBytes);

    public readonly void ResetDsCurVal()
    {
    }

    public uint ReadDsClock() => R.ReadVarUInt32();

    public uint ReadDsLen() => R.ReadVarUInt32();
}

/// <summary>Update format v2 reader: column decoders plus the rest stream (yjs UpdateDecoderV2).</summary>
internal sealed class UpdateReaderV2 : IUpdateReader
{
    private readonly byte[] _data;
    private readonly IntDiffOptRleDecoder _keyClock;
    private readonly UintOptRleDecoder _client;
    private readonly IntDiffOptRleDecoder _leftClock;
    private readonly IntDiffOptRleDecoder _rightClock;
    private readonly RleByteDecoder _info;
    private readonly StringDecoder _string;
    private readonly RleByteDecoder _parentInfo;
    private readonly UintOptRleDecoder _typeRef;
    private readonly UintOptRleDecoder _len;
    private readonly List<string> _keys = new();
    private int _restPos;
    private long _dsCurrVal;
    private long _budget;

    /// <summary>Values (structs, strings) any v2 update may produce on top of 8 per byte of input.</summary>
    internal const long FreeValues = 1 << 20;

    public UpdateReaderV2(byte[] data)
    {
        _data = data;
        var r = new Lib0Reader(data);
        r.ReadVarUInt(); // feature flag, unused
        byte[] Column(ref Lib0Reader reader, out long offset)
        {
            offset = reader.Offset;
            return reader.ReadVarUint8Array().ToArray();
        }

        _keyClock = new IntDiffOptRleDecoder(Column(ref r, out long o1), o1);
        _client = new UintOptRleDecoder(Column(ref r, out long o2), o2);
        _leftClock = new IntDiffOptRleDecoder(Column(ref r, out long o3), o3);
        _rightClock = new IntDiffOptRleDecoder(Column(ref r, out long o4), o4);
        _info = new RleByteDecoder(Column(ref r, out long o5), o5);
        _string = new StringDecoder(Column(ref r, out long o6), o6);
        _parentInfo = new RleByteDecoder(Column(ref r, out long o7), o7);
        _typeRef = new UintOptRleDecoder(Column(ref r, out long o8), o8);
        _len = new UintOptRleDecoder(Column(ref r, out long o9), o9);
        _restPos = r.Position;

        // Columns are run-length encoded, so a few bytes can claim any number of values: cap what one update may
        // produce. Legit updates compress well too (a run of deleted items typed backwards costs almost nothing per
        // item), so beyond 8 values per input byte a fixed allowance bounds the work and allocation of a tiny update.
        _budget = (8L * data.Length) + FreeValues;
    }

    public long Offset => _restPos;

    private Lib0Reader Rest() => new(_data.AsSpan(_restPos), _restPos);

    private void Spend()
    {
        if (--_budget < 0)
        {
            throw new YjsFormatException("Update claims more values than its size allows", _restPos);
        }
    }

    private uint U32(long v)
    {
        if (v < 0 || v > uint.MaxValue)
        {
            throw new YjsFormatException($"Value {v} out of range", _restPos);
        }

        return (uint)v;
    }

    public byte ReadInfo()
    {
        Spend();
        return _info.Read();
    }

    public ItemId ReadLeftId() => new(U32(_client.Read()), U32(_leftClock.Read()));

    public ItemId ReadRightId() => new(U32(_client.Read()), U32(_rightClock.Read()));

    public uint ReadClient() => U32(_client.Read());

    public bool ReadParentInfo() => _parentInfo.Read() == 1;

    public string ReadString()
    {
        Spend();
        return _string.Read();
    }

    public uint ReadTypeRef() => U32(_typeRef.Read());

    public ulong ReadLen()
    {
        long v = _len.Read();
        if (v < 0)
        {
            throw new YjsFormatException("Negative length", _restPos);
        }

        return (ulong)v;
    }

    public object? ReadAny()
    {
        var r = Rest();
        var v = r.ReadAny();
        _restPos += r.Position;
        return v;
    }

    public byte[] ReadBuf()
    {
        var r = Rest();
        var v = r.ReadVarUint8Array().ToArray();
        _restPos += r.Position;
        return v;
    }

    public object? ReadJson() => ReadAny();

    public string ReadKey()
    {
        long keyClock = _keyClock.Read();
        if (keyClock >= 0 && keyClock < _keys.Count)
        {
            return _keys[(int)keyClock];
        }

        var key = ReadString();
        _keys.Add(key);
        return key;
    }

    public ulong ReadRestVarUInt()
    {
        var r = Rest();
        var v = r.ReadVarUInt();
        _restPos += r.Position;
        return v;
    }

    public uint ReadRestVarUInt32()
    {
        var r = Rest();
        var v = r.ReadVarUInt32();
        _restPos += r.Position;
        return v;
    }

    public int ReadCount(int minBytes)
    {
        var r = Rest();
        ulong v = r.ReadVarUInt();
        if (v > (ulong)Math.Max(_budget, 0) || v > int.MaxValue)
        {
            throw new YjsFormatException($"Claimed count {v} exceeds what the update can hold", _restPos);
        }

        _restPos += r.Position;
        return (int)v;
    }

    public void ResetDsCurVal() => _dsCurrVal = 0;

    public uint ReadDsClock()
    {
        _dsCurrVal += (long)ReadRestVarUInt();
        return U32(_dsCurrVal);
    }

    public uint ReadDsLen()
    {
        long diff = (long)ReadRestVarUInt() + 1;
        _dsCurrVal += diff;
        return U32(diff);
    }
}
