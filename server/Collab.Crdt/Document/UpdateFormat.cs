using Collab.Crdt.Encoding;

namespace Collab.Crdt.Document;

/// <summary>
/// Re-encodes an update in the other wire format (yjs convertUpdateFormatV1ToV2 / V2ToV1). Merging and diffing are
/// not here: they exist once, on v1 bytes, in <see cref="YUpdate"/>; v2 callers convert around them.
/// </summary>
internal static class UpdateFormat
{
    /// <summary>Decodes the update with the engine's reader (as yjs's lazy struct reader) and writes it in the other format.</summary>
    /// <exception cref="YjsFormatException">The update is malformed, or (v1 to v2) has an empty deleted range, which v2 cannot express.</exception>
    public static byte[] Convert(byte[] update, bool fromV2)
    {
        UpdateEncoder encoder = fromV2 ? new UpdateEncoderV1() : new UpdateEncoderV2();
        DeleteSet ds;
        if (fromV2)
        {
            var r2 = new UpdateReaderV2(update);
            ds = WriteStructs(ref r2, encoder);
        }
        else
        {
            var r1 = new UpdateReaderV1(update);
            ds = WriteStructs(ref r1, encoder);
            CheckNoEmptyRange(ds);
        }

        ds.Write(encoder);
        return encoder.ToArray();
    }

    /// <summary>
    /// Copies the struct section from <paramref name="r"/> to <paramref name="encoder"/> (consecutive structs of one
    /// client form one section, as yjs's lazy writer does) and returns the delete set that follows it.
    /// </summary>
    private static DeleteSet WriteStructs<TR>(ref TR r, UpdateEncoder encoder)
        where TR : IUpdateReader, allows ref struct
    {
        var sections = new List<(int Count, byte[] Bytes)>();
        int written = 0;
        uint currClient = 0;
        int numOfStateUpdates = r.ReadCount(3);
        for (int i = 0; i < numOfStateUpdates; i++)
        {
            int numberOfStructs = r.ReadCount(2);
            uint client = r.ReadClient();
            uint clock = r.ReadRestVarUInt32();
            for (int k = 0; k < numberOfStructs; k++)
            {
                var s = UpdateCodec.ReadStruct(ref r, client, clock, lazyReader: true);
                clock += (uint)s.Length;
                if (written > 0 && currClient != client)
                {
                    sections.Add((written, encoder.Rest.ToArray()));
                    encoder.SetRest(new Lib0Writer());
                    written = 0;
                }

                if (written == 0)
                {
                    currClient = client;
                    encoder.WriteClient(client);
                    encoder.Rest.WriteVarUInt(s.Id.Clock);
                }

                s.Write(encoder, 0);
                written++;
            }
        }

        if (written > 0)
        {
            sections.Add((written, encoder.Rest.ToArray()));
        }

        var ds = DeleteSet.Read(ref r);
        var w = new Lib0Writer();
        encoder.SetRest(w);
        w.WriteVarUInt((ulong)sections.Count);
        foreach (var (count, bytes) in sections)
        {
            w.WriteVarUInt((ulong)count);
            w.WriteBytes(bytes);
        }

        return ds;
    }

    private static void CheckNoEmptyRange(DeleteSet ds)
    {
        foreach (var (client, ranges) in ds.Ranges)
        {
            foreach (var range in ranges)
            {
                if (range.Length == 0)
                {
                    throw new YjsFormatException($"Empty deleted range of client {client} at clock {range.Clock}: v2 cannot express it");
                }
            }
        }
    }
}
