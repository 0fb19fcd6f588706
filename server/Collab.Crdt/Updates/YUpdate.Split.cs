using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>Room kept in each part for the framing (section counts, client and clock of each section).</summary>
    private const int SplitMargin = 256;

    /// <summary>Counted for every struct: the client and clock of a section it may open, and the struct count.</summary>
    private const int SectionHeader = 16;

    /// <summary>
    /// Splits a v1 update into parts of at most <paramref name="maxBytes"/> bytes each that, applied in order (or
    /// merged), give the same document as the whole update: structs are cut between structs, or inside a struct of
    /// strings (between code points), deleted units or JSON/<c>any</c> values (the later part's origin is the unit
    /// before it, as yjs's own encoding of a split item); the delete set comes last, split between ranges. A single
    /// unit that cannot be cut (binary, embed, format, type, subdocument) larger than that is a part of its own, the
    /// only case where a part exceeds <paramref name="maxBytes"/>. An update that fits is returned as it is.
    /// A part may depend on a later one (a lower client's structs): a document keeps it pending until that arrives.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static IReadOnlyList<byte[]> Split(byte[] update, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 4 * SplitMargin);
        if (update.Length <= maxBytes)
        {
            return [update];
        }

        int budget = maxBytes - SplitMargin;
        var parts = new List<byte[]>();
        var writer = new LazyStructWriter();
        int size = 0;
        bool any = false;

        void Finish()
        {
            if (!any)
            {
                return;
            }

            var output = new Lib0Writer(size + 16);
            writer.Finish(output);
            output.WriteVarUInt(0); // no deletes
            parts.Add(output.ToArray());
            writer = new LazyStructWriter();
            size = 0;
            any = false;
        }

        var reader = new UpdateStructReader(update, skipSkips: false);
        while (reader.HasCurrent)
        {
            var s = reader.Current;
            int estimate = EstimateSize(s) + SectionHeader;
            if (size + estimate <= budget)
            {
                Write(s, estimate);
            }
            else if (estimate <= budget || !StructCodec.CanSlice(s))
            {
                // Fits a part alone, or cannot be cut (then it is a part of its own, larger than the others).
                Finish();
                Write(s, estimate);
                if (size > budget)
                {
                    Finish();
                }
            }
            else
            {
                WriteSliced(s);
            }

            reader.Next();
        }

        // What is left of the budget in the last part takes the delete set, or the start of it.
        var ds = ReadDeleteSet(update, reader.Position, out _);
        var dsWriter = new Lib0Writer(64);
        var partDs = new DeleteSet();
        int dsSize = 0;
        void FinishDs()
        {
            if (partDs.IsEmpty)
            {
                return;
            }

            var output = new Lib0Writer(size + dsSize + 32);
            if (any)
            {
                writer.Finish(output);
            }
            else
            {
                output.WriteVarUInt(0);
            }

            WriteDeleteSet(output, partDs);
            parts.Add(output.ToArray());
            writer = new LazyStructWriter();
            any = false;
            size = 0;
            partDs = new DeleteSet();
            dsSize = 0;
        }

        foreach (var (client, ranges) in ds.Ranges)
        {
            foreach (var range in ranges)
            {
                int estimate = (partDs.Ranges.ContainsKey(client) ? 0 : 16) + 10;
                if (size + dsSize + estimate > budget)
                {
                    FinishDs();
                    estimate = 26;
                }

                partDs.Add(client, range.Clock, range.Length);
                dsSize += estimate;
            }
        }

        if (partDs.IsEmpty)
        {
            Finish();
        }
        else
        {
            FinishDs();
        }

        return parts;

        void Write(in UpdateStruct s, int estimate)
        {
            writer.Write(s, 0);
            size += estimate;
            any = true;
        }

        void WriteSliced(UpdateStruct s)
        {
            bool isString = s.Kind == StructKind.Item && s.ContentRef == StructCodec.RefString;
            bool isValues = s.Kind == StructKind.Item && s.ContentRef is StructCodec.RefJson or StructCodec.RefAny;
            var content = new Lib0Reader(s.Source.AsSpan(s.ContentStart, s.ContentLength), s.ContentStart);
            ReadOnlySpan<byte> utf8 = default;
            if (isString)
            {
                utf8 = content.ReadVarUint8Array();
            }
            else if (isValues)
            {
                content.ReadVarUInt();
            }

            int bytePos = 0;
            uint from = 0;
            while (from < s.Length)
            {
                int room = budget - size - SectionHeader - 32;
                if (room < SplitMargin)
                {
                    Finish();
                    room = budget - SectionHeader - 32;
                }

                uint count = 0;
                int bytes = 0;
                if (isString)
                {
                    // Whole code points while they fit (at least one): a cut never splits a surrogate pair.
                    while (bytePos + bytes < utf8.Length)
                    {
                        byte b = utf8[bytePos + bytes];
                        int width = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
                        if (bytes + width > room && count > 0)
                        {
                            break;
                        }

                        bytes += width;
                        count += width == 4 ? 2u : 1u;
                    }
                }
                else if (isValues)
                {
                    while (from + count < s.Length)
                    {
                        var probe = content;
                        if (s.ContentRef == StructCodec.RefJson)
                        {
                            probe.ReadVarUint8Array();
                        }
                        else
                        {
                            AnySkipper.Skip(ref probe);
                        }

                        int width = content.Remaining - probe.Remaining;
                        if (bytes + width > room && count > 0)
                        {
                            break;
                        }

                        content = probe;
                        bytes += width;
                        count++;
                    }
                }
                else
                {
                    count = s.Length - from; // GC, Skip, Deleted: only a length
                }

                writer.WriteSlice(s, from, count);
                size += bytes + SectionHeader + 32;
                any = true;
                bytePos += bytes;
                from += count;
            }
        }
    }

    /// <summary>An upper bound of the bytes a struct takes when written whole (header fields at their widest).</summary>
    private static int EstimateSize(in UpdateStruct s) =>
        s.Kind == StructKind.Item ? 32 + s.ParentKeyLength + s.ParentSubLength + s.ContentLength : 12;
}
