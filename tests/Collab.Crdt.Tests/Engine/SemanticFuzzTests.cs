using Collab.Crdt.Document;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Tests.Engine;

/// <summary>Well-formed updates with random references: integration must never throw anything but YjsFormatException.</summary>
public sealed class SemanticFuzzTests
{
    private static byte[] RandomUpdate(Random rng)
    {
        var w = new Lib0Writer();
        int clients = 1 + rng.Next(3);
        w.WriteVarUInt((ulong)clients);
        for (int c = 0; c < clients; c++)
        {
            uint client = (uint)(1 + rng.Next(4));
            uint clock = (uint)rng.Next(6);
            int n = 1 + rng.Next(5);
            w.WriteVarUInt((ulong)n);
            w.WriteVarUInt(client);
            w.WriteVarUInt(clock);
            for (int i = 0; i < n; i++)
            {
                int kind = rng.Next(10);
                if (kind == 0)
                {
                    w.WriteByte(0);
                    w.WriteVarUInt((ulong)(1 + rng.Next(3)));
                    clock += 1;
                    continue;
                }

                bool hasOrigin = rng.Next(2) == 0;
                bool hasRight = rng.Next(3) == 0;
                bool hasSub = rng.Next(3) == 0;
                byte contentRef = (byte)new[] { 1, 4, 4, 4, 7, 8, 6, 5 }[rng.Next(8)];
                byte info = (byte)(contentRef | (hasOrigin ? 0x80 : 0) | (hasRight ? 0x40 : 0) | (hasSub && !hasOrigin && !hasRight ? 0x20 : 0));
                w.WriteByte(info);
                if (hasOrigin)
                {
                    w.WriteVarUInt((ulong)(1 + rng.Next(4)));
                    w.WriteVarUInt((ulong)rng.Next(8));
                }

                if (hasRight)
                {
                    w.WriteVarUInt((ulong)(1 + rng.Next(4)));
                    w.WriteVarUInt((ulong)rng.Next(8));
                }

                if (!hasOrigin && !hasRight)
                {
                    if (rng.Next(2) == 0)
                    {
                        w.WriteVarUInt(1);
                        w.WriteVarString(rng.Next(2) == 0 ? "t" : "m");
                    }
                    else
                    {
                        w.WriteVarUInt(0);
                        w.WriteVarUInt((ulong)(1 + rng.Next(4)));
                        w.WriteVarUInt((ulong)rng.Next(8));
                    }

                    if ((info & 0x20) != 0)
                    {
                        w.WriteVarString(rng.Next(2) == 0 ? "k" : "j");
                    }
                }

                switch (contentRef)
                {
                    case 1:
                        w.WriteVarUInt(1);
                        break;
                    case 4:
                        w.WriteVarString(rng.Next(2) == 0 ? "a" : "bc");
                        break;
                    case 5:
                        w.WriteVarString("{\"x\":1}");
                        break;
                    case 6:
                        w.WriteVarString("bold");
                        w.WriteVarString(rng.Next(2) == 0 ? "true" : "null");
                        break;
                    case 7:
                        w.WriteVarUInt((ulong)rng.Next(7));
                        if (w.WrittenSpan[^1] is 3 or 5)
                        {
                            w.WriteVarString("p");
                        }

                        break;
                    default:
                        w.WriteVarUInt(1);
                        w.WriteAny(1L);
                        break;
                }

                clock += contentRef == 4 ? 0u : 1u;
                if (contentRef == 4)
                {
                    // string length in UTF-16 units: "a" = 1, "bc" = 2; recompute from what was written
                    clock += (uint)(w.WrittenSpan[^1] == (byte)'a' ? 1 : 2);
                }
            }
        }

        int dsClients = rng.Next(2);
        w.WriteVarUInt((ulong)dsClients);
        for (int i = 0; i < dsClients; i++)
        {
            w.WriteVarUInt((ulong)(1 + rng.Next(4)));
            w.WriteVarUInt(1);
            w.WriteVarUInt((ulong)rng.Next(8));
            w.WriteVarUInt((ulong)(1 + rng.Next(4)));
        }

        return w.ToArray();
    }

    [Fact]
    public void random_well_formed_updates_only_ever_fail_with_the_format_exception()
    {
        var rng = new Random(int.Parse(Environment.GetEnvironmentVariable("SEMFUZZ_SEED") ?? "4242"));
        for (int iter = 0; iter < int.Parse(Environment.GetEnvironmentVariable("SEMFUZZ_ITERS") ?? "3000"); iter++)
        {
            var doc = new YDoc(new YDocOptions { ClientId = 99, Gc = rng.Next(2) == 0 });
            int n = 1 + rng.Next(4);
            for (int k = 0; k < n; k++)
            {
                var update = RandomUpdate(rng);
                var before = doc.EncodeStateAsUpdate();
                try
                {
                    doc.ApplyUpdate(update);
                }
                catch (YjsFormatException)
                {
                    Assert.Equal(before, doc.EncodeStateAsUpdate());
                }
            }

            var all = doc.EncodeStateAsUpdate();
            var copy = new YDoc(new YDocOptions { ClientId = 98 });
            copy.ApplyUpdate(all);
            _ = doc.ToJson();
            _ = doc.GetText("t").ToDelta();
        }
    }
}
