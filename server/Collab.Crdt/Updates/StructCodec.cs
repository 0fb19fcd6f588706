using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>
/// Reads and writes single structs of a v1 update as byte slices. Reading validates everything yjs would reject
/// (bad UTF-8, bad JSON, unknown refs, bad <c>any</c> values) so that merge and diff fail where yjs fails; writing
/// re-derives the header like yjs's <c>Item.write</c> and copies or cuts the content bytes.
/// </summary>
internal static class StructCodec
{
    public const byte RefGc = 0;
    public const byte RefDeleted = 1;
    public const byte RefJson = 2;
    public const byte RefBinary = 3;
    public const byte RefString = 4;
    public const byte RefEmbed = 5;
    public const byte RefFormat = 6;
    public const byte RefType = 7;
    public const byte RefAny = 8;
    public const byte RefDoc = 9;
    public const byte RefSkip = 10;

    private const byte HasOriginBit = 0x80;
    private const byte HasRightOriginBit = 0x40;
    private const byte HasParentSubBit = 0x20;
    private const byte ContentRefMask = 0x1F;

    /// <summary>Largest type ref yjs knows (YXmlText).</summary>
    private const ulong MaxTypeRef = 6;

    /// <summary>
    /// Reads one struct at the reader's position into <paramref name="s"/> (client and clock already set).
    /// <paramref name="baseAbs"/> is the absolute position of the reader's start.
    /// </summary>
    public static void ReadStruct(ref Lib0Reader r, int baseAbs, ref UpdateStruct s)
    {
        byte info = r.ReadByte();
        int cref = info & ContentRefMask;

        // As in yjs's lazy reader, a Skip is exactly the info byte 10; ref 10 with flags is not item content.
        if (cref == RefGc || info == RefSkip)
        {
            s.Kind = cref == RefGc ? StructKind.Gc : StructKind.Skip;
            s.ContentRef = (byte)cref;
            s.Length = r.ReadVarUInt32();
            return;
        }

        s.Kind = StructKind.Item;
        s.ContentRef = (byte)cref;
        if ((info & HasOriginBit) != 0)
        {
            s.HasOrigin = true;
            s.OriginClient = r.ReadVarUInt32();
            s.OriginClock = r.ReadVarUInt32();
        }

        if ((info & HasRightOriginBit) != 0)
        {
            s.HasRightOrigin = true;
            s.RightOriginClient = r.ReadVarUInt32();
            s.RightOriginClock = r.ReadVarUInt32();
        }

        if (!s.HasOrigin && !s.HasRightOrigin)
        {
            // yjs reads "parent info == 1" as a root name and anything else as a parent id.
            if (r.ReadVarUInt() == 1)
            {
                s.Parent = ParentKind.RootKey;
                ReadUtf8(ref r, baseAbs, out s.ParentKeyStart, out s.ParentKeyLength);
            }
            else
            {
                s.Parent = ParentKind.ItemId;
                s.ParentClient = r.ReadVarUInt32();
                s.ParentClock = r.ReadVarUInt32();
            }

            if ((info & HasParentSubBit) != 0)
            {
                s.HasParentSub = true;
                ReadUtf8(ref r, baseAbs, out s.ParentSubStart, out s.ParentSubLength);
            }
        }

        int contentStart = r.Position;
        s.Length = ReadContent(ref r, cref);
        s.ContentStart = baseAbs + contentStart;
        s.ContentLength = r.Position - contentStart;
    }

    /// <summary>Validates one item content and returns its length in clock units.</summary>
    private static uint ReadContent(ref Lib0Reader r, int cref)
    {
        switch (cref)
        {
            case RefDeleted:
                return r.ReadVarUInt32();
            case RefJson:
                {
                    int count = r.ReadVarUIntAsLength(1);
                    for (int i = 0; i < count; i++)
                    {
                        long at = r.Offset;
                        var text = r.ReadVarUint8Array();
                        if (!text.SequenceEqual("undefined"u8))
                        {
                            JsonText.Validate(text, at);
                        }
                    }

                    return (uint)count;
                }

            case RefBinary:
                r.ReadVarUint8Array();
                return 1;
            case RefString:
                {
                    long at = r.Offset;
                    var utf8 = r.ReadVarUint8Array();
                    if (!System.Text.Unicode.Utf8.IsValid(utf8))
                    {
                        throw new YjsFormatException("Invalid UTF-8 in string content", at);
                    }

                    return (uint)System.Text.Encoding.UTF8.GetCharCount(utf8);
                }

            case RefEmbed:
                ReadJsonString(ref r);
                return 1;
            case RefFormat:
                SkipString(ref r);
                ReadJsonString(ref r);
                return 1;
            case RefType:
                {
                    long at = r.Offset;
                    ulong typeRef = r.ReadVarUInt();
                    if (typeRef > MaxTypeRef)
                    {
                        throw new YjsFormatException($"Unknown type ref {typeRef}", at);
                    }

                    if (typeRef is 3 or 5)
                    {
                        SkipString(ref r); // node name of YXmlElement, hook name of YXmlHook
                    }

                    return 1;
                }

            case RefAny:
                {
                    int count = r.ReadVarUIntAsLength(1);
                    for (int i = 0; i < count; i++)
                    {
                        AnySkipper.Skip(ref r);
                    }

                    return (uint)count;
                }

            case RefDoc:
                SkipString(ref r);
                AnySkipper.Skip(ref r);
                return 1;
            default:
                throw r.Error($"Unknown content ref {cref}");
        }
    }

