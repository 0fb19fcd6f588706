using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Document;

/// <summary>
/// Document-free operations on v1 updates, ported from yjs updates.js (mergeUpdates, diffUpdate). The engine needs
/// them for pending structs; the public YUpdate API can build on them.
/// </summary>
internal static class UpdateMerge
{
    /// <summary>An update decoded into its structs (in wire order) and its delete set.</summary>
    internal sealed class DecodedUpdate
    {
        public DecodedUpdate(List<AbstractStruct> structs, DeleteSet ds)
        {
            Structs = structs;
            Ds = ds;
        }

        public List<AbstractStruct> Structs { get; }

        public DeleteSet Ds { get; }
    }

    /// <summary>Decodes every struct of a v1 update as yjs's lazy struct reader does, then its delete set.</summary>
    public static DecodedUpdate Decode(byte[] update, bool v2 = false)
    {
        if (v2)
        {
            var r2 = new UpdateReaderV2(update);
            return Decode(ref r2);
        }

        var r1 = new UpdateReaderV1(update);
        return Decode(ref r1);
    }

    private static DecodedUpdate Decode<TR>(ref TR r)
        where TR : IUpdateReader, allows ref struct
    {
        var structs = new List<AbstractStruct>();
        int numOfStateUpdates = r.ReadCount(3);
        for (int i = 0; i < numOfStateUpdates; i++)
        {
            int numberOfStructs = r.ReadCount(2);
            uint client = r.ReadClient();
            uint clock = r.ReadRestVarUInt32();
            for (int k = 0; k < numberOfStructs; k++)
            {
                var s = UpdateCodec.ReadStruct(ref r, client, clock, lazyReader: true);
                structs.Add(s);
                clock += (uint)s.Length;
            }
        }

        var ds = DeleteSet.Read(ref r);
        return new DecodedUpdate(structs, ds);
    }

    private sealed class Reader
    {
        private readonly List<AbstractStruct> _structs;
        private readonly bool _filterSkips;
        private int _pos;

        public Reader(List<AbstractStruct> structs, bool filterSkips)
        {
            _structs = structs;
            _filterSkips = filterSkips;
            Next();
        }

        public AbstractStruct? Curr { get; private set; }

        public AbstractStruct? Next()
        {
            do
            {
                Curr = _pos < _structs.Count ? _structs[_pos++] : null;
            }
            while (_filterSkips && Curr is SkipStruct);

            return Curr;
        }
    }

    private sealed class LazyWriter
    {
        private readonly List<(int Written, byte[] Bytes)> _clientStructs = new();
        private readonly UpdateEncoder _encoder;
        private uint _currClient;
        private int _written;

        public LazyWriter(UpdateEncoder encoder)
        {
            _encoder = encoder;
        }

        public void Write(AbstractStruct s, int offset)
        {
            if (_written > 0 && _currClient != s.Id.Client)
            {
                Flush();
            }

            if (_written == 0)
            {
                _currClient = s.Id.Client;
                _encoder.WriteClient(s.Id.Client);
                _encoder.Rest.WriteVarUInt(s.Id.Clock + (uint)offset);
            }

            s.Write(_encoder, offset);
            _written++;
        }

        private void Flush()
        {
            if (_written > 0)
            {
                _clientStructs.Add((_written, _encoder.Rest.ToArray()));
                _encoder.SetRest(new Lib0Writer());
                _written = 0;
            }
        }

        /// <summary>Writes the collected structs into the encoder's (fresh) rest stream; the delete set follows.</summary>
        public UpdateEncoder Finish()
        {
            Flush();
            var w = new Lib0Writer();
            _encoder.SetRest(w);
            w.WriteVarUInt((ulong)_clientStructs.Count);
            foreach (var (written, bytes) in _clientStructs)
            {
                w.WriteVarUInt((ulong)written);
                w.WriteBytes(bytes);
            }

            return _encoder;
        }
    }

