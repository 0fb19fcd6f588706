using System.Security.Cryptography;
using Collab.Crdt.Document;

namespace Collab.Crdt.Tests.Engine;

public sealed class TraceReplayTests
{
    // SHA-256 of yjs 13.6.33's encodeStateAsUpdate after the same replay (client id 1, one transaction per trace
    // transaction), and of all its per-transaction 'update' events concatenated.
    [Theory]
    [InlineData("automerge-paper", 223414, "5b1ee44ce61e094b8afd4eeca73a8f5a7541f29bacde8710806fc6117c8c1265", "b0e08692b0cf69e204b55b10f60a730380a4ef3289558d695cb58e6cf5e172b9")]
    [InlineData("seph-blog1", 217673, "2420370415b6748b0c7a4ebcfa4fc5a4919fd8c34fcc58c17f3b305861a5d730", "85f39630197c71bab25487da90a0be19f713fac2df567224c3c855ac15583c91")]
    public void replaying_a_trace_gives_the_bytes_yjs_gives(string trace, int expectedLength, string expectedSha, string expectedUpdatesSha)
    {
        var data = EditingTrace.Load(trace);
        var doc = new YDoc(new YDocOptions { ClientId = 1 });
        var text = doc.GetText("text");
        using var updatesHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        doc.UpdateV1 += (u, _) => updatesHash.AppendData(u);
        foreach (var txn in data.Txns)
        {
            doc.Transact(() =>
            {
                foreach (var (pos, del, ins) in txn)
                {
                    if (del > 0)
                    {
                        text.Delete(pos, del);
                    }

                    if (ins.Length > 0)
                    {
                        text.Insert(pos, ins);
                    }
                }
            });
        }

        Assert.Equal(data.EndContent, text.ToString());
        var update = doc.EncodeStateAsUpdate();
        Assert.Equal(expectedLength, update.Length);
        Assert.Equal(expectedSha, Convert.ToHexStringLower(SHA256.HashData(update)));
        Assert.Equal(expectedUpdatesSha, Convert.ToHexStringLower(updatesHash.GetHashAndReset()));

        var loaded = new YDoc(new YDocOptions { ClientId = 2 });
        loaded.ApplyUpdate(update);
        Assert.Equal(data.EndContent, loaded.GetText("text").ToString());
        Assert.Equal(update, loaded.EncodeStateAsUpdate());
    }
}
