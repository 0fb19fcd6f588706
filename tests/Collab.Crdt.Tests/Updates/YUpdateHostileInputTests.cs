using CsCheck;
using static Collab.Crdt.Tests.Updates.YjsVectors;

namespace Collab.Crdt.Tests.Updates;

/// <summary>Malformed, truncated and hostile updates: one exception type, with an offset, and no hang.</summary>
public sealed class YUpdateHostileInputTests
{
    private static readonly string[] ValidUpdates =
        [TextFull, Merge13, DiffCut4, AnyFull, MapFull, GcFull, JsonUpdate, .. GcUpdates];

    /// <summary>Every document-free operation on one input; each must throw YjsFormatException or nothing.</summary>
    private static void RunAll(byte[] update)
    {
        Try(() => YUpdate.Validate(update));
        Try(() => YUpdate.IsEmpty(update));
        Try(() => YUpdate.Summarize(update));
        Try(() => YUpdate.StateVector(update));
        Try(() => YUpdate.Diff(update, [1, 7, 3]));
        Try(() => YUpdate.Merge([update, Bytes(TextU1)]));
        Try(() => YUpdate.ConvertV2ToV1(update));
        Try(() => YUpdate.ConvertV1ToV2(update));
    }

    private static void Try(Action action)
    {
        try
        {
            action();
        }
        catch (YjsFormatException e)
        {
            Assert.True(e.Offset >= -1);
        }
    }

    [Fact]
    public void every_truncation_of_a_valid_update_is_rejected_by_validate_with_an_offset_inside_it()
    {
        foreach (string hex in ValidUpdates)
        {
            var update = Bytes(hex);
            for (int len = 0; len < update.Length; len++)
            {
                var cut = update[..len];
                var e = Assert.Throws<YjsFormatException>(() => YUpdate.Validate(cut));
                Assert.InRange(e.Offset, 0, len);
                RunAll(cut);
            }
        }
    }

    [Fact]
    public void every_truncation_and_mutation_of_a_v2_update_throws_only_the_format_exception()
    {
        var update = Bytes(KindsV2);
        for (int len = 0; len < update.Length; len++)
        {
            Try(() => YUpdate.ConvertV2ToV1(update[..len]));
        }

        Gen.Select(Gen.Int[0, update.Length - 1], Gen.Byte).Sample((pos, value) =>
        {
            var mutated = (byte[])update.Clone();
            mutated[pos] = value;
            Try(() => YUpdate.ConvertV2ToV1(mutated));
        }, iter: 3000);
    }

