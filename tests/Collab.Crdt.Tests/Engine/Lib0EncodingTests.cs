using System.Numerics;
using Collab.Crdt.Encoding;

namespace Collab.Crdt.Tests.Engine;

public sealed class Lib0EncodingTests
{
    [Theory]
    [InlineData(0UL, new byte[] { 0 })]
    [InlineData(127UL, new byte[] { 127 })]
    [InlineData(128UL, new byte[] { 0x80, 1 })]
    [InlineData(300UL, new byte[] { 0xAC, 0x02 })]
    public void var_uint_matches_lib0_bytes(ulong value, byte[] expected)
    {
        var w = new Lib0Writer();
        w.WriteVarUInt(value);
        Assert.Equal(expected, w.ToArray());
        var r = new Lib0Reader(expected);
        Assert.Equal(value, r.ReadVarUInt());
        Assert.False(r.HasMore);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(63L)]
    [InlineData(64L)]
    [InlineData(-64L)]
    [InlineData(2147483647L)]
    [InlineData(-2147483647L)]
    [InlineData(9007199254740991L)]
    public void var_int_round_trips(long value)
    {
        var w = new Lib0Writer();
        w.WriteVarInt(value);
        var r = new Lib0Reader(w.ToArray());
        Assert.Equal(value, r.ReadVarInt(out bool negZero));
        Assert.False(negZero);
    }

    [Fact]
    public void negative_zero_is_written_as_sign_bit_and_read_back()
    {
        var w = new Lib0Writer();
        w.WriteAny(-0.0);
        Assert.Equal(new byte[] { 125, 0x40 }, w.ToArray());
        var r = new Lib0Reader(w.ToArray());
        var v = r.ReadAny();
        Assert.True(v is double d && d == 0 && double.IsNegative(d));
    }

    [Fact]
    public void any_numbers_pick_the_tags_lib0_picks()
    {
        static byte Tag(object v)
        {
            var w = new Lib0Writer();
            w.WriteAny(v);
            return w.WrittenSpan[0];
        }

        Assert.Equal(125, Tag(5L));
        Assert.Equal(125, Tag(3.0));
        Assert.Equal(124, Tag(0.5));
        Assert.Equal(124, Tag(double.PositiveInfinity));
        Assert.Equal(124, Tag(4294967296.0));
        Assert.Equal(124, Tag(2147483648L));
        Assert.Equal(123, Tag(0.1));
        Assert.Equal(123, Tag(double.NaN));
        Assert.Equal(122, Tag(new BigInteger(5)));
    }

    [Fact]
    public void any_round_trips_nested_values_in_order()
    {
        var value = new Dictionary<string, object?>
        {
            ["z"] = 1L,
            ["a"] = new List<object?> { "x", null, YUndefined.Value, true, false, 1.5, new byte[] { 1, 2 } },
            ["big"] = new BigInteger(-7),
        };
        var w = new Lib0Writer();
        w.WriteAny(value);
        var bytes = w.ToArray();
        var r = new Lib0Reader(bytes);
        var back = Assert.IsType<Dictionary<string, object?>>(r.ReadAny());
        Assert.IsType<long>(back["z"]);
        Assert.Equal(new[] { "z", "a", "big" }, back.Keys.ToArray());
        var w2 = new Lib0Writer();
        w2.WriteAny(back);
        Assert.Equal(bytes, w2.ToArray());
    }

    [Fact]
    public void object_keys_are_written_in_javascript_order()
    {
        var w = new Lib0Writer();
        w.WriteAny(new Dictionary<string, object?> { ["b"] = 1L, ["10"] = 2L, ["2"] = 3L });
        var back = (Dictionary<string, object?>)new Lib0Reader(w.ToArray()).ReadAny()!;
        Assert.Equal(new[] { "2", "10", "b" }, back.Keys.ToArray());
    }

    [Fact]
    public void strings_keep_bom_and_reject_invalid_utf8()
    {
        var w = new Lib0Writer();
        w.WriteVarString("\uFEFFhi");
        Assert.Equal("\uFEFFhi", new Lib0Reader(w.ToArray()).ReadVarString());
        var ex = Assert.Throws<YjsFormatException>(() => new Lib0Reader(new byte[] { 2, 0xC3, 0x28 }).ReadVarString());
        Assert.Equal(0, ex.Offset);
    }

    [Fact]
    public void lone_surrogates_are_written_as_replacement_characters()
    {
        var w = new Lib0Writer();
        w.WriteVarString("a\uD800b");
        Assert.Equal(new byte[] { 5, (byte)'a', 0xEF, 0xBF, 0xBD, (byte)'b' }, w.ToArray());
    }

    [Fact]
    public void hostile_length_is_rejected_before_allocation()
    {
        var w = new Lib0Writer();
        w.WriteVarUInt(1UL << 50);
        w.WriteByte(1);
        var bytes = w.ToArray();
        var ex = Assert.Throws<YjsFormatException>(() => new Lib0Reader(bytes).ReadVarUint8Array().ToArray());
        Assert.Contains("exceeds", ex.Message, StringComparison.Ordinal);
        Assert.Throws<YjsFormatException>(() => new Lib0Reader(new byte[] { 117, 0xFF, 0xFF, 0xFF, 0x0F }).ReadAny());
    }

    [Fact]
    public void truncated_input_reports_offset()
    {
        var ex = Assert.Throws<YjsFormatException>(() =>
        {
            var r = new Lib0Reader(new byte[] { 5, 0x80 });
            r.ReadVarUInt();
            r.ReadVarUInt();
        });
        Assert.Equal(1, ex.Offset);
        Assert.Throws<YjsFormatException>(() => new Lib0Reader(new byte[] { 123, 0, 0 }).ReadAny());
        Assert.Throws<YjsFormatException>(() => new Lib0Reader(new byte[] { 50 }).ReadAny());
    }

    [Fact]
    public void deep_any_nesting_is_rejected_without_stack_overflow()
    {
        var bytes = new byte[100_000];
        for (int i = 0; i < bytes.Length; i += 2)
        {
            bytes[i] = 117;
            bytes[i + 1] = 1;
        }

        Assert.Throws<YjsFormatException>(() => new Lib0Reader(bytes).ReadAny());
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(-123.456, "-123.456")]
    [InlineData(5e-324, "5e-324")]
    public void numbers_print_like_javascript(double value, string expected)
    {
        Assert.Equal(expected, JsNumber.ToString(value));
    }

    [Fact]
    public void json_round_trips_like_javascript()
    {
        var v = JsJson.Parse("{\"b\":[1,2.5,\"\\u00e9\\n\\ud800\"],\"a\":{\"x\":null,\"y\":true},\"n\":1.0}");
        Assert.Equal("{\"b\":[1,2.5,\"é\\n\\ud800\"],\"a\":{\"x\":null,\"y\":true},\"n\":1}", JsJson.Stringify(v));
        Assert.Throws<YjsFormatException>(() => JsJson.Parse("{\"a\":"));
        Assert.Throws<YjsFormatException>(() => JsJson.Parse(new string('[', 10_000)));
    }
}
