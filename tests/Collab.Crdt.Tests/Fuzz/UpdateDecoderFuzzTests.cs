using System.Diagnostics;
using Collab.Crdt.Document;
using Collab.Crdt.Tests.Compat;
using Collab.Crdt.Tests.Compat.Differential;
using CsCheck;

namespace Collab.Crdt.Tests.Fuzz;

/// <summary>
/// Mutated and truncated valid updates (yjs fixtures and engine-made updates) must never crash, hang or change a
/// document: ApplyUpdate either applies or throws <see cref="YjsFormatException"/> with the document exactly as before
/// (same EncodeStateAsUpdate, and it still accepts the valid update afterwards). The document-free operations likewise
/// throw nothing but YjsFormatException. Every case is reproducible from the printed seed and case number.
/// </summary>
public sealed class UpdateDecoderFuzzTests
{
    private static readonly TimeSpan s_perCaseLimit = TimeSpan.FromSeconds(5);
    private static readonly Lazy<List<(byte[] Base, byte[] Update)>> s_corpus = new(BuildCorpus);
    private static readonly Lazy<List<byte[]>> s_updates = new(() => s_corpus.Value.ConvertAll(c => c.Update));

    [Theory]
    [InlineData(1, 3000)]
    [InlineData(2, 3000)]
    [InlineData(3, 3000)]
    public async Task mutated_updates_apply_or_throw_the_format_exception_leaving_the_doc_unchanged(int seed, int cases)
    {
        // The whole run is bounded: a decoder that loops forever fails the test instead of hanging the suite.
        await Task.Run(() => Fuzz(seed, cases)).WaitAsync(TimeSpan.FromMinutes(3));
    }

    [Fact]
    public void document_free_operations_on_mutated_updates_throw_only_the_format_exception()
    {
        var corpus = s_corpus.Value;
        var r = new Random(42);
        for (int i = 0; i < 1500; i++)
        {
            var (_, valid) = corpus[r.Next(corpus.Count)];
            byte[] mutated = Mutations.Apply(r, valid, s_updates.Value);
            string at = $"seed 42 case {i}: {Convert.ToBase64String(mutated)}";
            Guard(at, () => YUpdate.StateVector(mutated));
            Guard(at, () => YUpdate.Diff(mutated, [0]));
            Guard(at, () => YUpdate.Diff(valid, mutated));
            Guard(at, () => YUpdate.Merge([valid, mutated]));
            Guard(at, () => YUpdate.Merge([mutated]));
        }
    }

    [Fact]
    public void random_bytes_never_escape_as_anything_but_the_format_exception()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var doc = new YDoc(new YDocOptions { ClientId = 1 });
            byte[] before = doc.EncodeStateAsUpdate();
            try
            {
                doc.ApplyUpdate(bytes);
            }
            catch (YjsFormatException)
            {
                Assert.Equal(before, doc.EncodeStateAsUpdate());
            }

            Guard(Convert.ToBase64String(bytes), () => YUpdate.StateVector(bytes));
            Guard(Convert.ToBase64String(bytes), () => YUpdate.Merge([bytes, bytes]));
        }, iter: 3000, threads: 1);
    }

    private static void Fuzz(int seed, int cases)
    {
        var corpus = s_corpus.Value;
        var r = new Random(seed);
        int failedApplies = 0;
        for (int i = 0; i < cases; i++)
        {
            var (baseState, valid) = corpus[r.Next(corpus.Count)];
            byte[] mutated = Mutations.Apply(r, valid, s_updates.Value);
            bool gc = r.Next(2) == 0;
            string at = $"seed {seed} case {i} (gc {gc}): base {Convert.ToBase64String(baseState)} update {Convert.ToBase64String(mutated)}";

            var doc = new YDoc(new YDocOptions { ClientId = 424242, Gc = gc });
            doc.ApplyUpdate(baseState);
            byte[] before = doc.EncodeStateAsUpdate();
            byte[] svBefore = doc.EncodeStateVector();
            var sw = Stopwatch.StartNew();
            bool failed = false;
            try
            {
                doc.ApplyUpdate(mutated);
            }
            catch (YjsFormatException)
            {
                failed = true;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{at}: {e.GetType().Name} escaped ApplyUpdate: {e}");
            }

            Assert.True(sw.Elapsed < s_perCaseLimit, $"{at}: ApplyUpdate took {sw.Elapsed}");
            if (failed)
            {
                failedApplies++;
                Assert.True(before.AsSpan().SequenceEqual(doc.EncodeStateAsUpdate()), $"{at}: a failed apply changed the document");
                Assert.True(svBefore.AsSpan().SequenceEqual(doc.EncodeStateVector()), $"{at}: a failed apply changed the state vector");
                if (i % 8 == 0)
                {
                    // Not only the encoding: the doc must behave as if the bad update never came.
                    var control = new YDoc(new YDocOptions { ClientId = 424242, Gc = gc });
                    control.ApplyUpdate(baseState);
                    control.ApplyUpdate(valid);
                    doc.ApplyUpdate(valid);
                    Assert.True(control.EncodeStateAsUpdate().AsSpan().SequenceEqual(doc.EncodeStateAsUpdate()), $"{at}: after a failed apply the valid update gives another document");
                }
            }
            else
            {
                // Whatever was accepted must encode, and the encoding must load again.
                byte[] after;
                try
                {
                    after = doc.EncodeStateAsUpdate();
                    new YDoc(new YDocOptions { ClientId = 1, Gc = gc }).ApplyUpdate(after);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"{at}: accepted, but then its own encoding failed: {e}");
                }
            }
        }

        Assert.True(failedApplies > cases / 10, $"seed {seed}: only {failedApplies} of {cases} mutations were rejected: the mutator is too weak");
    }

    private static void Guard(string at, Action action)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            action();
        }
        catch (YjsFormatException)
        {
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{at}: {e.GetType().Name} escaped: {e}");
        }

        Assert.True(sw.Elapsed < s_perCaseLimit, $"{at}: took {sw.Elapsed}");
    }

    /// <summary>(state to start from, a valid update to apply on it): yjs fixtures and engine-made sessions.</summary>
    private static List<(byte[] Base, byte[] Update)> BuildCorpus()
    {
        var corpus = new List<(byte[], byte[])>();
        byte[] empty = [0, 0];
        foreach (var fx in YjsFixtures.Docs)
        {
            foreach (var u in fx["updates"]!.AsArray())
            {
                corpus.Add((empty, YjsFixtures.Bytes(u)));
            }

            foreach (var after in fx["after"]!.AsArray())
            {
                corpus.Add((empty, YjsFixtures.Bytes(after!["state"])));
            }
        }

        // Engine-made updates of every op kind, each applied on top of the state before it.
        var r = new Random(9);
        var doc = new YDoc(new YDocOptions { ClientId = 77 });
        for (int i = 0; i < 120; i++)
        {
            byte[] before = doc.EncodeStateAsUpdate();
            byte[]? update = null;
            void Capture(byte[] u, object? origin) => update = u;
            doc.UpdateV1 += Capture;
            doc.Transact(() =>
            {
                for (int j = 0; j < 3; j++)
                {
                    SessionOps.Apply(doc, SessionOps.Next(r));
                }
            });
            doc.UpdateV1 -= Capture;
            if (update is not null)
            {
                corpus.Add((before, update));
            }
        }

        return corpus;
    }
}
