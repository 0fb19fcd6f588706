using System.Text.Json;

namespace Collab.Crdt.Updates;

/// <summary>
/// Checks that UTF-8 bytes are one JSON value as JavaScript's <c>JSON.parse</c> accepts it, without building
/// anything. Used for JSON, Embed and Format contents and for awareness states.
/// </summary>
internal static class JsonText
{
    /// <summary>Same bound as the engine's JSON parser, so both accept the same nesting.</summary>
    public const int MaxDepth = Encoding.JsJson.MaxDepth;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth };

    /// <summary>Throws <see cref="YjsFormatException"/> at <paramref name="offset"/> unless the bytes are valid JSON.</summary>
    public static void Validate(ReadOnlySpan<byte> utf8, long offset)
    {
        // Utf8JsonReader does not check the UTF-8 inside strings; lib0 decodes the text strictly first.
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new YjsFormatException("Invalid UTF-8 in JSON text", offset);
        }

        if (!IsValid(utf8))
        {
            throw new YjsFormatException("Invalid JSON text", offset);
        }
    }

    /// <summary>Whether the bytes hold exactly one JSON value (whitespace around it allowed).</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8)
    {
        // Utf8JsonReader is strict RFC 8259 like JSON.parse; string escapes are checked for syntax only, so a lone
        // surrogate escape ("\ud800"), which JSON.parse accepts, passes too.
        try
        {
            var reader = new Utf8JsonReader(utf8, Options);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Whether the bytes are exactly the JSON literal <c>null</c> (surrounding whitespace allowed).</summary>
    public static bool IsNull(ReadOnlySpan<byte> utf8) => utf8.Trim(" \t\r\n"u8).SequenceEqual("null"u8);
}
