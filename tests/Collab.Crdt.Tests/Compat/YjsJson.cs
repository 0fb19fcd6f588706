using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Types;

namespace Collab.Crdt.Tests.Compat;

/// <summary>
/// One canonical text for "the same content" on both sides: the tagged JSON that tests/js/lib/content.mjs writes for
/// yjs values, and the engine's object graph (ToJson, ToDelta, XML trees). Object keys are sorted, numbers are printed
/// from their double value, and undefined / bigint / bytes / NaN / -0 / subdocuments are tagged objects as in content.mjs.
/// </summary>
internal static class YjsJson
{
    /// <summary>Canonical text of a yjs-side value.</summary>
    public static string FromJs(JsonNode? node)
    {
        var sb = new StringBuilder();
        WriteJs(sb, node);
        return sb.ToString();
    }

    /// <summary>Canonical text of an engine-side value (a shared type is written as its ToJson()).</summary>
    public static string FromEngine(object? value)
    {
        var sb = new StringBuilder();
        WriteEngine(sb, value);
        return sb.ToString();
    }

    /// <summary>The delta of a YText / YXmlText, as yjs's toDelta().</summary>
    public static string Delta(YText text) => FromEngine(text.ToDelta().ConvertAll(op => op.ToJson()));

    /// <summary>Structure of an XML tree, as xmlTree() in content.mjs.</summary>
    public static string XmlTree(AbstractType node) => FromEngine(XmlTreeObject(node));

    private static Dictionary<string, object?> XmlTreeObject(AbstractType node) => node switch
    {
        YXmlHook hook => new() { ["hook"] = hook.HookName, ["entries"] = hook.ToJson() },
        YXmlText text => new() { ["text"] = text.ToDelta().ConvertAll(op => (object?)op.ToJson()), ["attrs"] = text.GetAttributes() },
        YXmlElement el => new()
        {
            ["element"] = el.NodeName,
            ["attrs"] = el.GetAttributes(),
            ["children"] = el.ToArray().ConvertAll(c => (object?)XmlTreeObject(c)),
        },
        YXmlFragment frag => new() { ["fragment"] = frag.ToArray().ConvertAll(c => (object?)XmlTreeObject(c)) },
        _ => throw new ArgumentException("not an XML node: " + node.GetType().Name),
    };

    private static void WriteJs(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                WriteObject(sb, obj.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)), (s, v) => WriteJs(s, (JsonNode?)v));
                break;
            case JsonArray arr:
                sb.Append('[');
                for (int i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    WriteJs(sb, arr[i]);
                }

                sb.Append(']');
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                WriteString(sb, v.GetValue<string>());
                break;
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                sb.Append(v.GetValue<bool>() ? "true" : "false");
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                WriteNumber(sb, v.GetValue<double>());
                break;
            default:
                throw new ArgumentException("unexpected JSON node " + node.ToJsonString());
        }
    }

    private static void WriteEngine(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case YUndefined:
                sb.Append("{\"$undefined\":true}");
                break;
            case string s:
                WriteString(sb, s);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case BigInteger big:
                sb.Append("{\"$bigint\":");
                WriteString(sb, big.ToString(CultureInfo.InvariantCulture));
                sb.Append('}');
                break;
            case double d:
                WriteNumber(sb, d);
                break;
            case float f:
                WriteNumber(sb, f);
                break;
            case long or int or uint or ulong or short or ushort or byte or sbyte:
                WriteNumber(sb, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                sb.Append("{\"$bytes\":");
                WriteString(sb, Convert.ToBase64String(bytes));
                sb.Append('}');
                break;
            case YDoc doc:
                sb.Append("{\"$doc\":");
                WriteString(sb, doc.Guid);
                sb.Append('}');
                break;
            case AbstractType type:
                WriteEngine(sb, type.ToJson());
                break;
            case YDeltaOp op:
                WriteEngine(sb, op.ToJson());
                break;
            case IDictionary<string, object?> dict:
                WriteObject(sb, dict, WriteEngine);
                break;
            case IEnumerable list:
                sb.Append('[');
                bool first = true;
                foreach (object? item in list)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }

                    first = false;
                    WriteEngine(sb, item);
                }

                sb.Append(']');
                break;
            default:
                throw new ArgumentException($"unexpected engine value of type {value.GetType().FullName}");
        }
    }

    private static void WriteObject(StringBuilder sb, IEnumerable<KeyValuePair<string, object?>> entries, Action<StringBuilder, object?> writeValue)
    {
        sb.Append('{');
        bool first = true;
        foreach (var kv in entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                sb.Append(',');
            }

            first = false;
            WriteString(sb, kv.Key);
            sb.Append(':');
            writeValue(sb, kv.Value);
        }

        sb.Append('}');
    }

    private static void WriteNumber(StringBuilder sb, double d)
    {
        if (double.IsNaN(d))
        {
            sb.Append("{\"$num\":\"NaN\"}");
        }
        else if (double.IsPositiveInfinity(d))
        {
            sb.Append("{\"$num\":\"Infinity\"}");
        }
        else if (double.IsNegativeInfinity(d))
        {
            sb.Append("{\"$num\":\"-Infinity\"}");
        }
        else if (d == 0 && double.IsNegative(d))
        {
            sb.Append("{\"$num\":\"-0\"}");
        }
        else
        {
            sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void WriteString(StringBuilder sb, string s) => sb.Append(JsonSerializer.Serialize(s));
}
