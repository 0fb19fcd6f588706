using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>
/// Steps over one lib0 <c>any</c> value, validating it like the engine's reader but allocating nothing.
/// Nesting is bounded by <see cref="Lib0Reader.MaxAnyDepth"/>, so hostile input cannot exhaust the stack.
/// </summary>
internal static class AnySkipper
{
    public static void Skip(ref Lib0Reader r) => Skip(ref r, 0);

    private static void Skip(ref Lib0Reader r, int depth)
    {
        long at = r.Offset;
        byte tag = r.ReadByte();
        switch (tag)
        {
            case 127: // undefined
            case 126: // null
            case 121: // false
            case 120: // true
                return;
            case 125:
                r.ReadVarInt();
                return;
            case 124:
                r.ReadBytes(4);
                return;
            case 123:
            case 122:
                r.ReadBytes(8);
                return;
            case 119:
                StructCodec.SkipString(ref r);
                return;
            case 118:
                {
                    CheckDepth(depth, at);
                    int count = r.ReadVarUIntAsLength(2); // key length byte + value tag at least
                    for (int i = 0; i < count; i++)
                    {
                        StructCodec.SkipString(ref r);
                        Skip(ref r, depth + 1);
                    }

                    return;
                }

            case 117:
                {
                    CheckDepth(depth, at);
                    int count = r.ReadVarUIntAsLength(1);
                    for (int i = 0; i < count; i++)
                    {
                        Skip(ref r, depth + 1);
                    }

                    return;
                }

            case 116:
                r.ReadVarUint8Array();
                return;
            default:
                throw new YjsFormatException($"Unknown any tag {tag}", at);
        }
    }

    private static void CheckDepth(int depth, long at)
    {
        if (depth >= Lib0Reader.MaxAnyDepth)
        {
            throw new YjsFormatException("Nesting of any values too deep", at);
        }
    }
}
