using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using Collab.Crdt.Types;
using static Collab.Crdt.Tests.Compat.YjsFixtures;

namespace Collab.Crdt.Tests.Compat;

/// <summary>
/// Golden fixtures from the real yjs (tests/js/gen-fixtures.mjs, generated at build time): every content kind, all seven
/// type refs, Unicode, formats, embeds, XML, subdocuments, GC, JSON content, Skip, out-of-order delivery.
/// </summary>
public sealed class YjsFixtureTests
{
    public static TheoryData<string> DocFixtures => Names(Docs);

    public static TheoryData<string> OpFixtures => Names(Ops);

    [Theory]
    [MemberData(nameof(DocFixtures))]
    public void applying_yjs_updates_gives_the_content_and_the_bytes_yjs_reports(string name) =>
        Replay(name, "updates", (doc, u) => doc.ApplyUpdate(u), v2: false);

    [Theory]
    [MemberData(nameof(DocFixtures))]
    public void a_doc_loaded_from_yjs_state_re_encodes_it_byte_for_byte(string name)
    {
        var fx = Doc(name);
        var last = fx["after"]!.AsArray()[^1]!;
        byte[] state = Bytes(last["state"]);
        var doc = new YDoc(new YDocOptions { ClientId = 999, Gc = fx["receiverGc"]!.GetValue<bool>() });
        doc.ApplyUpdate(state);
        AssertBytes(state, doc.EncodeStateAsUpdate(), name + ": reload");
        AssertContent(doc, fx["roots"]!.AsArray(), last["content"]!, name + ": reload");

        // Against its own state vector the diff is empty apart from the delete set, as in yjs.
        byte[] sv = doc.EncodeStateVector();
        var other = new YDoc(new YDocOptions { ClientId = 998, Gc = fx["receiverGc"]!.GetValue<bool>() });
        other.ApplyUpdate(state);
        AssertBytes(doc.EncodeStateAsUpdate(sv), other.EncodeStateAsUpdate(sv), name + ": diff against own state vector");
    }

    [Theory]
    [MemberData(nameof(DocFixtures))]
    public void the_same_updates_in_format_v2_give_the_same_content_and_yjs_v2_bytes(string name) =>
        Replay(name, "updatesV2", (doc, u) => doc.ApplyUpdateV2(u), v2: true);

    [Theory]
    [MemberData(nameof(OpFixtures))]
    public void document_free_operations_match_yjs(string name)
    {
        var fx = Op(name);
        byte[] expected = Bytes(fx["result"]);
        byte[] actual = fx["kind"]!.GetValue<string>() switch
        {
            "merge" => YUpdate.Merge(fx["inputs"]!.AsArray().Select(Bytes).ToList()),
            "diff" => YUpdate.Diff(Bytes(fx["update"]), Bytes(fx["stateVector"])),
            "stateVector" => YUpdate.StateVector(Bytes(fx["update"])),
            "v2tov1" => YUpdate.ConvertV2ToV1(Bytes(fx["update"])),
            var k => throw new InvalidOperationException("unknown op kind " + k),
        };
        AssertBytes(expected, actual, name);
    }

    /// <summary>
    /// Applies the fixture's updates in order to a fresh doc (client 999, the fixture's gc) and, at each checkpoint,
    /// checks content, state vector and state bytes (also in v2 when the updates are v2) against yjs.
    /// </summary>
    private static void Replay(string name, string updatesField, Action<YDoc, byte[]> apply, bool v2)
    {
        var fx = Doc(name);
        var doc = new YDoc(new YDocOptions { ClientId = 999, Gc = fx["receiverGc"]!.GetValue<bool>() });
        var updates = fx[updatesField]!.AsArray();
        var roots = fx["roots"]!.AsArray();
        var checkpoints = fx["after"]!.AsArray().ToDictionary(a => a!["index"]!.GetValue<int>(), a => a!);
        for (int i = 0; i < updates.Count; i++)
        {
            apply(doc, Bytes(updates[i]));
            if (!checkpoints.TryGetValue(i, out var after))
            {
                continue;
            }

            string at = $"{name} after {(v2 ? "v2 " : "")}update {i}";
            AssertContent(doc, roots, after["content"]!, at);
            AssertBytes(Bytes(after["stateVector"]), doc.EncodeStateVector(), at + ": EncodeStateVector");
            AssertBytes(Bytes(after["state"]), doc.EncodeStateAsUpdate(), at + ": EncodeStateAsUpdate");
            if (v2)
            {
                AssertBytes(Bytes(after["stateV2"]), doc.EncodeStateAsUpdateV2(), at + ": EncodeStateAsUpdateV2");
            }
        }
    }

    [Fact]
    public void the_fixture_set_keeps_every_case_the_issue_lists()
    {
        // A generator edit must not drop a case silently.
        string[] required =
        [
            "text-insert-delete.gc", "text-formats-embeds.gc", "text-unicode.gc", "map-any.gc", "array-any.gc",
            "types-nested.gc", "xml.gc", "xml-hook.gc", "subdocs.gc", "gc-deleted-types.gc", "json-content.gc",
            "out-of-order-reversed", "pending-delete-first", "skip-gap-then-fill", "concurrent-seed-1",
            "text-insert-delete.nogc", "gc-deleted-types.nogc",
        ];
        var names = Docs.Select(d => d["name"]!.GetValue<string>()).ToHashSet();
        Assert.All(required, r => Assert.Contains(r, names));
        Assert.Contains(Ops, o => o["name"]!.GetValue<string>() == "merge-with-gap-skip");

        // gen-fixtures.mjs decodes its own output with yjs and records where each struct kind and type ref occurs.
        var coverage = Root["coverage"]!;
        string[] structs =
        [
            "GC", "Skip", "ContentDeleted", "ContentJSON", "ContentBinary", "ContentString", "ContentEmbed", "ContentFormat",
            "ContentType", "ContentAny", "ContentDoc",
        ];
        Assert.All(structs, k => Assert.NotNull(coverage["structs"]![k]));
        string[] types = ["YArray", "YMap", "YText", "YXmlElement", "YXmlFragment", "YXmlHook", "YXmlText"];
        Assert.All(types, k => Assert.NotNull(coverage["types"]![k]));
    }
}
