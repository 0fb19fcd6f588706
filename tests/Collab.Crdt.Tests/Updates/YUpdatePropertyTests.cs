using CsCheck;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Updates;

/// <summary>
/// Properties of the document-free operations against the engine: random multi-peer sessions (CsCheck prints the
/// seed of a failing case).
/// </summary>
public sealed class YUpdatePropertyTests
{
    private static readonly string[] Texts = ["a", "hello", "😀", "x😀y", "é", "עב", "e\u0301", " "];

    /// <summary>One edit: which peer, what kind, where, how much, and whether two peers sync afterwards.</summary>
    public sealed record Op(int Peer, int Kind, int Position, int Length, int Text, bool Sync);

    private static readonly Gen<Op> GenOp = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 9], Gen.Int[0, 1000], Gen.Int[1, 4], Gen.Int[0, Texts.Length - 1], Gen.Int[0, 3])
        .Select((peer, kind, pos, len, text, sync) => new Op(peer, kind, pos, len, text, sync == 0));

    private static readonly Gen<(Op[] Ops, bool Gc)> GenSession = Gen.Select(GenOp.Array[1, 40], Gen.Bool);

    /// <summary>A finished session: the peers (fully synced), every update each peer emitted, and mid-session checkpoints.</summary>
    private sealed class Session
    {
        public required YDoc[] Peers { get; init; }

        public required List<byte[]> Updates { get; init; }

        public required List<(byte[] StateVector, byte[] State)> Checkpoints { get; init; }
    }

    private static Session Run(Op[] ops, bool gc)
    {
        var peers = new YDoc[3];
        var updates = new List<byte[]>();
        var checkpoints = new List<(byte[], byte[])>();
        for (int i = 0; i < peers.Length; i++)
        {
            peers[i] = new YDoc(new YDocOptions { ClientId = (uint)(10 + i), Gc = gc });
            peers[i].UpdateV1 += (update, _) => updates.Add(update);
        }

        foreach (var op in ops)
        {
            Apply(peers[op.Peer], op);
            if (op.Sync)
            {
                var from = peers[op.Peer];
                var to = peers[(op.Peer + 1) % peers.Length];
                to.ApplyUpdate(from.EncodeStateAsUpdate(to.EncodeStateVector()));
                checkpoints.Add((to.EncodeStateVector(), to.EncodeStateAsUpdate()));
            }
        }

        foreach (var a in peers)
        {
            foreach (var b in peers)
            {
                b.ApplyUpdate(a.EncodeStateAsUpdate(b.EncodeStateVector()));
            }
        }

        checkpoints.Add(([0], [0, 0]));
        return new Session { Peers = peers, Updates = updates, Checkpoints = checkpoints };
    }

    /// <summary>
    /// Moves a text index off the middle of a surrogate pair. Splitting a pair turns both halves into U+FFFD in the
    /// doc that splits it only (yjs does the same), so peers would legitimately differ.
    /// </summary>
    private static int Snap(YText text, int index)
    {
        string s = text.ToString();
        return index > 0 && index < s.Length && char.IsLowSurrogate(s[index]) ? index + 1 : index;
    }

    private static void Apply(YDoc doc, Op op)
    {
        var text = doc.GetText("t");
        var array = doc.GetArray("a");
        switch (op.Kind)
        {
            case <= 3:
                text.Insert(Snap(text, op.Position % (text.Length + 1)), Texts[op.Text]);
                break;
            case 4 when text.Length > 0:
                {
                    int at = Snap(text, op.Position % text.Length);
                    int end = Snap(text, Math.Min(at + op.Length, text.Length));
                    if (end > at)
                    {
                        text.Delete(at, end - at);
                    }

                    break;
                }

            case 5:
                doc.GetMap("m").Set("k" + (op.Length % 3), op.Text % 2 == 0 ? op.Position : Texts[op.Text]);
                break;
            case 6:
                array.Insert(op.Position % (array.Length + 1), [.. Enumerable.Range(0, op.Length).Select(i => (object?)(op.Position + i))]);
                break;
            case 7 when array.Length > 0:
                {
                    int at = op.Position % array.Length;
                    array.Delete(at, Math.Min(op.Length, array.Length - at));
                    break;
                }

            case 8:
                {
                    var element = new YXmlElement("p");
                    doc.GetXmlFragment("x").Insert(0, element);
                    element.Insert(0, new YXmlText(Texts[op.Text]));
                    break;
                }

            case 9 when text.Length > 1:
                text.Format(0, Snap(text, 1 + (op.Position % (text.Length - 1))), new Dictionary<string, object?> { ["bold"] = true });
                break;
            default:
                text.Insert(0, "z");
                break;
        }
    }

    /// <summary>The content of every root, with map keys sorted (their order follows integration order).</summary>
    private static string Content(YDoc doc)
    {
        var map = (Dictionary<string, object?>)doc.GetMap("m").ToJson()!;
        return string.Join(
            " | ",
            JsJson.Stringify(doc.GetText("t").ToDelta().Select(static op => (object?)op.ToJson()).ToList()),
            JsJson.Stringify(doc.GetArray("a").ToJson()),
            JsJson.Stringify(map.OrderBy(static kv => kv.Key, StringComparer.Ordinal).ToDictionary()),
            doc.GetXmlFragment("x").ToString());
    }

    private static YDoc Load(bool gc, params byte[][] updates)
    {
        var doc = new YDoc(new YDocOptions { ClientId = 999, Gc = gc });
        foreach (var update in updates)
        {
            doc.ApplyUpdate(update);
        }

        return doc;
    }

    [Fact]
    public void merge_of_every_transaction_update_loads_into_the_same_doc()
    {
        GenSession.Sample((ops, gc) =>
        {
            var session = Run(ops, gc);
            var merged = YUpdate.Merge(session.Updates);
            var loaded = Load(gc, merged);
            var reference = session.Peers[0];
            Assert.False(loaded.HasPending);
            Assert.Equal(Content(reference), Content(loaded));
            Assert.Equal(reference.EncodeStateVector(), loaded.EncodeStateVector());
            Assert.Equal(reference.EncodeStateAsUpdate(), loaded.EncodeStateAsUpdate());
        }, iter: 150);
    }

    [Fact]
    public void merge_in_any_order_and_in_parts_gives_the_same_content()
    {
        Gen.Select(GenSession, Gen.Int).Sample((session0, seed) =>
        {
            var session = Run(session0.Ops, session0.Gc);
            var shuffled = session.Updates.ToArray();
            new Random(seed).Shuffle(shuffled);
            int half = shuffled.Length / 2;
            var merged = YUpdate.Merge([YUpdate.Merge(shuffled[..half]), YUpdate.Merge(shuffled[half..])]);
            Assert.Equal(Content(session.Peers[0]), Content(Load(session0.Gc, merged)));
        }, iter: 100);
    }

    [Fact]
    public void diff_against_a_checkpoint_completes_a_doc_loaded_at_that_checkpoint()
    {
        GenSession.Sample((ops, gc) =>
        {
            var session = Run(ops, gc);
            var full = session.Peers[0].EncodeStateAsUpdate();
            foreach (var (stateVector, state) in session.Checkpoints)
            {
                var doc = Load(gc, state);
                doc.ApplyUpdate(YUpdate.Diff(full, stateVector));
                Assert.False(doc.HasPending);
                Assert.Equal(Content(session.Peers[0]), Content(doc));
                Assert.Equal(session.Peers[0].EncodeStateVector(), doc.EncodeStateVector());
            }
        }, iter: 100);
    }

    [Fact]
    public void diff_matches_what_the_doc_itself_encodes_for_that_state_vector()
    {
        GenSession.Sample((ops, gc) =>
        {
            var session = Run(ops, gc);
            var doc = session.Peers[1];
            var full = doc.EncodeStateAsUpdate();
            foreach (var (stateVector, _) in session.Checkpoints)
            {
                // A doc sets the parentSub bit on map items that have an origin; yjs's diffUpdate (like ours) drops
                // it when it reads such an item, so both sides are compared after one more pass.
                var fromDoc = YUpdate.Diff(doc.EncodeStateAsUpdate(stateVector), [0]);
                Assert.Equal(fromDoc, YUpdate.Diff(YUpdate.Diff(full, stateVector), [0]));
            }
        }, iter: 100);
    }

    [Fact]
    public void state_vector_of_a_full_update_equals_the_docs_state_vector()
    {
        GenSession.Sample((ops, gc) =>
        {
            var session = Run(ops, gc);
            foreach (var peer in session.Peers)
            {
                Assert.Equal(peer.EncodeStateVector(), YUpdate.StateVector(peer.EncodeStateAsUpdate()));
            }
        }, iter: 100);
    }

    [Fact]
    public void summary_inserted_ranges_cover_exactly_the_state_vector_of_a_full_update()
    {
        GenSession.Sample((ops, gc) =>
        {
            var session = Run(ops, gc);
            var summary = YUpdate.Summarize(session.Peers[2].EncodeStateAsUpdate());
            var sv = session.Peers[2].GetStateVector();
            Assert.Equal(sv.Keys.Order(), summary.ClientIds.Order());
            foreach (var (client, clock) in sv)
            {
                Assert.Equal([new Crdt.Updates.ClockRange(0, clock)], summary.Inserted[client]);
            }
        }, iter: 100);
    }
}