    private static void ReadJsonString(ref Lib0Reader r)
    {
        long at = r.Offset;
        JsonText.Validate(r.ReadVarUint8Array(), at);
    }

    /// <summary>Skips a varString, checking its UTF-8.</summary>
    public static void SkipString(ref Lib0Reader r)
    {
        long at = r.Offset;
        if (!System.Text.Unicode.Utf8.IsValid(r.ReadVarUint8Array()))
        {
            throw new YjsFormatException("Invalid UTF-8 in string", at);
        }
    }

    private static void ReadUtf8(ref Lib0Reader r, int baseAbs, out int start, out int length)
    {
        long at = r.Offset;
        var bytes = r.ReadVarUint8Array();
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new YjsFormatException("Invalid UTF-8 in string", at);
        }

        start = baseAbs + r.Position - bytes.Length;
        length = bytes.Length;
    }

    /// <summary>
    /// Writes <paramref name="s"/> as yjs's <c>write(encoder, offset)</c> does: with an offset, the struct starts
    /// <paramref name="offset"/> units later and an item's origin becomes the unit just before.
    /// </summary>
    public static void Write(Lib0Writer w, in UpdateStruct s, uint offset)
    {
        switch (s.Kind)
        {
            case StructKind.Gc:
                w.WriteByte(RefGc);
                w.WriteVarUInt(s.Length - offset);
                return;
            case StructKind.Skip:
                w.WriteByte(RefSkip);
                w.WriteVarUInt(s.Length - offset);
                return;
        }

        WriteItemHeader(w, s, offset);
        WriteContent(w, s, offset);
    }

    /// <summary>Whether <see cref="WriteSlice"/> can cut <paramref name="s"/> (content of more than one unit).</summary>
    public static bool CanSlice(in UpdateStruct s) =>
        s.Kind != StructKind.Item || s.ContentRef is RefDeleted or RefString or RefJson or RefAny;

    /// <summary>
    /// Writes units [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) of <paramref name="s"/>
    /// as a struct of its own: from a later unit, the origin is the unit just before (as <see cref="Write"/> with an
    /// offset); the right origin and parent stay. Used to split one update into several that apply to the same state.
    /// String cuts must fall between code points (the caller chooses them).
    /// </summary>
    public static void WriteSlice(Lib0Writer w, in UpdateStruct s, uint from, uint count)
    {
        if (!CanSlice(s) || s.ContentOffset != 0)
        {
            throw new InvalidOperationException($"Content ref {s.ContentRef} cannot be sliced");
        }

        switch (s.Kind)
        {
            case StructKind.Gc:
                w.WriteByte(RefGc);
                w.WriteVarUInt(count);
                return;
            case StructKind.Skip:
                w.WriteByte(RefSkip);
                w.WriteVarUInt(count);
                return;
        }

        WriteItemHeader(w, s, from);
        var r = new Lib0Reader(s.Source.AsSpan(s.ContentStart, s.ContentLength), s.ContentStart);
        switch (s.ContentRef)
        {
            case RefDeleted:
                w.WriteVarUInt(count);
                return;
            case RefString:
                {
                    var utf8 = r.ReadVarUint8Array();
                    int start = Utf8IndexOfUnit(utf8, from);
                    int end = start + Utf8IndexOfUnit(utf8[start..], count);
                    w.WriteVarUint8Array(utf8[start..end]);
                    return;
                }

            case RefJson:
            case RefAny:
                {
                    r.ReadVarUInt();
                    for (uint i = 0; i < from; i++)
                    {
                        SkipElement(ref r, s.ContentRef);
                    }

                    var rest = r.RemainingSpan;
                    int before = r.Remaining;
                    for (uint i = 0; i < count; i++)
                    {
                        SkipElement(ref r, s.ContentRef);
                    }

                    w.WriteVarUInt(count);
                    w.WriteBytes(rest[..(before - r.Remaining)]);
                    return;
                }
        }
    }

    private static void SkipElement(ref Lib0Reader r, byte contentRef)
    {
        if (contentRef == RefJson)
        {
            r.ReadVarUint8Array();
        }
        else
        {
            AnySkipper.Skip(ref r);
        }
    }

    /// <summary>The byte index in valid UTF-8 at which UTF-16 unit <paramref name="units"/> starts (must not split a pair).</summary>
    public static int Utf8IndexOfUnit(ReadOnlySpan<byte> utf8, uint units)
    {
        int i = 0;
        uint u = 0;
        while (u < units && i < utf8.Length)
        {
            byte b = utf8[i];
            int bytes = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            uint width = bytes == 4 ? 2u : 1u;
            if (u + width > units)
            {
                throw new InvalidOperationException("A string slice would split a surrogate pair");
            }

            i += bytes;
            u += width;
        }

        return i;
    }

    private static void WriteItemHeader(Lib0Writer w, in UpdateStruct s, uint offset)
    {
        bool hasOrigin = offset > 0 || s.HasOrigin;
        uint originClock = offset > 0 ? s.Clock + offset - 1 : s.OriginClock;
        uint originClient = offset > 0 ? s.Client : s.OriginClient;
        byte info = (byte)(s.ContentRef
            | (hasOrigin ? HasOriginBit : 0)
            | (s.HasRightOrigin ? HasRightOriginBit : 0)
            | (s.HasParentSub ? HasParentSubBit : 0));
        w.WriteByte(info);
        if (hasOrigin)
        {
            w.WriteVarUInt(originClient);
            w.WriteVarUInt(originClock);
        }

        if (s.HasRightOrigin)
        {
            w.WriteVarUInt(s.RightOriginClient);
            w.WriteVarUInt(s.RightOriginClock);
        }

        if (!hasOrigin && !s.HasRightOrigin)
        {
            if (s.Parent == ParentKind.RootKey)
            {
                w.WriteVarUInt(1);
                w.WriteVarUint8Array(s.Source.AsSpan(s.ParentKeyStart, s.ParentKeyLength));
            }
            else
            {
                w.WriteVarUInt(0);
                w.WriteVarUInt(s.ParentClient);
                w.WriteVarUInt(s.ParentClock);
            }

            if (s.HasParentSub)
            {
                w.WriteVarUint8Array(s.Source.AsSpan(s.ParentSubStart, s.ParentSubLength));
            }
        }
    }

    /// <summary>Writes the content of an item without its first <paramref name="offset"/> units.</summary>
    private static void WriteContent(Lib0Writer w, in UpdateStruct s, uint offset)
    {
        if (s.ContentRef == RefDeleted)
        {
            // Length already accounts for earlier slicing.
            w.WriteVarUInt(s.Length - offset);
            return;
        }

        uint cut = s.ContentOffset + offset;
        var content = s.Source.AsSpan(s.ContentStart, s.ContentLength);

        if (cut == 0)
        {
            w.WriteBytes(content);
            return;
        }

        var r = new Lib0Reader(content, s.ContentStart);
        switch (s.ContentRef)
        {
            case RefString:
                WriteStringFrom(w, r.ReadVarUint8Array(), cut);
                return;
            case RefJson:
                {
                    ulong count = r.ReadVarUInt();
                    for (uint i = 0; i < cut; i++)
                    {
                        r.ReadVarUint8Array();
                    }

                    w.WriteVarUInt(count - cut);
                    w.WriteBytes(r.RemainingSpan);
                    return;
                }

            case RefAny:
                {
                    ulong count = r.ReadVarUInt();
                    for (uint i = 0; i < cut; i++)
                    {
                        AnySkipper.Skip(ref r);
                    }

                    w.WriteVarUInt(count - cut);
                    w.WriteBytes(r.RemainingSpan);
                    return;
                }

            default:
                // Binary, Embed, Format, Type and Doc have length 1: a cut inside them cannot be asked for.
                throw new InvalidOperationException($"Content ref {s.ContentRef} cannot be sliced");
        }
    }

    /// <summary>
    /// Writes the UTF-8 string <paramref name="utf8"/> from UTF-16 unit <paramref name="cut"/> on. A cut inside a
    /// surrogate pair leaves U+FFFD in place of the orphaned low surrogate, as yjs's splice and TextEncoder do.
    /// </summary>
    private static void WriteStringFrom(Lib0Writer w, ReadOnlySpan<byte> utf8, uint cut)
    {
        int i = 0;
        uint units = 0;
        while (units < cut && i < utf8.Length)
        {
            byte b = utf8[i];
            if (b < 0x80)
            {
                i++;
                units++;
            }
            else if (b < 0xE0)
            {
                i += 2;
                units++;
            }
            else if (b < 0xF0)
            {
                i += 3;
                units++;
            }
            else if (units + 1 == cut)
            {
                var rest = utf8[Math.Min(i + 4, utf8.Length)..];
                w.WriteVarUInt((ulong)rest.Length + 3);
                w.WriteBytes("\uFFFD"u8);
                w.WriteBytes(rest);
                return;
            }
            else
            {
                i += 4;
                units += 2;
            }
        }

        w.WriteVarUint8Array(utf8[Math.Min(i, utf8.Length)..]);
    }
}
