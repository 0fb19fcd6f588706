using System.Buffers;
using System.Text;
using System.Text.Json;
using Collab.Documents.Proofs;
using Collab.EventStore;

namespace Collab.Documents.Tests.Proofs;

/// <summary>The export line codec gives byte for byte and field for field what the serializer gives.</summary>
public sealed class ExportEventCodecTests
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static TheoryData<ExportEvent> Events => new()
    {
        new ExportEvent("main", 1, "update", "alice", 1_765_000_000_123, null, [1, 4_294_967_295], 1, [0, 1, 2, 255], new string('0', 64), new string('a', 64), null),
        new ExportEvent("feature/ü", 42, "merge", "ivan \"quoted\" <b>&é😀\n\t", -5, "upd-1/+=", [], 0, [], new string('f', 64), new string('e', 64), null),
        new ExportEvent("main", 3, "record", "bob", 7, null, [7], 2, [9], new string('1', 64), new string('2', 64),
            new ExportRecord(new DomainRecord("version.named", new Dictionary<string, string> { ["name"] = "v1" }), null, null)),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void writes_and_reads_what_the_serializer_writes_and_reads(ExportEvent e)
    {
        var expected = JsonSerializer.SerializeToUtf8Bytes(e, Options);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) ExportEventCodec.Write(writer, e);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(buffer.WrittenSpan));

        var read = ExportEventCodec.Read(expected)!;
        var want = JsonSerializer.Deserialize<ExportEvent>(expected, Options)!;
        Assert.Equal(Json(want), Json(read));
        Assert.Equal(want.ClientIds, read.ClientIds);
        Assert.Equal(want.Payload, read.Payload);
    }

    [Theory]
    [InlineData("""{"branch":"main","seq":"5","kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"AA==","previousHash":"x","hash":"y"}""")] // a number as a string
    [InlineData("""{"Branch":"main","seq":5,"kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"AA==","previousHash":"x","hash":"y"}""")] // another case
    [InlineData("""{"branch":"main","seq":5,"kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"AA==","previousHash":"x","hash":"y","extra":[1,{"a":2}]}""")] // unknown field
    [InlineData("""{"branch":"main","seq":5,"kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"AA==","previousHash":"x","hash":"y","seq":6}""")] // twice
    [InlineData("""{"branch":"m\u0061in","seq":5,"kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"AA==","previousHash":"x","hash":"y","updateId":null}""")] // escapes, null
    [InlineData("""{"seq":5}""")] // fields missing
    public void unusual_lines_read_as_the_serializer_reads_them(string line)
    {
        var utf8 = Encoding.UTF8.GetBytes(line);
        var want = JsonSerializer.Deserialize<ExportEvent>(utf8, Options);
        var read = ExportEventCodec.Read(utf8);
        Assert.Equal(Json(want), Json(read));
    }

    [Theory]
    [InlineData("""{"branch":"main","seq":5.5,"kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"AA==","previousHash":"x","hash":"y"}""")]
    [InlineData("""{"branch":"main","seq":5,"kind":"update","author":"a","time":1,"clientIds":[1],"schemaVersion":1,"payload":"not base64!","previousHash":"x","hash":"y"}""")]
    [InlineData("""{"branch":"main","seq":5} trailing""")]
    [InlineData("""{"branch":"main",""")]
    public void malformed_lines_fail_as_the_serializer_fails(string line)
    {
        var utf8 = Encoding.UTF8.GetBytes(line);
        var want = Record.Exception(() => JsonSerializer.Deserialize<ExportEvent>(utf8, Options));
        var got = Record.Exception(() => ExportEventCodec.Read(utf8));
        Assert.NotNull(want);
        Assert.Equal((want!.GetType(), want.Message), (got?.GetType(), got?.Message));
    }

    private static string Json(ExportEvent? e) => JsonSerializer.Serialize(e, Options);
}
