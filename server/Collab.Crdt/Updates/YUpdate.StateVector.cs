using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// The state vector of an update: the same bytes as yjs's <c>encodeStateVectorFromUpdate</c>. A client counts
    /// only when its structs start at clock 0, and only up to the first Skip; clients appear in update order.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static byte[] StateVector(byte[] update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var entries = new List<(uint Client, uint Clock)>();
        var reader = new UpdateStructReader(update, skipSkips: false);
        if (reader.HasCurrent)
        {
            uint client = reader.Current.Client;
            bool stopCounting = reader.Current.Clock != 0;

            // As in yjs, a first struct at clock 0 counts even when it is a Skip.
            ulong clock = stopCounting ? 0 : reader.Current.End;
            for (; reader.HasCurrent; reader.Next())
            {
                ref readonly var curr = ref reader.Current;
                if (client != curr.Client)
                {
                    if (clock != 0)
                    {
                        entries.Add((client, (uint)clock));
                    }

                    client = curr.Client;
                    clock = 0;
                    stopCounting = curr.Clock != 0;
                }

                if (curr.Kind == StructKind.Skip)
                {
                    stopCounting = true;
                }

                if (!stopCounting)
                {
                    clock = curr.End;
                }
            }

            if (clock != 0)
            {
                entries.Add((client, (uint)clock));
            }
        }

        // The delete set is read too, so a truncated update fails here as it would anywhere else.
        ReadDeleteSet(update, reader.Position, out _);

        var w = new Lib0Writer(1 + (entries.Count * 10));
        w.WriteVarUInt((ulong)entries.Count);
        foreach (var (c, k) in entries)
        {
            w.WriteVarUInt(c);
            w.WriteVarUInt(k);
        }

        return w.ToArray();
    }
}