    private static AbstractStruct SliceStruct(AbstractStruct left, int diff)
    {
        var id = new ItemId(left.Id.Client, left.Id.Clock + (uint)diff);
        switch (left)
        {
            case GcStruct:
                return new GcStruct(id, left.Length - diff);
            case SkipStruct:
                return new SkipStruct(id, left.Length - diff);
            default:
                var item = (Item)left;
                return new Item(id, null, new ItemId(id.Client, id.Clock - 1), null, item.RightOrigin, item.Parent, item.ParentSub, item.Content.Splice(diff))
                {
                    ParentId = item.ParentId,
                    ParentKey = item.ParentKey,
                };
        }
    }

    private static int Compare(Reader a, Reader b)
    {
        var c1 = a.Curr!;
        var c2 = b.Curr!;
        if (c1.Id.Client == c2.Id.Client)
        {
            long clockDiff = (long)c1.Id.Clock - c2.Id.Clock;
            if (clockDiff == 0)
            {
                return c1.GetType() == c2.GetType() ? 0 : c1 is SkipStruct ? 1 : -1;
            }

            return clockDiff < 0 ? -1 : 1;
        }

        return c2.Id.Client.CompareTo(c1.Id.Client);
    }

    /// <summary>Merges v1 updates into one (yjs mergeUpdates).</summary>
    public static byte[] Merge(IReadOnlyList<byte[]> updates) => Merge(updates, v2: false);

    /// <summary>Merges updates of one format into one update of that format (yjs mergeUpdates / mergeUpdatesV2).</summary>
    public static byte[] Merge(IReadOnlyList<byte[]> updates, bool v2)
    {
        if (updates.Count == 1)
        {
            return updates[0];
        }

        var decoded = new List<DecodedUpdate>(updates.Count);
        foreach (var u in updates)
        {
            decoded.Add(Decode(u, v2));
        }

        return Merge(decoded, v2);
    }

    public static byte[] Merge(IReadOnlyList<DecodedUpdate> decoded, bool v2 = false)
    {
        var readers = new List<Reader>(decoded.Count);
        foreach (var d in decoded)
        {
            readers.Add(new Reader(d.Structs, filterSkips: true));
        }

        AbstractStruct? currWrite = null;
        var writer = new LazyWriter(v2 ? new UpdateEncoderV2() : new UpdateEncoderV1());
        while (true)
        {
            readers.RemoveAll(static r => r.Curr == null);
            // stable insertion sort, as JS's Array.prototype.sort is stable
            for (int i = 1; i < readers.Count; i++)
            {
                var x = readers[i];
                int j = i - 1;
                while (j >= 0 && Compare(readers[j], x) > 0)
                {
                    readers[j + 1] = readers[j];
                    j--;
                }

                readers[j + 1] = x;
            }

            if (readers.Count == 0)
            {
                break;
            }

            var currDecoder = readers[0];
            uint firstClient = currDecoder.Curr!.Id.Client;
            if (currWrite != null)
            {
                var curr = currDecoder.Curr;
                bool iterated = false;
                while (curr != null && curr.EndClock <= currWrite.EndClock && curr.Id.Client >= currWrite.Id.Client)
                {
                    curr = currDecoder.Next();
                    iterated = true;
                }

                if (curr == null || curr.Id.Client != firstClient || (iterated && curr.Id.Clock > currWrite.EndClock))
                {
                    continue;
                }

                if (firstClient != currWrite.Id.Client)
                {
                    writer.Write(currWrite, 0);
                    currWrite = curr;
                    currDecoder.Next();
                }
                else if (currWrite.EndClock < curr.Id.Clock)
                {
                    if (currWrite is SkipStruct)
                    {
                        currWrite.Length = (int)(curr.EndClock - currWrite.Id.Clock);
                    }
                    else
                    {
                        writer.Write(currWrite, 0);
                        uint diff = curr.Id.Clock - currWrite.EndClock;
                        currWrite = new SkipStruct(new ItemId(firstClient, currWrite.EndClock), (int)diff);
                    }
                }
                else
                {
                    int diff = (int)(currWrite.EndClock - curr.Id.Clock);
                    if (diff > 0)
                    {
                        if (currWrite is SkipStruct)
                        {
                            currWrite.Length -= diff;
                        }
                        else
                        {
                            curr = SliceStruct(curr, diff);
                        }
                    }

                    if (!MergeStructs(currWrite, curr))
                    {
                        writer.Write(currWrite, 0);
                        currWrite = curr;
                        currDecoder.Next();
                    }
                }
            }
            else
            {
                currWrite = currDecoder.Curr;
                currDecoder.Next();
            }

            for (var next = currDecoder.Curr;
                 next != null && next.Id.Client == firstClient && next.Id.Clock == currWrite.EndClock && next is not SkipStruct;
                 next = currDecoder.Next())
            {
                writer.Write(currWrite, 0);
                currWrite = next;
            }
        }

        if (currWrite != null)
        {
            writer.Write(currWrite, 0);
        }

        var encoder = writer.Finish();
        var dss = new List<DeleteSet>(decoded.Count);
        foreach (var d in decoded)
        {
            dss.Add(d.Ds);
        }

        DeleteSet.Merge(dss).Write(encoder);
        return encoder.ToArray();
    }

