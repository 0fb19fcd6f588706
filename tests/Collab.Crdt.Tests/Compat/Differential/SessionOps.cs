using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Compat.Differential;

/// <summary>
/// Random edit operations for the differential sessions, and their C# execution. The JS side is tests/js/lib/ops.mjs:
/// the two must resolve every op to the same index with the same integer arithmetic (index = at mod (length + 1)).
/// Roots: text 't', map 'm', array 'a', xml fragment 'x'.
/// </summary>
internal static class SessionOps
{
    public static readonly (string Name, string Kind)[] Roots = [("t", "text"), ("m", "map"), ("a", "array"), ("x", "xml")];

    private static readonly string[] s_texts = ["a", "hello ", "wörld", "😀", "e\u0301", "שלום", "\n", "xyz", "🏳️‍🌈", "  "];
    private static readonly string[] s_keys = ["k1", "k2", "k3", "title", "n"];
    private static readonly string[] s_nestedKeys = ["nt", "na", "nm"];
    private static readonly string[] s_xmlNames = ["p", "h1", "li", "blockquote"];
    private static readonly string[] s_attrJson =
    [
        """{"bold":true}""", """{"italic":true}""", """{"bold":null}""", """{"link":{"href":"https://x.test/a"}}""",
        """{"color":"#f00","size":12}""", """{"italic":null,"code":true}""",
    ];

    private static readonly string[] s_valueJson =
    [
        "1", "-7", "2.5", "0.1", "4294967296", "true", "false", "null", "\"str\"", "\"\"", """{"a":[1,2,{"b":null}]}""", "[]",
        """["x",3]""", "1e21",
    ];

    private static readonly string[] s_embedJson = ["""{"image":"a.png"}""", """{"formula":"e=mc^2","inline":true}"""];

    /// <summary>One random op (a JSON object as ops.mjs reads it).</summary>
    public static JsonObject Next(Random r)
    {
        int at = r.Next(0, 1 << 30);
        int n = r.Next(0, 1 << 30);
        int kind = r.Next(118);
        return kind switch
        {
            < 30 => new JsonObject
            {
                ["op"] = "textInsert",
                ["at"] = at,
                ["text"] = Pick(r, s_texts),
                ["attrs"] = r.Next(3) == 0 ? JsonNode.Parse(Pick(r, s_attrJson)) : null,
            },
            < 42 => new JsonObject { ["op"] = "textDelete", ["at"] = at, ["n"] = n },
            < 48 => new JsonObject { ["op"] = "textFormat", ["at"] = at, ["n"] = n, ["attrs"] = JsonNode.Parse(Pick(r, s_attrJson)) },
            < 50 => new JsonObject { ["op"] = "textEmbed", ["at"] = at, ["embed"] = JsonNode.Parse(Pick(r, s_embedJson)) },
            < 56 => new JsonObject { ["op"] = "mapSet", ["key"] = Pick(r, s_keys), ["value"] = JsonNode.Parse(Pick(r, s_valueJson)) },
            < 58 => new JsonObject { ["op"] = "mapDelete", ["key"] = Pick(r, s_keys) },
            < 60 => new JsonObject { ["op"] = "mapSetType", ["key"] = Pick(r, s_nestedKeys), ["type"] = Pick(r, ["text", "array", "map"]) },
            < 67 => new JsonObject
            {
                ["op"] = "nested",
                ["key"] = Pick(r, s_nestedKeys),
                ["at"] = at,
                ["text"] = Pick(r, s_texts),
                ["value"] = JsonNode.Parse(Pick(r, s_valueJson)),
            },
            < 75 => new JsonObject
            {
                ["op"] = "arrayInsert",
                ["at"] = at,
                ["values"] = new JsonArray(Enumerable.Range(0, r.Next(1, 4)).Select(_ => JsonNode.Parse(Pick(r, s_valueJson))).ToArray()),
            },
            < 80 => new JsonObject { ["op"] = "arrayDelete", ["at"] = at, ["n"] = n },
            < 82 => new JsonObject { ["op"] = "arrayInsertType", ["at"] = at, ["type"] = Pick(r, ["text", "array", "map"]) },
            < 87 => new JsonObject
            {
                ["op"] = "xmlInsertElement",
                ["at"] = at,
                ["name"] = Pick(r, s_xmlNames),
                ["attr"] = r.Next(2) == 0 ? new JsonArray("class", Pick(r, ["a", "b", "c d"])) : null,
            },
            < 90 => new JsonObject { ["op"] = "xmlInsertText", ["at"] = at, ["text"] = Pick(r, s_texts) },
            < 96 => new JsonObject
            {
                ["op"] = "xmlEditChild",
                ["at"] = at,
                ["key"] = Pick(r, ["id", "class", "data-x"]),
                ["value"] = Pick(r, s_texts),
            },
            < 98 => new JsonObject { ["op"] = "xmlDelete", ["at"] = at, ["n"] = n },
            < 100 => new JsonObject { ["op"] = "mapSetBytes", ["key"] = Pick(r, s_keys), ["bytes"] = Convert.ToBase64String(RandomBytes(r)) },
            < 106 => new JsonObject
            {
                ["op"] = "arrayNested",
                ["at"] = at,
                ["text"] = Pick(r, s_texts),
                ["attrs"] = r.Next(3) == 0 ? JsonNode.Parse(Pick(r, s_attrJson)) : null,
                ["value"] = JsonNode.Parse(Pick(r, s_valueJson)),
            },
            < 112 => r.Next(2) == 0
                ? new JsonObject { ["op"] = "xmlNest", ["at"] = at, ["name"] = Pick(r, s_xmlNames) }
                : new JsonObject { ["op"] = "xmlNest", ["at"] = at, ["text"] = Pick(r, s_texts) },
            _ => new JsonObject
            {
                ["op"] = "textApplyDelta",
                ["at"] = at,
                ["n"] = n,
                ["text"] = Pick(r, s_texts),
                ["attrs"] = r.Next(2) == 0 ? JsonNode.Parse(Pick(r, s_attrJson)) : null,
                ["format"] = JsonNode.Parse(Pick(r, s_attrJson)),
            },
        };
    }

