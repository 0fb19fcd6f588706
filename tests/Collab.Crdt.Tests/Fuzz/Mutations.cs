namespace Collab.Crdt.Tests.Fuzz;

/// <summary>
/// Seeded mutations of valid encoded input: truncation, byte and bit changes, inserted and deleted bytes, huge and
/// never-ending varints, duplicated slices, splices with another input.
/// </summary>
internal static class Mutations
{
    public static byte[] Apply(Random r, byte[] valid, IReadOnlyList<byte[]> corpus)
    {
        var b = new List<byte>(valid);
        int rounds = r.Next(1, 4);
        for (int k = 0; k < rounds; k++)
        {
            int pos = b.Count == 0 ? 0 : r.Next(b.Count);
            switch (r.Next(9))
            {
                case 0: // truncate
                    b.RemoveRange(pos, b.Count - pos);
                    break;
                case 1: // overwrite a byte
                    if (b.Count > 0)
                    {
                        b[pos] = (byte)r.Next(256);
                    }

                    break;
                case 2: // flip a bit
                    if (b.Count > 0)
                    {
                        b[pos] ^= (byte)(1 << r.Next(8));
                    }

                    break;
                case 3: // insert random bytes
                    b.InsertRange(pos, Enumerable.Range(0, r.Next(1, 9)).Select(_ => (byte)r.Next(256)));
                    break;
                case 4: // delete a range
                    b.RemoveRange(pos, Math.Min(b.Count - pos, r.Next(1, 9)));
                    break;
                case 5: // a huge varint (a length or count near 2^50)
                    b.InsertRange(pos, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 });
                    break;
                case 6: // an overlong varint that never ends within the input
                    b.InsertRange(pos, Enumerable.Repeat((byte)0x80, r.Next(1, 12)));
                    break;
                case 7: // duplicate a slice
                    {
                        int len = Math.Min(b.Count - pos, r.Next(1, 16));
                        b.InsertRange(r.Next(b.Count + 1), b.GetRange(pos, len));
                        break;
                    }

                default: // splice with another update
                    {
                        byte[] other = corpus[r.Next(corpus.Count)];
                        int from = other.Length == 0 ? 0 : r.Next(other.Length);
                        b.RemoveRange(pos, b.Count - pos);
                        b.AddRange(other.AsSpan(from).ToArray());
                        break;
                    }
            }
        }

        return [.. b];
    }
}
