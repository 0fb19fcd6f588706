using System.Text.Json.Nodes;
using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Merging;
using Collab.Crdt.Tests.Compat;
using CsCheck;
using static Collab.Crdt.Tests.Merging.MergeTestKit;

namespace Collab.Crdt.Tests.Merging;

public sealed class MergePropertyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Choices = ["merged", "ours", "theirs", "custom"];

    private static void ApplyIfAny(YDoc doc, byte[] update)
    {
        if (update.Length > 0)
        {
            doc.ApplyUpdate(update);
        }
    }

    /// <summary>Map keys sorted: yjs's toJSON lists keys in the order each replica integrated them.</summary>
    private static string Canonical(string json) => YjsJson.FromEngine(JsJson.Parse(json));

    [Fact]
    public void analyze_never_throws_and_merged_content_is_both_sides_in_any_order()
    {
        Gen.Int[0, int.MaxValue].Sample(seed =>
        {
            var (t, s) = RandomBranches.Make(seed);
            string tBefore = t.ToJsonString();
            foreach (var strictness in new[] { MergeStrictness.Default, MergeStrictness.Strict, MergeStrictness.Lenient })
            {
                var a = MergeAnalyzer.Analyze(t, s, "p", strictness);
                var viaTarget = With(t, a.Update, 90);
                var viaSource = With(s, t.EncodeStateAsUpdate(s.EncodeStateVector()), 91);
                RandomBranches.Type(viaTarget);
                RandomBranches.Type(viaSource);
                Assert.Equal(Canonical(viaTarget.ToJsonString()), Canonical(a.MergedJson));
                Assert.Equal(Canonical(viaSource.ToJsonString()), Canonical(a.MergedJson));
                Assert.All(a.Conflicts, c => Assert.Equal(32, c.Id.Length));
                Assert.Equal(a.Conflicts.Count, a.Conflicts.Select(c => c.Id).Distinct().Count());
                if (strictness == MergeStrictness.Lenient)
                {
                    Assert.All(a.Conflicts, c => Assert.Contains(c.Kind, new[] { "map-key", "delete-edit" }));
                }
            }

            Assert.Equal(tBefore, t.ToJsonString()); // the target is not modified
        }, iter: 150, seed: null, print: x => $"seed {x}");
    }

    [Fact]
    public void every_decision_applies_and_converges_on_both_branches()
    {
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 3]).Sample((seed, pick) =>
        {
            var (t, s) = RandomBranches.Make(seed);
            var a = MergeInto(t, s, "d");
            uint client = 500;
            foreach (var c in a.Conflicts)
            {
                string choice = Choices[(pick + (int)client) % Choices.Length];
                string? custom = choice != "custom" ? null : c.Kind switch
                {
                    "sequence-overlap" when c.Root == "t" => "Z",
                    "sequence-overlap" when c.Root == "x" => "<p>z</p>",
                    "sequence-overlap" => "[7]",
                    "delete-edit" when c.Key == null => c.Base,
                    _ => "\"z\"",
                };
                byte[] update = ConflictResolver.Resolve(t, c, choice, custom, client++);
                if (choice == "merged")
                {
                    Assert.Empty(update);
                }

                if (update.Length > 0)
                {
                    t.ApplyUpdate(update);
                }

                if (choice != "merged" && c.Kind != "delete-edit")
                {
                    // the region (or key) now holds exactly the chosen content
                    string? chosen = choice switch { "ours" => c.Ours, "theirs" => c.Theirs, _ => custom };
                    if (c.Kind == "sequence-overlap" && chosen == null)
                    {
                        chosen = c.Root == "a" ? "[]" : string.Empty;
                    }

                    Assert.Equal(chosen, ConflictResolver.CurrentContent(t, c));
                }
            }

            s.ApplyUpdate(t.EncodeStateAsUpdate(s.EncodeStateVector()));
            Assert.Equal(Canonical(t.ToJsonString()), Canonical(s.ToJsonString()));
        }, iter: 100, print: x => $"seed {x.Item1} pick {x.Item2}");
    }

    [Fact]
    public void revert_restores_the_earlier_content_and_reverting_the_revert_restores_the_later()
    {
        Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 30], Gen.Int[1, 30]).Sample((seed, k, n) =>
        {
            var r = new Random(seed);
            var d = NewDoc(1);
            RandomBranches.Type(d);
            for (int i = 0; i < k; i++)
            {
                RandomBranches.Edit(d, r);
            }

            var before = Fork(d, 900);
            string earlier = Canonical(d.ToJsonString()) + YjsJson.Delta(d.GetText("t"));
            for (int i = 0; i < n; i++)
            {
                RandomBranches.Edit(d, r);
            }

            var after = Fork(d, 901);
            string later = Canonical(d.ToJsonString()) + YjsJson.Delta(d.GetText("t"));
            ApplyIfAny(d, RevertBuilder.Revert(d, before, after, 700));
            Assert.Equal(earlier, Canonical(d.ToJsonString()) + YjsJson.Delta(d.GetText("t")));
            var reverted = Fork(d, 902);
            ApplyIfAny(d, RevertBuilder.Revert(d, after, reverted, 701));
            Assert.Equal(later, Canonical(d.ToJsonString()) + YjsJson.Delta(d.GetText("t")));
        }, iter: 150, print: x => $"seed {x.Item1} k {x.Item2} n {x.Item3}");
    }

    [Fact]
    public async Task merged_content_equals_what_yjs_computes_from_the_same_updates()
    {
        await using var node = await NodePeer.StartAsync();
        var roots = RandomBranches.Roots;
        int seed0 = Environment.TickCount & 0xFFFF;
        output.WriteLine($"differential merge seeds {seed0}..{seed0 + 39}");
        for (int seed = seed0; seed < seed0 + 40; seed++)
        {
            var (t, s) = RandomBranches.Make(seed, steps: 60);
            var a = MergeAnalyzer.Analyze(t, s, "diff");
            string js = "j" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await node.CreateDocAsync(js, 77, gc: false);
            await node.ApplyAsync(js, [t.EncodeStateAsUpdate(), a.Update]);
            var content = await node.ContentAsync(js, roots);
            var merged = (Dictionary<string, object?>)JsJson.Parse(a.MergedJson)!;
            foreach (var (name, _) in roots)
            {
                string expected = YjsJson.FromJs(content[name]!["json"]);
                string actual = YjsJson.FromEngine(merged[name]);
                Assert.True(expected == actual, $"seed {seed}: root {name}: yjs {expected} vs merged {actual}");
            }

            await node.CallAsync("destroy", new JsonObject { ["doc"] = js });
        }
    }
}
