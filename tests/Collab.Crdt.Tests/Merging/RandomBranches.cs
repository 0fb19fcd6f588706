using Collab.Crdt.Document;
using Collab.Crdt.Types;
using static Collab.Crdt.Tests.Merging.MergeTestKit;

namespace Collab.Crdt.Tests.Merging;

/// <summary>
/// Seeded concurrent histories of two branches of one document (text with formats, map, array, XML with attributes
/// and paragraph texts), with occasional merges in either direction, so that bases move and criss-cross.
/// </summary>
internal static class RandomBranches
{
    public static readonly (string Name, string Kind)[] Roots = [("t", "text"), ("m", "map"), ("a", "array"), ("x", "xml")];

    private static readonly string[] Words = ["a", "hello ", "wörld", "é", "xyz", " ", "cat", "\n"];
    // No astral characters: an insert inside a surrogate pair leaves U+FFFD only on the peer that split it (yjs does
    // the same), so merged content would legitimately depend on who split first.
    private static readonly string[] Keys = ["k1", "k2", "k3"];

    /// <summary>Base, target and source after <paramref name="steps"/> random steps; client ids are fresh per branch.</summary>
    public static (YDoc Target, YDoc Source) Make(int seed, int steps = 40)
    {
        var r = new Random(seed);
        var b = NewDoc(1);
        Type(b);
        for (int i = 0; i < 10; i++)
        {
            Edit(b, r);
        }

        var t = Fork(b, 2);
        var s = Fork(b, 3);
        Type(t);
        Type(s);
        uint next = 4;
        for (int i = 0; i < steps; i++)
        {
            Edit(r.Next(2) == 0 ? t : s, r);
            if (r.Next(12) == 0)
            {
                // an intermediate merge in a random direction; the receiving branch then writes with a fresh id
                var (to, from) = r.Next(2) == 0 ? (t, s) : (s, t);
                to.ApplyUpdate(from.EncodeStateAsUpdate(to.EncodeStateVector()));
                to.ClientId = next++;
            }
        }

        return (t, s);
    }

    public static void Type(YDoc d)
    {
        d.GetText("t");
        d.GetMap("m");
        d.GetArray("a");
        d.GetXmlFragment("x");
    }

    public static void Edit(YDoc d, Random r)
    {
        var text = d.GetText("t");
        switch (r.Next(11))
        {
            case 0:
            case 1:
                text.Insert(r.Next(text.Length + 1), Words[r.Next(Words.Length)]);
                break;
            case 3:
                if (text.Length > 0)
                {
                    int at = r.Next(text.Length);
                    text.Delete(at, Math.Min(text.Length - at, 1 + r.Next(4)));
                }

                break;
            case 2:
            case 4:
                if (text.Length > 0)
                {
                    int at = r.Next(text.Length);
                    var attrs = new Dictionary<string, object?> { [r.Next(2) == 0 ? "bold" : "color"] = r.Next(4) switch { 0 => null, 1 => true, 2 => "blue", _ => "red" } };
                    text.Format(at, Math.Min(text.Length - at, 1 + r.Next(5)), attrs);
                }

                break;
            case 5:
                if (r.Next(4) == 0)
                {
                    d.GetMap("m").Delete(Keys[r.Next(Keys.Length)]);
                }
                else if (r.Next(5) == 0)
                {
                    var nested = new YMap();
                    d.GetMap("m").Set(Keys[r.Next(Keys.Length)], nested);
                    nested.Set("v", (long)r.Next(3));
                }
                else
                {
                    d.GetMap("m").Set(Keys[r.Next(Keys.Length)], (long)r.Next(3));
                }

                break;
            case 6:
                if (d.GetMap("m").Get(Keys[r.Next(Keys.Length)]) is YMap inner)
                {
                    inner.Set("w", (long)r.Next(3));
                }

                break;
            case 7:
                {
                    var a = d.GetArray("a");
                    if (a.Length > 0 && r.Next(3) == 0)
                    {
                        a.Delete(r.Next(a.Length));
                    }
                    else
                    {
                        a.Insert(r.Next(a.Length + 1), (long)r.Next(100));
                    }

                    break;
                }

            case 8:
                {
                    var x = d.GetXmlFragment("x");
                    if (x.Length > 0 && r.Next(3) == 0)
                    {
                        x.Delete(r.Next(x.Length));
                    }
                    else
                    {
                        var p = new YXmlElement(r.Next(2) == 0 ? "p" : "h1");
                        x.Insert(r.Next(x.Length + 1), p);
                        p.Insert(0, new YXmlText(Words[r.Next(Words.Length)]));
                    }

                    break;
                }

            case 9:
                {
                    var x = d.GetXmlFragment("x");
                    if (x.Length > 0 && x.Get(r.Next(x.Length)) is YXmlElement el)
                    {
                        el.SetAttribute("align", r.Next(2) == 0 ? "left" : "right");
                    }

                    break;
                }

            default:
                {
                    var x = d.GetXmlFragment("x");
                    if (x.Length > 0 && x.Get(r.Next(x.Length)) is YXmlElement el && el.Length > 0 && el.Get(0) is YXmlText xt)
                    {
                        xt.Insert(r.Next(xt.Length + 1), Words[r.Next(Words.Length)]);
                    }

                    break;
                }
        }
    }
}
