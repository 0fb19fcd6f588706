using System.Diagnostics;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.Protocol;

namespace Collab.Crdt.Tests.Fuzz;

/// <summary>
/// Mutated y-protocols messages (sync steps, updates, awareness updates, provider framing) reach the handlers a server
/// runs on every socket frame: only <see cref="YjsFormatException"/> may escape, a refused sync message leaves the
/// document unchanged, and a refused awareness update leaves the state table unchanged.
/// </summary>
public sealed class ProtocolDecoderFuzzTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void mutated_sync_messages_are_handled_or_refused_with_the_format_exception(int seed)
    {
        var corpus = SyncCorpus();
        var r = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            byte[] mutated = Mutations.Apply(r, corpus[r.Next(corpus.Count)], corpus);
            string at = $"seed {seed} case {i}: {Convert.ToBase64String(mutated)}";
            var doc = new YDoc(new YDocOptions { ClientId = 5 });
            doc.GetText("t").Insert(0, "base");
            byte[] before = doc.EncodeStateAsUpdate();
            var sw = Stopwatch.StartNew();
            try
            {
                SyncProtocol.Handle(doc, mutated, origin: "fuzz");
            }
            catch (YjsFormatException)
            {
                Assert.True(before.AsSpan().SequenceEqual(doc.EncodeStateAsUpdate()), $"{at}: a refused message changed the document");
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{at}: {e.GetType().Name} escaped SyncProtocol.Handle: {e}");
            }

            try
            {
                _ = ProviderMessage.Read(mutated);
            }
            catch (YjsFormatException)
            {
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{at}: {e.GetType().Name} escaped ProviderMessage.Read: {e}");
            }

            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"{at}: took {sw.Elapsed}");
        }
    }

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void mutated_awareness_updates_apply_or_throw_the_format_exception_leaving_the_table_unchanged(int seed)
    {
        var corpus = AwarenessCorpus();
        var r = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            byte[] mutated = Mutations.Apply(r, corpus[r.Next(corpus.Count)], corpus);
            string at = $"seed {seed} case {i}: {Convert.ToBase64String(mutated)}";
            using var awareness = new Awareness(77);
            awareness.ApplyUpdate(corpus[0], "seed");
            string before = Describe(awareness);
            try
            {
                awareness.ApplyUpdate(mutated, "fuzz");
            }
            catch (YjsFormatException)
            {
                Assert.True(before == Describe(awareness), $"{at}: a refused update changed the table");
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{at}: {e.GetType().Name} escaped Awareness.ApplyUpdate: {e}");
            }
        }
    }

    private static string Describe(Awareness a) =>
        string.Join(";", a.States.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value.GetRawText()}@{a.Meta[kv.Key].Clock}"));

    private static List<byte[]> SyncCorpus()
    {
        var doc = new YDoc(new YDocOptions { ClientId = 9 });
        var updates = new List<byte[]>();
        doc.UpdateV1 += (u, _) => updates.Add(u);
        doc.GetText("t").Insert(0, "hello 😀", new Dictionary<string, object?> { ["bold"] = true });
        doc.GetMap("m").Set("k", new Dictionary<string, object?> { ["a"] = 1L });
        doc.GetArray("a").Push("x", 2L);
        doc.GetText("t").Delete(1, 2);
        var corpus = new List<byte[]> { SyncProtocol.EncodeSyncStep1(doc), SyncProtocol.EncodeSyncStep2(doc, new byte[] { 0 }) };
        corpus.AddRange(updates.Select(u => SyncMessage.EncodeUpdate(u)));
        return corpus;
    }

    private static List<byte[]> AwarenessCorpus()
    {
        using var a = new Awareness(31);
        a.SetLocalState(JsonDocument.Parse("""{"user":{"name":"Zoë","color":"#30bced"},"cursor":{"anchor":3,"head":7}}""").RootElement);
        byte[] first = a.EncodeUpdate([31]);
        a.SetLocalState(JsonDocument.Parse("""{"n":[1,2.5,null,true],"s":"\u00e9\ud83d\ude00"}""").RootElement);
        byte[] second = a.EncodeUpdate([31]);
        a.SetLocalState(null);
        byte[] removal = a.EncodeUpdate([31]);
        return [first, second, removal];
    }
}
