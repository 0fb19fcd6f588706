using System.Text.Json;

namespace Collab.Crdt.Tests.Updates;

/// <summary>
/// Replays yjs-update-corpus.jsonl.gz: what yjs 13.6.33 returned for mergeUpdates, diffUpdate,
/// encodeStateVectorFromUpdate and convertUpdateFormatV2ToV1/V1ToV2 on seeded random sessions (every content kind, GC on and off, 64+ inputs) and on
/// odd hand-made inputs. Regenerate with yjs-update-corpus.mjs beside it.
/// </summary>
public sealed class YUpdateCorpusTests
{
    private sealed record Case(string Kind, byte[][] Inputs, byte[]? StateVector, string Expected, bool Odd, int Line);

    private static List<Case> Load()
    {
        using var text = UpdatesTestData.OpenGzip("yjs-update-corpus.jsonl.gz");
        var cases = new List<Case>();
        int line = 0;
        while (text.ReadLine() is { Length: > 0 } json)
        {
            line++;
            var o = JsonDocument.Parse(json).RootElement;
            cases.Add(new Case(
                o.GetProperty("kind").GetString()!,
                [.. o.GetProperty("inputs").EnumerateArray().Select(static e => Convert.FromHexString(e.GetString()!))],
                o.TryGetProperty("sv", out var sv) ? Convert.FromHexString(sv.GetString()!) : null,
                o.GetProperty("expected").GetString()!,
                o.TryGetProperty("odd", out var odd) && odd.GetBoolean(),
                line));
        }

        return cases;
    }

    private static void AssertAll(string kind, Func<Case, byte[]> run)
    {
        var cases = Load().Where(c => c.Kind == kind).ToList();
        Assert.True(cases.Count > 100, $"only {cases.Count} {kind} cases in the corpus");
        var failures = cases
            .Where(c => !string.Equals(Convert.ToHexString(run(c)), c.Expected, StringComparison.OrdinalIgnoreCase))
            .Select(c => c.Line)
            .ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} differ from yjs, corpus lines {string.Join(", ", failures.Take(10))}");
    }

    [Fact]
    public void merge_matches_yjs_on_every_corpus_case() => AssertAll("merge", static c => YUpdate.Merge(c.Inputs));

    [Fact]
    public void diff_matches_yjs_on_every_corpus_case() => AssertAll("diff", static c => YUpdate.Diff(c.Inputs[0], c.StateVector!));

    [Fact]
    public void state_vector_matches_yjs_on_every_corpus_case() => AssertAll("sv", static c => YUpdate.StateVector(c.Inputs[0]));

    [Fact]
    public void v2_to_v1_conversion_matches_yjs_on_every_corpus_case() => AssertAll("v2", static c => YUpdate.ConvertV2ToV1(c.Inputs[0]));

    [Fact]
    public void v1_to_v2_conversion_matches_yjs_on_every_corpus_case() => AssertAll("v1v2", static c => YUpdate.ConvertV1ToV2(c.Inputs[0]));

    [Fact]
    public void every_corpus_input_and_output_from_a_document_passes_validation()
    {
        // The hand-made odd inputs (zero-length structs and the like) are yjs-mergeable but not valid.
        foreach (var c in Load().Where(static c => !c.Odd))
        {
            foreach (var input in c.Kind == "v2" ? [] : c.Inputs)
            {
                YUpdate.Validate(input);
            }

            if (c.Kind is not ("sv" or "v1v2"))
            {
                YUpdate.Validate(Convert.FromHexString(c.Expected));
            }
        }
    }
}