    // Only GC+GC and Skip+Skip merge here: decoded items have no Right neighbour, so Item.mergeWith fails in yjs.
    private static bool MergeStructs(AbstractStruct left, AbstractStruct right) =>
        left is not Item && left.MergeWith(right);

    /// <summary>Drops from a v1 update what a peer with state vector <paramref name="sv"/> has (yjs diffUpdate).</summary>
    public static byte[] Diff(byte[] update, Dictionary<uint, uint> sv) => Diff(Decode(update), sv);

    /// <summary>yjs diffUpdate / diffUpdateV2: <paramref name="v2"/> selects the output format.</summary>
    public static byte[] Diff(DecodedUpdate decoded, Dictionary<uint, uint> sv, bool v2 = false)
    {
        var writer = new LazyWriter(v2 ? new UpdateEncoderV2() : new UpdateEncoderV1());
        var reader = new Reader(decoded.Structs, filterSkips: false);
        while (reader.Curr != null)
        {
            var curr = reader.Curr;
            uint currClient = curr.Id.Client;
            uint svClock = sv.TryGetValue(currClient, out uint c) ? c : 0;
            if (curr is SkipStruct)
            {
                reader.Next();
                continue;
            }

            if (curr.EndClock > svClock)
            {
                writer.Write(curr, (int)Math.Max((long)svClock - curr.Id.Clock, 0));
                reader.Next();
                while (reader.Curr != null && reader.Curr.Id.Client == currClient)
                {
                    writer.Write(reader.Curr, 0);
                    reader.Next();
                }
            }
            else
            {
                while (reader.Curr != null && reader.Curr.Id.Client == currClient && reader.Curr.EndClock <= svClock)
                {
                    reader.Next();
                }
            }
        }

        var encoder = writer.Finish();
        decoded.Ds.Write(encoder);
        return encoder.ToArray();
    }

    /// <summary>Re-encodes an update in the other format (yjs convertUpdateFormatV1ToV2 / V2ToV1).</summary>
    public static byte[] Convert(byte[] update, bool fromV2)
    {
        var decoded = Decode(update, fromV2);
        var writer = new LazyWriter(fromV2 ? new UpdateEncoderV1() : new UpdateEncoderV2());
        foreach (var s in decoded.Structs)
        {
            writer.Write(s, 0);
        }

        var encoder = writer.Finish();
        decoded.Ds.Write(encoder);
        return encoder.ToArray();
    }
}
