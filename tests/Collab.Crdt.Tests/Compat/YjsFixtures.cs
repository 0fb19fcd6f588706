using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Compat;

/// <summary>The golden fixtures written by tests/js/gen-fixtures.mjs (see its header for the format).</summary>
internal static class YjsFixtures
{
    private static readonly Lazy<JsonNode> s_root = new(() =>
        JsonNode.Parse(File.ReadAllText(JsEnvironment.FixturesFile))
        ?? throw new InvalidOperationException("empty fixtures file " + JsEnvironment.FixturesFile));

    public static JsonNode Root => s_root.Value;

    public static IEnumerable<JsonObject> Docs => Root["docs"]!.AsArray().Select(n => n!.AsObject());

    public static IEnumerable<JsonObject> Ops => Root["ops"]!.AsArray().Select(n => n!.AsObject());

    public static JsonObject Doc(string name) => Docs.Single(d => d["name"]!.GetValue<string>() == name);

    public static JsonObject Op(string name) => Ops.Single(d => d["name"]!.GetValue<string>() == name);

    public static TheoryData<string> Names(IEnumerable<JsonObject> items)
    {
        var data = new TheoryData<string>();
        foreach (var item in items)
        {
            data.Add(item["name"]!.GetValue<string>());
        }

        return data;
    }

    public static byte[] Bytes(JsonNode? node) => Convert.FromBase64String(node!.GetValue<string>());

    /// <summary>
    /// Checks every root of <paramref name="doc"/> against what yjs reported (content.mjs rootContent): toJSON,
    /// toString and toDelta for text, the structural tree for XML. Reading a root fixes its type, as in yjs.
    /// </summary>
    public static void AssertContent(YDoc doc, JsonArray roots, JsonNode expected, string context)
    {
        foreach (var r in roots)
        {
            string name = r!["name"]!.GetValue<string>();
            string kind = r["kind"]!.GetValue<string>();
            var exp = expected[name]!;
            switch (kind)
            {
                case "text":
                    {
                        var text = doc.GetText(name);
                        Assert.True(exp["string"]!.GetValue<string>() == text.ToString(), $"{context}: text '{name}' toString\nyjs: {exp["string"]}\nC#:  {text}");
                        AssertSame(exp["delta"], YjsJson.Delta(text), $"{context}: text '{name}' toDelta");
                        AssertSame(exp["json"], YjsJson.FromEngine(text.ToJson()), $"{context}: text '{name}' toJSON");
                        break;
                    }

                case "map":
                    AssertSame(exp["json"], YjsJson.FromEngine(doc.GetMap(name).ToJson()), $"{context}: map '{name}' toJSON");
                    break;
                case "array":
                    AssertSame(exp["json"], YjsJson.FromEngine(doc.GetArray(name).ToJson()), $"{context}: array '{name}' toJSON");
                    break;
                case "xml":
                    {
                        var frag = doc.GetXmlFragment(name);
                        AssertSame(exp["xml"], YjsJson.XmlTree(frag), $"{context}: xml '{name}' tree");
                        if (exp["string"] is { } s)
                        {
                            Assert.True(s.GetValue<string>() == frag.ToString(), $"{context}: xml '{name}' toString\nyjs: {s}\nC#:  {frag}");
                            AssertSame(exp["json"], YjsJson.FromEngine(frag.ToJson()), $"{context}: xml '{name}' toJSON");
                        }

                        break;
                    }

                default:
                    throw new InvalidOperationException("unknown root kind " + kind);
            }
        }
    }

    /// <summary>Byte equality, reported as base64 with the first differing offset.</summary>
    public static void AssertBytes(byte[] expected, byte[] actual, string context)
    {
        if (expected.AsSpan().SequenceEqual(actual))
        {
            return;
        }

        int i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i])
        {
            i++;
        }

        Assert.Fail($"{context}: bytes differ at offset {i} (yjs {expected.Length} bytes, C# {actual.Length} bytes)\n" +
                    $"yjs: {Convert.ToBase64String(expected)}\nC#:  {Convert.ToBase64String(actual)}");
    }

    private static void AssertSame(JsonNode? yjs, string engine, string context)
    {
        string expected = YjsJson.FromJs(yjs);
        Assert.True(expected == engine, $"{context}\nyjs: {expected}\nC#:  {engine}");
    }
}
