using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// What <paramref name="update"/> has beyond <paramref name="stateVector"/>: the same bytes as yjs's
    /// <c>diffUpdate</c>. Structs the state vector covers are dropped, a struct it partly covers is sliced, Skip
    /// structs at the start of a client's run are dropped, and the whole delete set is kept.
    /// </summary>
    /// <exception cref="YjsFormatException">The update or the state vector is malformed.</exception>
    public static byte[] Diff(byte[] update, byte[] stateVector)
    {
        ArgumentNullException.ThrowIfNull(stateVector);
        return Diff(update, DecodeStateVector(stateVector));
    }

    /// <summary><see cref="Diff(byte[], byte[])"/> with a decoded state vector (client → next clock).</summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static byte[] Diff(byte[] update, IReadOnlyDictionary<uint, uint> stateVector)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(stateVector);
        var state = stateVector;
        var writer = new LazyStructWriter();
        var reader = new UpdateStructReader(update, skipSkips: false);
        while (reader.HasCurrent)
        {
            ref readonly var curr = ref reader.Current;
            uint client = curr.Client;
            state.TryGetValue(client, out uint svClock);
            if (curr.Kind == StructKind.Skip)
            {
                // The first struct written for a client must not be a skip.
                reader.Next();
                continue;
            }

            if (curr.End > svClock)
            {
                uint offset = svClock > curr.Clock ? svClock - curr.Clock : 0;
                writer.Write(curr, offset);
                reader.Next();
                while (reader.HasCurrent && reader.Current.Client == client)
                {
                    writer.Write(reader.Current, 0);
                    reader.Next();
                }
            }
            else
            {
                while (reader.HasCurrent && reader.Current.Client == client && reader.Current.End <= svClock)
                {
                    reader.Next();
                }
            }
        }

        var output = new Lib0Writer((int)Math.Min(update.Length + 16L, 1 << 24));
        writer.Finish(output);

        // yjs reads the delete set and writes it back: clients sorted, ranges as they were (not merged).
        WriteDeleteSet(output, ReadDeleteSet(update, reader.Position, out _));
        return output.ToArray();
    }
}