    [Fact]
    public void a_v2_update_whose_run_length_columns_repeat_forever_is_bounded()
    {
        // Columns: info repeats GC (0) forever, len repeats 1 for 2^40 times (varInt -1, count 2^40 - 2); the rest
        // stream claims one section of 2^40 structs. Nothing more is read per struct, so only a bound stops it.
        byte[] twoPow40 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        byte[] update =
        [
            0, // feature flag
            0, // key clocks
            1, 0, // clients: 0
            0, 0, // left and right clocks
            1, 0, // info: 0 forever
            1, 0, // strings: ""
            0, 0, // parent info, type refs
            7, 0x41, .. twoPow40, // lengths: 1, repeated
            1, .. twoPow40, 0, // one section: 2^40 structs at clock 0
            0, // delete set
        ];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<YjsFormatException>(() => YUpdate.ConvertV2ToV1(update));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public void valid_updates_pass_validation()
    {
        foreach (string hex in ValidUpdates)
        {
            YUpdate.Validate(Bytes(hex));
        }
    }

    [Fact]
    public void random_byte_mutations_of_valid_updates_throw_only_the_format_exception()
    {
        var gen = Gen.Select(Gen.Int[0, ValidUpdates.Length - 1], Gen.Int[0, 1000], Gen.Byte, Gen.Int[1, 3]);
        gen.Sample((which, pos, value, times) =>
        {
            var update = Bytes(ValidUpdates[which]);
            for (int i = 0; i < times; i++)
            {
                update[(pos + (i * 7)) % update.Length] = value;
            }

            RunAll(update);
        }, iter: 3000);
    }

    [Fact]
    public void random_bytes_throw_only_the_format_exception() =>
        Gen.Byte.Array[0, 64].Sample(RunAll, iter: 3000);

    [Fact]
    public void a_claimed_string_length_of_2_pow_50_is_rejected_before_allocating()
    {
        // One client, one struct: String item under root "t" whose string claims 2^50 bytes.
        byte[] update = [1, 1, 1, 0, 4, 1, 1, (byte)'t', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal(8, e.Offset);
    }

    [Fact]
    public void a_claimed_struct_count_of_2_pow_50_runs_out_of_input_instead_of_looping()
    {
        byte[] update = [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 0, 0, 1];
        Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
        Assert.Throws<YjsFormatException>(() => YUpdate.Merge([update, update]));
    }

    [Fact]
    public void deeply_nested_any_values_are_rejected_without_exhausting_the_stack()
    {
        // An Any item holding 100,000 nested one-element arrays.
        var update = new List<byte> { 1, 1, 1, 0, 8, 1, 1, (byte)'a', 1 };
        for (int i = 0; i < 100_000; i++)
        {
            update.AddRange([117, 1]);
        }

        update.Add(126);
        update.AddRange([0]);
        var e = Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update.ToArray()));
        Assert.Contains("deep", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("01010100" + "0b" + "0101740161" + "00", "Unknown content ref")]
    [InlineData("01010100" + "07" + "010174" + "07" + "00", "Unknown type ref")]
    [InlineData("01010100" + "04" + "010174" + "02c328" + "00", "UTF-8")]
    [InlineData("01010100" + "05" + "010174" + "027b7d" + "00", null)]
    [InlineData("01010100" + "05" + "010174" + "027b2c" + "00", "JSON")]
    [InlineData("01010100" + "08" + "010174" + "0101" + "00", "any tag")]
    [InlineData("0001", "remaining bytes")]
    [InlineData("000000", "unexpected bytes")]
    public void malformed_contents_are_named_in_the_message(string hex, string? expected)
    {
        var update = Bytes(hex);
        if (expected is null)
        {
            YUpdate.Validate(update);
            return;
        }

        var e = Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(e.Offset > 0);
    }

    [Fact]
    public void clocks_beyond_2_pow_32_are_rejected()
    {
        // GC struct of length 2^32 - 1 starting at clock 1.
        byte[] update = [1, 1, 1, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0];
        Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
    }

    [Fact]
    public void zero_length_structs_merge_without_looping_but_do_not_validate()
    {
        // Client 1: an empty string item at clock 0, then a GC of length 0 and one of length 2. yjs merges these
        // (the corpus checks the bytes); a document would reject them, and so does Validate.
        byte[] a = [1, 3, 1, 0, 4, 1, 1, (byte)'t', 0, 0, 0, 0, 2, 0];
        byte[] b = [1, 1, 1, 0, 0, 3, 0];
        var merged = YUpdate.Merge([a, b, a]);
        Assert.Equal([1, 1, 3], YUpdate.StateVector(merged));
        var e = Assert.Throws<YjsFormatException>(() => YUpdate.Validate(a));
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void an_item_pointing_at_a_later_clock_of_its_own_client_does_not_validate()
    {
        // Client 1, clock 0: a String item whose origin is (1, 5).
        byte[] update = [1, 1, 1, 0, 0x84, 1, 5, 1, (byte)'x', 0];
        var e = Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
        Assert.Contains("own client", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void invalid_utf8_inside_json_text_is_rejected()
    {
        // An Embed whose JSON text {"a\xD0":1} is not UTF-8.
        byte[] update = [1, 1, 1, 0, 5, 1, 1, (byte)'t', 7, (byte)'{', (byte)'"', (byte)'a', 0xD0, (byte)'"', (byte)':', (byte)'1', 0];
        Assert.Throws<YjsFormatException>(() => YUpdate.Validate(update));
    }
}
