using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Collab.Crdt.Encoding;

/// <summary>
/// JSON text exactly as JavaScript's <c>JSON.parse</c>/<c>JSON.stringify</c> read and write it (yjs stores JSON,
/// Embed and Format contents as JSON text). Parsed numbers become long when integral and within 2^53, else double
/// (-0 stays a double); objects become insertion-ordered <c>Dictionary&lt;string, object?&gt;</c>, arrays
/// <c>List&lt;object?&gt;</c>. Stringify prints numbers like JavaScript, keys in JavaScript order, omits undefined
/// object members and prints undefined array elements as null.
/// </summary>
public static class JsJson
{
    /// <summary>Maximum nesting accepted by <see cref="Parse"/>.</summary>
    public const int MaxDepth = 256;

    /// <summary>JavaScript <c>JSON.stringify(value)</c>; returns null for a top-level undefined.</summary>
    public static string? Stringify(object? value)
    {
        if (value is YUndefined)
        {
            return null;
        }

        var sb = new StringBuilder();
        Write(sb, value, 0, lenient: false);
        return sb.ToString();
    }

    /// <summary>
    /// Like <see cref="Stringify"/> but never fails on values only update format v2 can carry: undefined becomes
    /// "null" and a bigint its digits. Used when writing JSON/Embed/Format contents in v1, where yjs would throw.
    /// </summary>
    internal static string StringifyForEncoding(object? value)
    {
        if (value is YUndefined)
        {
            return "null";
        }

        var sb = new StringBuilder();
        Write(sb, value, 0, lenient: true);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int depth, bool lenient)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException("JSON value nested too deeply");
        }

        switch (value)
        {
            case null:
            case YUndefined:
                sb.Append("null");
                return;
            case string s:
                WriteString(sb, s);
                return;
            case bool b:
                sb.Append(b ? "true" : "false");
                return;
            case long l:
                sb.Append(JsNumber.ToString(l));
                return;
            case int i:
                sb.Append(i.ToString(CultureInfo.InvariantCulture));
                return;
            case double d:
                sb.Append(double.IsFinite(d) ? JsNumber.ToString(d) : "null");
                return;
            case float f:
                sb.Append(double.IsFinite(f) ? JsNumber.ToString(f) : "null");
                return;
            case uint or ulong or short or ushort or byte or sbyte:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case decimal m:
                sb.Append(JsNumber.ToString((double)m));
                return;
            case BigInteger bi:
                if (!lenient)
                {
                    throw new ArgumentException("Do not know how to serialize a BigInt");
                }

                sb.Append(bi.ToString(CultureInfo.InvariantCulture));
                return;
            case byte[] bytes:
                // A Uint8Array stringifies as an object with index keys.
                sb.Append('{');
                for (int k = 0; k < bytes.Length; k++)
                {
                    if (k > 0)
                    {
                        sb.Append(',');
                    }

                    sb.Append('"').Append(k.ToString(CultureInfo.InvariantCulture)).Append("\":")
                        .Append(bytes[k].ToString(CultureInfo.InvariantCulture));
                }

                sb.Append('}');
                return;
            case IEnumerable<KeyValuePair<string, object?>> dict:
                {
                    sb.Append('{');
                    bool first = true;
                    foreach (var kv in JsKeyOrder.Order(dict))
                    {
                        if (kv.Value is YUndefined)
                        {
                            continue;
                        }

                        if (!first)
                        {
                            sb.Append(',');
                        }

                        first = false;
                        WriteString(sb, kv.Key);
                        sb.Append(':');
                        Write(sb, kv.Value, depth + 1, lenient);
                    }

                    sb.Append('}');
                    return;
                }

            case IEnumerable seq:
                {
                    sb.Append('[');
                    bool first = true;
                    foreach (var o in seq)
                    {
                        if (!first)
                        {
                            sb.Append(',');
                        }

                        first = false;
                        Write(sb, o, depth + 1, lenient);
                    }

                    sb.Append(']');
                    return;
                }

            default:
                throw new ArgumentException($"Value of type {value.GetType()} cannot be serialized as JSON");
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c))
                    {
                        if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                        {
                            sb.Append(c).Append(s[i + 1]);
                            i++;
                        }
                        else
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                    }
                    else if (char.IsLowSurrogate(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    /// <summary>JavaScript <c>JSON.parse(text)</c>; throws <see cref="YjsFormatException"/> on invalid JSON.</summary>
    public static object? Parse(string text)
    {
        var p = new Parser(text);
        p.SkipWs();
        var v = p.ParseValue(0);
        p.SkipWs();
        if (p.Pos != text.Length)
        {
            throw new YjsFormatException($"Unexpected character in JSON at position {p.Pos}");
        }

        return v;
    }

    private ref struct Parser
    {
        private readonly string _s;
        public int Pos;

        public Parser(string s)
        {
            _s = s;
            Pos = 0;
        }

        public void SkipWs()
        {
            while (Pos < _s.Length && (_s[Pos] == ' ' || _s[Pos] == '\t' || _s[Pos] == '\n' || _s[Pos] == '\r'))
            {
                Pos++;
            }
        }

        private readonly YjsFormatException Fail(string what) => new($"Invalid JSON: {what} at position {Pos}");

        public object? ParseValue(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Fail("nesting too deep");
            }

            if (Pos >= _s.Length)
            {
                throw Fail("unexpected end");
            }

            char c = _s[Pos];
            switch (c)
            {
                case '{':
                    {
                        Pos++;
                        var obj = new Dictionary<string, object?>();
                        SkipWs();
                        if (Pos < _s.Length && _s[Pos] == '}')
                        {
                            Pos++;
                            return obj;
                        }

                        while (true)
                        {
                            SkipWs();
                            if (Pos >= _s.Length || _s[Pos] != '"')
                            {
                                throw Fail("expected a key");
                            }

                            string key = ParseString();
                            SkipWs();
                            Expect(':');
                            SkipWs();
                            obj[key] = ParseValue(depth + 1);
                            SkipWs();
                            if (Pos < _s.Length && _s[Pos] == ',')
                            {
                                Pos++;
                                continue;
                            }

                            Expect('}');
                            return obj;
                        }
                    }

                case '[':
                    {
                        Pos++;
                        var arr = new List<object?>();
                        SkipWs();
                        if (Pos < _s.Length && _s[Pos] == ']')
                        {
                            Pos++;
                            return arr;
                        }

                        while (true)
                        {
                            SkipWs();
                            arr.Add(ParseValue(depth + 1));
                            SkipWs();
                            if (Pos < _s.Length && _s[Pos] == ',')
                            {
                                Pos++;
                                continue;
                            }

                            Expect(']');
                            return arr;
                        }
                    }

                case '"':
                    return ParseString();
                case 't':
                    Literal("true");
                    return true;
                case 'f':
                    Literal("false");
                    return false;
                case 'n':
                    Literal("null");
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return ParseNumber();
                    }

                    throw Fail($"unexpected character '{c}'");
            }
        }

        private void Expect(char c)
        {
            if (Pos >= _s.Length || _s[Pos] != c)
            {
                throw Fail($"expected '{c}'");
            }

            Pos++;
        }

        private void Literal(string lit)
        {
            if (string.CompareOrdinal(_s, Pos, lit, 0, lit.Length) != 0)
            {
                throw Fail("invalid literal");
            }

            Pos += lit.Length;
        }

        private object ParseNumber()
        {
            int start = Pos;
            if (_s[Pos] == '-')
            {
                Pos++;
            }

            if (Pos >= _s.Length)
            {
                throw Fail("invalid number");
            }

            if (_s[Pos] == '0')
            {
                Pos++;
            }
            else if (_s[Pos] >= '1' && _s[Pos] <= '9')
            {
                while (Pos < _s.Length && char.IsAsciiDigit(_s[Pos]))
                {
                    Pos++;
                }
            }
            else
            {
                throw Fail("invalid number");
            }

            if (Pos < _s.Length && _s[Pos] == '.')
            {
                Pos++;
                int ds = Pos;
                while (Pos < _s.Length && char.IsAsciiDigit(_s[Pos]))
                {
                    Pos++;
                }

                if (Pos == ds)
                {
                    throw Fail("invalid number");
                }
            }

            if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
            {
                Pos++;
                if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-'))
                {
                    Pos++;
                }

                int ds = Pos;
                while (Pos < _s.Length && char.IsAsciiDigit(_s[Pos]))
                {
                    Pos++;
                }

                if (Pos == ds)
                {
                    throw Fail("invalid number");
                }
            }

            double d = double.Parse(_s.AsSpan(start, Pos - start), NumberStyles.Float, CultureInfo.InvariantCulture);
            return JsNumber.Normalize(d);
        }

        private string ParseString()
        {
            Pos++; // opening quote
            StringBuilder? sb = null;
            int runStart = Pos;
            while (true)
            {
                if (Pos >= _s.Length)
                {
                    throw Fail("unterminated string");
                }

                char c = _s[Pos];
                if (c == '"')
                {
                    string result = sb is null
                        ? _s.Substring(runStart, Pos - runStart)
                        : sb.Append(_s, runStart, Pos - runStart).ToString();
                    Pos++;
                    return result;
                }

                if (c < 0x20)
                {
                    throw Fail("control character in string");
                }

                if (c != '\\')
                {
                    Pos++;
                    continue;
                }

                sb ??= new StringBuilder();
                sb.Append(_s, runStart, Pos - runStart);
                Pos++;
                if (Pos >= _s.Length)
                {
                    throw Fail("unterminated escape");
                }

                char e = _s[Pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (Pos + 4 > _s.Length
                            || !int.TryParse(_s.AsSpan(Pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        {
                            throw Fail("invalid unicode escape");
                        }

                        sb.Append((char)code);
                        Pos += 4;
                        break;
                    default:
                        throw Fail("invalid escape");
                }

                runStart = Pos;
            }
        }
    }
}
