using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using Collab.Crdt.Types;
using static Collab.Crdt.Tests.Compat.YjsFixtures;

namespace Collab.Crdt.Tests.Compat;

/// <summary>Snapshots and relative positions against what yjs wrote and computed (gen-fixtures.mjs).</summary>
public sealed class SnapshotAndPositionFixtureTests
{
    private static JsonObject SnapshotFixture => Root["snapshots"]!.AsArray()[0]!.AsObject();

    private static JsonObject PositionFixture => Root["relativePositions"]!.AsArray()[0]!.AsObject();

    public static TheoryData<int> SnapshotIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < SnapshotFixture["snapshots"]!.AsArray().Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SnapshotIndexes))]
    public void a_yjs_snapshot_decodes_re_encodes_and_renders_the_past_as_yjs_does(int index)
    {
        var fx = SnapshotFixture;
        var snap = fx["snapshots"]!.AsArray()[index]!;
        var doc = new YDoc(new YDocOptions { ClientId = 1, Gc = false });
        doc.ApplyUpdate(Bytes(fx["state"]));
        string at = $"snapshot {index}";

        byte[] encoded = Bytes(snap["snapshot"]);
        var snapshot = YSnapshot.Decode(encoded);
        AssertBytes(encoded, snapshot.Encode(), at + ": re-encoded");

        var past = doc.CreateDocFromSnapshot(snapshot);
        AssertBytes(Bytes(snap["docState"]), past.EncodeStateAsUpdate(), at + ": CreateDocFromSnapshot state");
        AssertContent(past, fx["roots"]!.AsArray(), snap["content"]!, at + ": CreateDocFromSnapshot content");

        var text = doc.GetText("t");
        Assert.Equal(YjsJson.FromJs(snap["textDelta"]), YjsJson.FromEngine(text.ToDelta(snapshot).ConvertAll(op => op.ToJson())));
        if (index > 0)
        {
            // With the previous snapshot, yjs marks what was added or removed since (ychange), one op per item.
            var previous = YSnapshot.Decode(Bytes(fx["snapshots"]!.AsArray()[index - 1]!["snapshot"]));
            Assert.Equal(
                YjsJson.FromJs(snap["textDeltaSincePrevious"]),
                YjsJson.FromEngine(text.ToDelta(snapshot, previous).ConvertAll(op => op.ToJson())));
        }
    }

    [Fact]
    public void a_snapshot_of_the_final_state_is_the_one_yjs_takes()
    {
        var fx = SnapshotFixture;
        var doc = new YDoc(new YDocOptions { ClientId = 1, Gc = false });
        doc.ApplyUpdate(Bytes(fx["state"]));
        AssertBytes(Bytes(fx["snapshots"]!.AsArray()[^1]!["snapshot"]), doc.CreateSnapshot().Encode(), "final snapshot");
    }

    [Fact]
    public void relative_positions_encode_like_yjs_and_resolve_to_the_same_index_after_edits()
    {
        var fx = PositionFixture;
        var doc = new YDoc(new YDocOptions { ClientId = 2 });
        doc.ApplyUpdate(Bytes(fx["before"]));
        var decodedBefore = new List<(JsonNode P, YRelativePosition Rel)>();
        foreach (var p in fx["positions"]!.AsArray())
        {
            var type = Resolve(doc, p!["path"]!.GetValue<string>());
            int index = p["index"]!.GetValue<int>();
            int assoc = p["assoc"]!.GetValue<int>();
            string at = $"{p["path"]} index {index} assoc {assoc}";
            AssertBytes(Bytes(p["encoded"]), YRelativePosition.FromTypeIndex(type, index, assoc).Encode(), at + ": encoded");
            decodedBefore.Add((p, YRelativePosition.Decode(Bytes(p["encoded"]))));
        }

        doc.ApplyUpdate(Bytes(fx["after"]));
        foreach (var (p, rel) in decodedBefore)
        {
            string at = $"{p["path"]} index {p["index"]} assoc {p["assoc"]}";
            var abs = rel.ToAbsolute(doc);
            if (p["after"] is null)
            {
                Assert.True(abs is null, at + ": yjs found no position");
                continue;
            }

            Assert.NotNull(abs);
            Assert.True(p["after"]!["index"]!.GetValue<int>() == abs!.Index, $"{at}: yjs index {p["after"]!["index"]}, C# {abs.Index}");
            Assert.True(p["after"]!["assoc"]!.GetValue<int>() == abs.Assoc, $"{at}: yjs assoc {p["after"]!["assoc"]}, C# {abs.Assoc}");
        }
    }

    private static AbstractType Resolve(YDoc doc, string path) => path switch
    {
        "t" => doc.GetText("t"),
        "a" => doc.GetArray("a"),
        "m.nested" => (AbstractType)doc.GetMap("m").Get("nested")!,
        _ => throw new InvalidOperationException("unknown path " + path),
    };
}