    /// <summary>
    /// An op aimed at the same few places as every other peer's: concurrent inserts at one position (YATA ordering by
    /// client id and origins), the same map key, the head of the array and of the XML fragment.
    /// </summary>
    public static JsonObject NextHotspot(Random r) => r.Next(8) switch
    {
        < 4 => new JsonObject { ["op"] = "textInsert", ["at"] = r.Next(3), ["text"] = Pick(r, s_texts), ["attrs"] = null },
        4 => new JsonObject { ["op"] = "textDelete", ["at"] = r.Next(4), ["n"] = r.Next(3) },
        5 => new JsonObject { ["op"] = "mapSet", ["key"] = "k1", ["value"] = r.Next(1000) },
        6 => new JsonObject { ["op"] = "arrayInsert", ["at"] = 0, ["values"] = new JsonArray(r.Next(1000)) },
        _ => new JsonObject { ["op"] = "xmlInsertElement", ["at"] = 0, ["name"] = Pick(r, s_xmlNames), ["attr"] = null },
    };

    /// <summary>Applies one op to the C# doc, as applyOp in ops.mjs does to a yjs doc.</summary>
    public static void Apply(YDoc doc, JsonObject o)
    {
        var t = doc.GetText("t");
        var m = doc.GetMap("m");
        var a = doc.GetArray("a");
        var x = doc.GetXmlFragment("x");
        int at = o["at"]?.GetValue<int>() ?? 0;
        int n = o["n"]?.GetValue<int>() ?? 0;
        switch (o["op"]!.GetValue<string>())
        {
            case "textInsert":
                t.Insert(Pos(at, t.Length), Str(o["text"]), Attrs(o["attrs"]));
                break;
            case "textDelete":
                if (t.Length > 0)
                {
                    var (i, c) = Span(at, n, t.Length, 8);
                    t.Delete(i, c);
                }

                break;
            case "textFormat":
                if (t.Length > 0)
                {
                    var (i, c) = Span(at, n, t.Length, 12);
                    t.Format(i, c, Attrs(o["attrs"])!);
                }

                break;
            case "textEmbed":
                t.InsertEmbed(Pos(at, t.Length), Value(o["embed"])!);
                break;
            case "mapSet":
                m.Set(Str(o["key"]), Value(o["value"]));
                break;
            case "mapDelete":
                m.Delete(Str(o["key"]));
                break;
            case "mapSetType":
                m.Set(Str(o["key"]), NewType(Str(o["type"])));
                break;
            case "nested":
                EditNested(m.Get(Str(o["key"])), at, o);
                break;
            case "arrayInsert":
                a.Insert(Pos(at, a.Length), o["values"]!.AsArray().Select(Value).ToArray());
                break;
            case "arrayDelete":
                if (a.Length > 0)
                {
                    var (i, c) = Span(at, n, a.Length, 5);
                    a.Delete(i, c);
                }

                break;
            case "arrayInsertType":
                a.Insert(Pos(at, a.Length), NewType(Str(o["type"])));
                break;
            case "xmlInsertElement":
                {
                    var el = new YXmlElement(Str(o["name"]));
                    x.Insert(Pos(at, x.Length), el);
                    if (o["attr"] is JsonArray attr)
                    {
                        el.SetAttribute(Str(attr[0]), Str(attr[1]));
                    }

                    break;
                }

            case "xmlInsertText":
                {
                    var xt = new YXmlText();
                    x.Insert(Pos(at, x.Length), xt);
                    xt.Insert(0, Str(o["text"]));
                    break;
                }

            case "xmlEditChild":
                if (x.Length > 0)
                {
                    switch (x.Get(at % x.Length))
                    {
                        case YXmlElement el:
                            el.SetAttribute(Str(o["key"]), Str(o["value"]));
                            break;
                        case YXmlText xt:
                            xt.Insert(Pos(at, xt.Length), Str(o["value"]));
                            break;
                    }
                }

                break;
            case "textApplyDelta":
                t.ApplyDelta(DeltaFor(o, at, n, t.Length));
                break;
            case "mapSetBytes":
                m.Set(Str(o["key"]), Convert.FromBase64String(Str(o["bytes"])));
                break;
            case "arrayNested":
                if (a.Length > 0)
                {
                    EditNested(a.Get(at % a.Length), at, o);
                }

                break;
            case "xmlNest":
                if (x.Length > 0 && x.Get(at % x.Length) is YXmlElement parent)
                {
                    if (o["name"] is { } name)
                    {
                        parent.Insert(Pos(at, parent.Length), new YXmlElement(Str(name)));
                    }
                    else
                    {
                        var xt = new YXmlText();
                        parent.Insert(Pos(at, parent.Length), xt);
                        xt.Insert(0, Str(o["text"]));
                    }
                }

                break;
            case "xmlDelete":
                if (x.Length > 0)
                {
                    var (i, c) = Span(at, n, x.Length, 2);
                    x.Delete(i, c);
                }

                break;
            default:
                throw new InvalidOperationException("unknown op " + o.ToJsonString());
        }
    }

