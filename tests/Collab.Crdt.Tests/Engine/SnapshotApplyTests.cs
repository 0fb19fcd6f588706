using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Engine;

/// <summary>
/// The cheaper paths of applying a long update to an empty document (a history view's snapshot): the struct search
/// that takes the last struct first, the store's reserved list, the decoded lists cleared after integration, deleted
/// items kept as read, and the text written once. Each is compared with what the plain path gives on random input.
/// </summary>
public sealed class SnapshotApplyTests
{
    [Fact]
    public void find_index_gives_the_struct_a_linear_scan_finds()
    {
        var rng = new Random(20261207);
        for (int round = 0; round < 300; round++)
        {
            uint clock = (uint)rng.Next(0, 3) * (uint)rng.Next(0, 50); // lists of an update may start after 0
            uint first = clock;
            var structs = new List<AbstractStruct>();
            int count = 1 + rng.Next(rng.Next(2) == 0 ? 8 : 400);
            for (int i = 0; i < count; i++)
            {
                // lengths from 1 to long runs, as a typed text's structs are
                int length = rng.Next(4) == 0 ? 1 + rng.Next(200) : 1 + rng.Next(3);
                structs.Add(new GcStruct(new ItemId(7, clock), length));
                clock += (uint)length;
            }

            for (uint c = first; c < clock; c++)
            {
                int expected = LinearIndex(structs, c);
                Assert.Equal(expected, StructStore.FindIndex(structs, c));

                // from any starting point, near the answer or not, in the list or outside it
                int near = rng.Next(4) == 0 ? rng.Next(-2, structs.Count + 2) : expected + rng.Next(-10, 11);
                Assert.Equal(expected, StructStore.FindIndexNear(structs, c, near));
            }

            Assert.Throws<InvalidOperationException>(() => StructStore.FindIndex(structs, clock));
            if (first > 0)
            {
                Assert.Throws<InvalidOperationException>(() => StructStore.FindIndex(structs, first - 1));
            }
        }
    }

    [Fact]
    public void a_long_document_applied_to_an_empty_one_encodes_and_reads_as_the_original()
    {
        var rng = new Random(7);
        for (int round = 0; round < 6; round++)
        {
            var source = RandomDocument(rng, edits: 1500 + (round * 700), gc: round % 2 == 0);
            var state = source.EncodeStateAsUpdate();
            var copy = new YDoc(new YDocOptions { Gc = round % 2 == 0 });
            copy.ApplyUpdate(state);
            Assert.Equal(Convert.ToHexString(state), Convert.ToHexString(copy.EncodeStateAsUpdate()));
            Assert.Equal(source.GetText("text").ToString(), copy.GetText("text").ToString());
            Assert.Equal(Concatenated(source.GetText("text")), copy.GetText("text").ToString());

            // events after the snapshot, one by one as the replayer applies them, then the state again
            var more = new List<byte[]>();
            source.UpdateV1 += (update, _) => more.Add(update);
            Edit(source, rng, 200);
            foreach (var update in more)
            {
                copy.ApplyUpdate(update);
            }

            Assert.Equal(Convert.ToHexString(source.EncodeStateAsUpdate()), Convert.ToHexString(copy.EncodeStateAsUpdate()));
            Assert.Equal(Concatenated(source.GetText("text")), copy.GetText("text").ToString());
        }
    }

    [Fact]
    public void text_to_string_is_the_concatenation_of_its_visible_strings()
    {
        var rng = new Random(11);
        for (int round = 0; round < 40; round++)
        {
            var doc = RandomDocument(rng, edits: rng.Next(0, 300), gc: rng.Next(2) == 0);
            var text = doc.GetText("text");
            Assert.Equal(Concatenated(text), text.ToString());
        }
    }

    private static int LinearIndex(List<AbstractStruct> structs, uint clock) =>
        structs.FindIndex(s => s.Id.Clock <= clock && clock < s.Id.Clock + (uint)s.Length);

    /// <summary>What ToString returned before it measured first: the visible strings appended in order.</summary>
    private static string Concatenated(YText text)
    {
        var sb = new StringBuilder();
        for (var n = text.Start; n != null; n = n.Right)
        {
            if (!n.Deleted && n.Countable && n.Content is ContentString cs)
            {
                sb.Append(cs.Span);
            }
        }

        return sb.ToString();
    }

    private static YDoc RandomDocument(Random rng, int edits, bool gc)
    {
        var doc = new YDoc(new YDocOptions { ClientId = (uint)rng.Next(1, 1000), Gc = gc });
        Edit(doc, rng, edits);
        return doc;
    }

    /// <summary>Typing, deleting, formatting and embeds at random places, in transactions of one to a few edits.</summary>
    private static void Edit(YDoc doc, Random rng, int edits)
    {
        var text = doc.GetText("text");
        // No surrogate pairs: an edit that splits one is not what these paths are about (yjs replaces the halves).
        const string Alphabet = "abcdefghij \"\\\n\u00e9\u4e2d";
        for (int i = 0; i < edits; i++)
        {
            doc.Transact(() =>
            {
                int length = text.Length;
                int kind = rng.Next(20);
                if (kind < 12 || length < 4)
                {
                    var sb = new StringBuilder();
                    for (int k = 1 + rng.Next(rng.Next(5) == 0 ? 40 : 4); k > 0; k--)
                    {
                        sb.Append(Alphabet[rng.Next(Alphabet.Length)]);
                    }

                    // mostly sequential typing (what makes origins point at the struct just written)
                    text.Insert(rng.Next(3) == 0 ? rng.Next(length + 1) : length, sb.ToString());
                }
                else if (kind < 17)
                {
                    int at = rng.Next(length);
                    int count = 1 + rng.Next(Math.Min(length - at, rng.Next(6) == 0 ? 60 : 3));
                    text.Delete(at, count);
                }
                else if (kind < 19)
                {
                    int at = rng.Next(length);
                    text.Format(at, 1 + rng.Next(Math.Min(length - at, 10)), new Dictionary<string, object?> { ["bold"] = rng.Next(2) == 0 ? true : null });
                }
                else
                {
                    text.InsertEmbed(rng.Next(length + 1), new Dictionary<string, object?> { ["image"] = "x.png" });
                }
            });
        }
    }
}
