using System.Text.Json;

namespace Collab.Documents.Proofs;

/// <summary>
/// The common export line — an event without a record, its fields by their camelCase names — written and read without
/// the serializer's reflection (an export holds hundreds of thousands of them). Anything else (a record, a field
/// missing, spelled otherwise, null or of another type) is left to <see cref="JsonSerializer"/>, so every line gives
/// exactly what the serializer gives.
/// </summary>
internal static class ExportEventCodec
{
    /// <summary>Writes <paramref name="e"/> as <see cref="JsonSerializer"/> writes it with <see cref="ExportJson.Options"/>.</summary>
    public static void Write(Utf8JsonWriter writer, ExportEvent e)
    {
        if (e.Record is not null || e.Branch is null || e.Kind is null || e.Author is null || e.ClientIds is null || e.Payload is null || e.PreviousHash is null || e.Hash is null)
        {
            JsonSerializer.Serialize(writer, e, ExportJson.Options);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("branch"u8, e.Branch);
        writer.WriteNumber("seq"u8, e.Seq);
        writer.WriteString("kind"u8, e.Kind);
        writer.WriteString("author"u8, e.Author);
        writer.WriteNumber("time"u8, e.Time);
        if (e.UpdateId is not null) writer.WriteString("updateId"u8, e.UpdateId);
        writer.WriteStartArray("clientIds"u8);
        foreach (var id in e.ClientIds) writer.WriteNumberValue(id);
        writer.WriteEndArray();
        writer.WriteNumber("schemaVersion"u8, e.SchemaVersion);
        writer.WriteBase64String("payload"u8, e.Payload);
        writer.WriteString("previousHash"u8, e.PreviousHash);
        writer.WriteString("hash"u8, e.Hash);
        writer.WriteEndObject();
    }

    /// <summary>Reads one line as <see cref="JsonSerializer"/> reads it with <see cref="ExportJson.Options"/> (which throws what it throws).</summary>
    public static ExportEvent? Read(ReadOnlySpan<byte> utf8) =>
        TryReadPlain(utf8, out var e) ? e : JsonSerializer.Deserialize<ExportEvent>(utf8, ExportJson.Options);

    private static bool TryReadPlain(ReadOnlySpan<byte> utf8, out ExportEvent? result)
    {
        result = null;
        string? branch = null, kind = null, author = null, updateId = null, previousHash = null, hash = null;
        long seq = 0, time = 0;
        int schemaVersion = 0;
        List<uint>? clientIds = null;
        byte[]? payload = null;
        var seen = 0;
        var reader = new Utf8JsonReader(utf8);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject) break;
                if (reader.TokenType != JsonTokenType.PropertyName || reader.ValueIsEscaped) return false;
                var name = reader.ValueSpan;
                if (!reader.Read()) return false;
                var token = reader.TokenType;
                int bit;
                if (name.SequenceEqual("branch"u8) && token == JsonTokenType.String) (bit, branch) = (1, reader.GetString());
                else if (name.SequenceEqual("seq"u8) && token == JsonTokenType.Number && reader.TryGetInt64(out seq)) bit = 2;
                else if (name.SequenceEqual("kind"u8) && token == JsonTokenType.String) (bit, kind) = (4, reader.GetString());
                else if (name.SequenceEqual("author"u8) && token == JsonTokenType.String) (bit, author) = (8, reader.GetString());
                else if (name.SequenceEqual("time"u8) && token == JsonTokenType.Number && reader.TryGetInt64(out time)) bit = 16;
                else if (name.SequenceEqual("updateId"u8) && token == JsonTokenType.String) (bit, updateId) = (32, reader.GetString());
                else if (name.SequenceEqual("clientIds"u8) && token == JsonTokenType.StartArray)
                {
                    bit = 64;
                    clientIds = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt32(out var id)) return false;
                        clientIds.Add(id);
                    }
                }
                else if (name.SequenceEqual("schemaVersion"u8) && token == JsonTokenType.Number && reader.TryGetInt32(out schemaVersion)) bit = 128;
                else if (name.SequenceEqual("payload"u8) && token == JsonTokenType.String && reader.TryGetBytesFromBase64(out payload)) bit = 256;
                else if (name.SequenceEqual("previousHash"u8) && token == JsonTokenType.String) (bit, previousHash) = (512, reader.GetString());
                else if (name.SequenceEqual("hash"u8) && token == JsonTokenType.String) (bit, hash) = (1024, reader.GetString());
                else return false; // another field, a record, a null: the serializer decides
                if ((seen & bit) != 0) return false; // twice: the serializer decides
                seen |= bit;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false; // anything after the object
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false; // malformed: the serializer names the fault
        }
        if ((seen | 32) != 2047) return false; // every field but the optional update id
        result = new ExportEvent(branch!, seq, kind!, author!, time, updateId, clientIds!, schemaVersion, payload!, previousHash!, hash!, null);
        return true;
    }
}