    /// <summary>retain to a position, insert, then (room permitting) format a few units and delete one (deltaFor in ops.mjs).</summary>
    private static List<YDeltaOp> DeltaFor(JsonObject o, int at, int n, int length)
    {
        int i = Pos(at, length);
        var delta = new List<YDeltaOp> { new() { Retain = i }, new() { Insert = Str(o["text"]), Attributes = Attrs(o["attrs"]) } };
        int rest = length - i;
        if (rest > 0)
        {
            int r = 1 + (n % Math.Min(5, rest));
            delta.Add(new YDeltaOp { Retain = r, Attributes = Attrs(o["format"]) });
            if (rest - r > 0)
            {
                delta.Add(new YDeltaOp { Delete = 1 });
            }
        }

        return delta;
    }

    /// <summary>An edit inside a nested type, whichever kind it is (editNested in ops.mjs).</summary>
    private static void EditNested(object? target, int at, JsonObject o)
    {
        switch (target)
        {
            case YText nt:
                nt.Insert(Pos(at, nt.Length), Str(o["text"]), Attrs(o["attrs"]));
                break;
            case YArray na:
                na.Insert(Pos(at, na.Length), Value(o["value"]));
                break;
            case YMap nm:
                nm.Set("k" + (at % 3), Value(o["value"]));
                break;
        }
    }

    private static int Pos(int at, int length) => at % (length + 1);

    private static (int Index, int Count) Span(int at, int n, int length, int max)
    {
        int i = at % length;
        return (i, 1 + (n % Math.Min(max, length - i)));
    }

    private static AbstractType NewType(string kind) => kind switch
    {
        "text" => new YText(),
        "array" => new YArray(),
        "map" => new YMap(),
        _ => throw new InvalidOperationException("unknown type kind " + kind),
    };

    private static string Str(JsonNode? node) => node!.GetValue<string>();

    /// <summary>A JSON value as the engine represents JS values (JsJson: long/double, Dictionary, List).</summary>
    private static object? Value(JsonNode? node) => node is null ? null : JsJson.Parse(node.ToJsonString());

    private static Dictionary<string, object?>? Attrs(JsonNode? node) => (Dictionary<string, object?>?)Value(node);

    private static T Pick<T>(Random r, T[] items) => items[r.Next(items.Length)];

    private static byte[] RandomBytes(Random r)
    {
        var bytes = new byte[r.Next(0, 20)];
        r.NextBytes(bytes);
        return bytes;
    }
}
