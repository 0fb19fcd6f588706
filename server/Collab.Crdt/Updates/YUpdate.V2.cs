using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// Converts an update in yjs's v2 format (<c>encodeStateAsUpdateV2</c>, the <c>updateV2</c> event) to v1, as
    /// yjs's <c>convertUpdateFormatV2ToV1</c> does, so that a v2 peer can be served by this v1 engine.
    /// </summary>
    /// <param name="update">The v2 update.</param>
    /// <param name="maxStructs">
    /// Upper bound on the structs converted. v2's run-length columns can describe millions of structs in a few
    /// bytes (legitimately, and with hostile counts without end), so the size of the input cannot bound the work.
    /// </param>
    /// <exception cref="YjsFormatException">The update is malformed or has more than <paramref name="maxStructs"/> structs.</exception>
    public static byte[] ConvertV2ToV1(byte[] update, int maxStructs = 10_000_000)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentOutOfRangeException.ThrowIfNegative(maxStructs);
        var main = new ByteStream(update, 0, update.Length);
        var d = new V2Decoder(main);
        var writer = new LazyStructWriter();

        long budget = maxStructs;
        ulong sections = main.ReadVarUInt();
        for (ulong i = 0; i < sections; i++)
        {
            ulong structs = main.ReadVarUInt();
            uint client = d.Client.Read32();
            ulong clock = main.ReadVarUInt32();
            for (ulong k = 0; k < structs; k++)
            {
                if (--budget < 0)
                {
                    throw main.Error($"More than {maxStructs} structs");
                }

                var s = ReadV2Struct(d, main, client, (uint)clock);
                clock += s.Length;
                if (clock > uint.MaxValue)
                {
                    throw main.Error($"Clock of client {client} exceeds 2^32");
                }

                writer.Write(s, 0);
            }
        }

        var output = new Lib0Writer((int)Math.Min(update.Length * 2L + 16, 1 << 24));
        writer.Finish(output);
        ReadV2DeleteSet(main).Write(output);
        return output.ToArray();
    }

    /// <summary>The column decoders of yjs's UpdateDecoderV2, in the order the update lists them.</summary>
    private sealed class V2Decoder
    {
        public V2Decoder(ByteStream main)
        {
            main.ReadVarUInt(); // feature flag, unused
            KeyClock = new IntDiffOptRleDecoder(main.ReadSubStream());
            Client = new UintOptRleDecoder(main.ReadSubStream());
            LeftClock = new IntDiffOptRleDecoder(main.ReadSubStream());
            RightClock = new IntDiffOptRleDecoder(main.ReadSubStream());
            Info = new ByteRleDecoder(main.ReadSubStream());
            Strings = new StringRleDecoder(main.ReadSubStream());
            ParentInfo = new ByteRleDecoder(main.ReadSubStream());
            TypeRef = new UintOptRleDecoder(main.ReadSubStream());
            Len = new UintOptRleDecoder(main.ReadSubStream());
        }

        public IntDiffOptRleDecoder KeyClock { get; }

        public UintOptRleDecoder Client { get; }

        public IntDiffOptRleDecoder LeftClock { get; }

        public IntDiffOptRleDecoder RightClock { get; }

        public ByteRleDecoder Info { get; }

        public StringRleDecoder Strings { get; }

        public ByteRleDecoder ParentInfo { get; }

        public UintOptRleDecoder TypeRef { get; }

        public UintOptRleDecoder Len { get; }

        public List<string> Keys { get; } = [];

        /// <summary>Map keys, format keys and XML names are written once and then referred to by number.</summary>
        public string ReadKey()
        {
            uint keyClock = KeyClock.Read32();
            if (keyClock < Keys.Count)
            {
                return Keys[(int)keyClock];
            }

            string key = Strings.Read();
            Keys.Add(key);
            return key;
        }
    }

    /// <summary>Reads one v2 struct and re-encodes what it needs (names, content) as v1 bytes in a small array.</summary>
    private static UpdateStruct ReadV2Struct(V2Decoder d, ByteStream main, uint client, uint clock)
    {
        var s = new UpdateStruct { Client = client, Clock = clock, Offset = main.Position };
        byte info = d.Info.Read();
        if (info == StructCodec.RefSkip)
        {
            s.Kind = StructKind.Skip;
            s.ContentRef = StructCodec.RefSkip;
            s.Length = main.ReadVarUInt32();
            s.Source = [];
            return s;
        }

        if ((info & 0x1F) == StructCodec.RefGc)
        {
            s.Kind = StructKind.Gc;
            s.Length = d.Len.Read32();
            s.Source = [];
            return s;
        }

        s.Kind = StructKind.Item;
        s.ContentRef = (byte)(info & 0x1F);
        var bytes = new Lib0Writer(64);
        if ((info & 0x80) != 0)
        {
            s.HasOrigin = true;
            s.OriginClient = d.Client.Read32();
            s.OriginClock = d.LeftClock.Read32();
        }

        if ((info & 0x40) != 0)
        {
            s.HasRightOrigin = true;
            s.RightOriginClient = d.Client.Read32();
            s.RightOriginClock = d.RightClock.Read32();
        }

        if (!s.HasOrigin && !s.HasRightOrigin)
        {
            if (d.ParentInfo.Read() == 1)
            {
                s.Parent = ParentKind.RootKey;
                (s.ParentKeyStart, s.ParentKeyLength) = AppendUtf8(bytes, d.Strings.Read());
            }
            else
            {
                s.Parent = ParentKind.ItemId;
                s.ParentClient = d.Client.Read32();
                s.ParentClock = d.LeftClock.Read32();
            }

            if ((info & 0x20) != 0)
            {
                s.HasParentSub = true;
                (s.ParentSubStart, s.ParentSubLength) = AppendUtf8(bytes, d.Strings.Read());
            }
        }

        s.ContentStart = bytes.Length;
        s.Length = WriteV1Content(d, main, s.ContentRef, bytes);
        s.ContentLength = bytes.Length - s.ContentStart;
        s.Source = bytes.ToArray();
        return s;
    }

    private static (int Start, int Length) AppendUtf8(Lib0Writer w, string text)
    {
        int start = w.Length;
        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        w.WriteBytes(utf8);
        return (start, utf8.Length);
    }

    /// <summary>Reads item content from the v2 columns and writes it in v1 form; returns its length in clocks.</summary>
    private static uint WriteV1Content(V2Decoder d, ByteStream main, int contentRef, Lib0Writer w)
    {
        switch (contentRef)
        {
            case StructCodec.RefDeleted:
                {
                    uint len = d.Len.Read32();
                    w.WriteVarUInt(len);
                    return len;
                }

            case StructCodec.RefJson:
                {
                    uint count = d.Len.Read32();
                    w.WriteVarUInt(count);
                    for (uint i = 0; i < count; i++)
                    {
                        string text = d.Strings.Read();
                        var utf8 = System.Text.Encoding.UTF8.GetBytes(text);
                        if (text != "undefined")
                        {
                            JsonText.Validate(utf8, main.Position);
                        }

                        w.WriteVarUint8Array(utf8);
                    }

                    return count;
                }

            case StructCodec.RefBinary:
                {
                    var (start, length) = main.ReadVarUint8Array();
                    w.WriteVarUint8Array(main.Data.AsSpan(start, length));
                    return 1;
                }

            case StructCodec.RefString:
                {
                    string text = d.Strings.Read();
                    w.WriteVarString(text);
                    return (uint)text.Length;
                }

            case StructCodec.RefEmbed:
                w.WriteVarString(AnyAsJson(main));
                return 1;
            case StructCodec.RefFormat:
                w.WriteVarString(d.ReadKey());
                w.WriteVarString(AnyAsJson(main));
                return 1;
            case StructCodec.RefType:
                {
                    ulong typeRef = d.TypeRef.Read();
                    if (typeRef > 6)
                    {
                        throw main.Error($"Unknown type ref {typeRef}");
                    }

                    w.WriteVarUInt(typeRef);
                    if (typeRef is 3 or 5)
                    {
                        w.WriteVarString(d.ReadKey());
                    }

                    return 1;
                }

            case StructCodec.RefAny:
                {
                    uint count = d.Len.Read32();
                    w.WriteVarUInt(count);
                    for (uint i = 0; i < count; i++)
                    {
                        var (start, length) = main.SkipAny();
                        w.WriteBytes(main.Data.AsSpan(start, length));
                    }

                    return count;
                }

            case StructCodec.RefDoc:
                {
                    w.WriteVarString(d.Strings.Read());
                    var (start, length) = main.SkipAny();
                    w.WriteBytes(main.Data.AsSpan(start, length));
                    return 1;
                }

            default:
                throw main.Error($"Unknown content ref {contentRef}");
        }
    }

    /// <summary>v2 stores embeds and format values as <c>any</c>; v1 as JSON text (<c>JSON.stringify</c>).</summary>
    private static string AnyAsJson(ByteStream main)
    {
        long at = main.Position;
        string? json;
        try
        {
            json = JsJson.Stringify(main.ReadAny());
        }
        catch (ArgumentException e)
        {
            // JSON.stringify throws too (a BigInt, say); yjs would fail converting this update.
            throw new YjsFormatException($"Value cannot be written as JSON: {e.Message}", at);
        }

        return json ?? throw new YjsFormatException("An undefined value cannot be written as JSON", at);
    }

    /// <summary>The v2 delete set: clocks and lengths as differences (lengths minus one) per client.</summary>
    private static DeleteSet ReadV2DeleteSet(ByteStream main)
    {
        var ds = new DeleteSet();
        ulong clients = main.ReadVarUInt();
        for (ulong i = 0; i < clients; i++)
        {
            uint client = main.ReadVarUInt32();
            ulong ranges = main.ReadVarUInt();
            ulong current = 0;
            for (ulong k = 0; k < ranges; k++)
            {
                long at = main.Position;
                current += main.ReadVarUInt();
                ulong clock = current;
                ulong len = main.ReadVarUInt() + 1;
                current += len;
                if (current > uint.MaxValue)
                {
                    throw new YjsFormatException($"Deleted range of client {client} exceeds clock 2^32", at);
                }

                ds.Add(client, (uint)clock, (uint)len);
            }
        }

        return ds;
    }
}
