using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Tests.Fuzz;

/// <summary>
/// Hostile shapes that are well-formed: nesting far deeper than any editor makes must not overflow the stack
/// (a stack overflow kills the server process, it cannot be caught), whether the doc integrates, deletes, garbage
/// collects or encodes it.
/// </summary>
public sealed class DeepNestingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void a_hundred_thousand_nested_arrays_apply_delete_and_encode_without_overflowing_the_stack(bool gc)
    {
        const int Depth = 100_000;
        byte[] update = NestedArrays(Depth, deleteAll: false);
        byte[] deletion = NestedArrays(0, deleteAll: true, deleteLength: Depth);

        // Run on a thread with a small stack, so that recursion proportional to depth fails here and not by luck.
        Exception? error = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    var doc = new YDoc(new YDocOptions { ClientId = 2, Gc = gc });
                    doc.ApplyUpdate(update);
                    Assert.Equal(update.Length > 0, doc.EncodeStateAsUpdate().Length > 2);
                    doc.ApplyUpdate(deletion);
                    var reloaded = new YDoc(new YDocOptions { ClientId = 3, Gc = gc });
                    reloaded.ApplyUpdate(doc.EncodeStateAsUpdate());
                    Assert.Equal(0, reloaded.GetArray("root").Length);
                }
                catch (Exception e)
                {
                    error = e;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "did not finish in 2 minutes");
        Assert.Null(error);
    }

    [Theory]
    [InlineData("any")]
    [InlineData("embed")]
    [InlineData("json")]
    public void values_nested_a_hundred_thousand_deep_are_refused_or_kept_without_overflowing_the_stack(string kind)
    {
        const int Depth = 100_000;
        var w = new Lib0Writer();
        w.WriteVarUInt(1);
        w.WriteVarUInt(1);
        w.WriteVarUInt(1);
        w.WriteVarUInt(0);
        switch (kind)
        {
            case "any":
                w.WriteByte(8 | 0x20); // ContentAny in a map: parentSub
                w.WriteVarUInt(1);
                w.WriteVarString("m");
                w.WriteVarString("k");
                w.WriteVarUInt(1);
                for (int i = 0; i < Depth; i++)
                {
                    w.WriteByte(117); // array of one
                    w.WriteVarUInt(1);
                }

                w.WriteByte(126); // null
                break;
            case "embed":
                w.WriteByte(5); // ContentEmbed in a text
                w.WriteVarUInt(1);
                w.WriteVarString("t");
                w.WriteVarString(new string('[', Depth) + new string(']', Depth));
                break;
            default:
                w.WriteByte(2); // ContentJSON in an array
                w.WriteVarUInt(1);
                w.WriteVarString("a");
                w.WriteVarUInt(1);
                w.WriteVarString(new string('[', Depth) + new string(']', Depth));
                break;
        }

        w.WriteVarUInt(0);
        byte[] update = w.ToArray();
        Exception? error = null;
        var thread = new Thread(
            () =>
            {
                var doc = new YDoc(new YDocOptions { ClientId = 2 });
                try
                {
                    doc.ApplyUpdate(update);
                    _ = doc.EncodeStateAsUpdate();
                }
                catch (YjsFormatException)
                {
                    // refusing it is fine, as long as the doc is untouched
                    if (doc.EncodeStateAsUpdate() is not [0, 0])
                    {
                        error = new InvalidOperationException("a refused update changed the document");
                    }
                }
                catch (Exception e)
                {
                    error = e;
                }
            },
            maxStackSize: 256 * 1024);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(1)), "did not finish in a minute");
        Assert.Null(error);
    }

    /// <summary>
    /// Client 1: item 0 is a YArray in root "root"; item k is a YArray whose parent is item k-1. With deleteAll, an
    /// update with no structs whose delete set removes client 1's clocks [0, deleteLength).
    /// </summary>
    private static byte[] NestedArrays(int depth, bool deleteAll, int deleteLength = 0)
    {
        var w = new Lib0Writer();
        if (depth == 0)
        {
            w.WriteVarUInt(0);
        }
        else
        {
            w.WriteVarUInt(1); // one client
            w.WriteVarUInt((ulong)depth); // structs
            w.WriteVarUInt(1); // client
            w.WriteVarUInt(0); // first clock
            for (int k = 0; k < depth; k++)
            {
                w.WriteByte(7); // ContentType, no origins, no parentSub
                if (k == 0)
                {
                    w.WriteVarUInt(1);
                    w.WriteVarString("root");
                }
                else
                {
                    w.WriteVarUInt(0);
                    w.WriteVarUInt(1);
                    w.WriteVarUInt((ulong)(k - 1));
                }

                w.WriteVarUInt(0); // YArray
            }
        }

        if (deleteAll)
        {
            w.WriteVarUInt(1);
            w.WriteVarUInt(1);
            w.WriteVarUInt(1);
            w.WriteVarUInt(0);
            w.WriteVarUInt((ulong)deleteLength);
        }
        else
        {
            w.WriteVarUInt(0);
        }

        return w.ToArray();
    }
}
