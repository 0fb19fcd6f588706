using static Collab.Crdt.Tests.Updates.YjsVectors;

namespace Collab.Crdt.Tests.Updates;

/// <summary>Byte-exact agreement with yjs 13.6.33 on updates it produced (see <see cref="YjsVectors"/>).</summary>
public sealed class YUpdateGoldenTests
{
    private static void AssertHex(string expected, byte[] actual) =>
        Assert.Equal(expected, Convert.ToHexString(actual).ToLowerInvariant());

    [Fact]
    public void merge_of_contiguous_text_updates_matches_yjs() =>
        AssertHex(Merge12, YUpdate.Merge([Bytes(TextU1), Bytes(TextU2)]));

    [Fact]
    public void merge_with_a_gap_writes_a_skip_like_yjs() =>
        AssertHex(Merge13, YUpdate.Merge([Bytes(TextU1), Bytes(TextU3)]));

    [Fact]
    public void merge_of_updates_in_reverse_order_matches_yjs() =>
        AssertHex(Merge321, YUpdate.Merge([Bytes(TextU3), Bytes(TextU2), Bytes(TextU1)]));

    [Fact]
    public void merge_of_a_sliced_diff_with_an_earlier_update_matches_yjs() =>
        AssertHex(MergeCut, YUpdate.Merge([Bytes(DiffCut4), Bytes(TextU1)]));

    [Fact]
    public void merge_of_per_transaction_updates_and_a_gc_full_state_matches_yjs()
    {
        var inputs = GcUpdates.Select(Bytes).Append(Bytes(GcFull)).ToList();
        AssertHex(GcMerge, YUpdate.Merge(inputs));
        inputs.Reverse();
        AssertHex(GcMerge, YUpdate.Merge(inputs));
    }

    [Fact]
    public void merge_of_one_update_returns_it_unchanged()
    {
        var update = Bytes(TextU2);
        Assert.Same(update, YUpdate.Merge([update]));
    }

    [Fact]
    public void merge_of_nothing_is_the_empty_update() =>
        Assert.Equal([0, 0], YUpdate.Merge([]));

    [Fact]
    public void diff_cutting_a_surrogate_pair_leaves_a_replacement_character_like_yjs() =>
        AssertHex(DiffCut4, YUpdate.Diff(Bytes(TextFull), Bytes(SvCut4)));

    [Theory]
    [InlineData(2, AnyDiff2)]
    [InlineData(4, AnyDiff4)]
    public void diff_slices_any_content_element_wise_and_keeps_the_delete_set(uint clock, string expected)
    {
        var sv = YUpdate.EncodeStateVector(new Dictionary<uint, uint> { [300] = clock });
        AssertHex(expected, YUpdate.Diff(Bytes(AnyFull), sv));
    }

    [Fact]
    public void diff_slicing_a_deleted_map_run_keeps_the_parent_sub_flag_like_yjs() =>
        AssertHex(MapDiff1, YUpdate.Diff(Bytes(MapFull), YUpdate.EncodeStateVector(new Dictionary<uint, uint> { [5] = 1 })));

    [Fact]
    public void diff_slices_json_content_element_wise_like_yjs() =>
        AssertHex(JsonDiff2, YUpdate.Diff(Bytes(JsonUpdate), YUpdate.EncodeStateVector(new Dictionary<uint, uint> { [4] = 2 })));

    [Fact]
    public void diff_and_merge_drop_the_parent_sub_bit_of_items_with_an_origin_like_yjs()
    {
        AssertHex(MapSetTwiceRewritten, YUpdate.Diff(Bytes(MapSetTwice), [0]));
        AssertHex(MapSetTwiceRewritten, YUpdate.Merge([Bytes(MapSetTwice), [0, 0]]));
    }

    [Fact]
    public void binary_doc_any_type_and_embed_contents_merge_and_diff_like_yjs()
    {
        AssertHex(KindsFull, YUpdate.Merge([Bytes(KindsUpdates[2]), Bytes(KindsUpdates[0]), Bytes(KindsUpdates[1])]));
        foreach (var (clock, expected) in KindsDiffs)
        {
            AssertHex(expected, YUpdate.Diff(Bytes(KindsFull), new Dictionary<uint, uint> { [11] = clock }));
        }
    }

    [Fact]
    public void v2_updates_convert_to_the_v1_bytes_yjs_writes() =>
        AssertHex(KindsV2AsV1, YUpdate.ConvertV2ToV1(Bytes(KindsV2)));

    [Fact]
    public void v1_updates_convert_to_the_v2_bytes_yjs_writes() =>
        AssertHex(KindsV2, YUpdate.ConvertV1ToV2(Bytes(KindsV2AsV1)));

    [Fact]
    public void diff_against_the_empty_state_vector_returns_the_update() =>
        AssertHex(GcFull, YUpdate.Diff(Bytes(GcFull), [0]));

    [Fact]
    public void diff_against_the_full_state_keeps_only_the_delete_set()
    {
        var diff = YUpdate.Diff(Bytes(AnyFull), YUpdate.StateVector(Bytes(AnyFull)));
        AssertHex("00" + "01ac02010102", diff);
    }

    [Theory]
    [InlineData(TextU3, SvOfU3)]
    [InlineData(Merge13, SvOfMerge13)]
    [InlineData(TextFull, SvOfFull)]
    public void state_vector_of_an_update_matches_yjs(string update, string expected) =>
        AssertHex(expected, YUpdate.StateVector(Bytes(update)));

    [Fact]
    public void state_vector_codec_writes_clients_in_descending_order_and_reads_them_back()
    {
        var sv = new Dictionary<uint, uint> { [1] = 5, [300] = 2, [7] = 0 };
        var bytes = YUpdate.EncodeStateVector(sv);
        AssertHex("03ac0202070001 05".Replace(" ", string.Empty, StringComparison.Ordinal), bytes);
        Assert.Equal(sv, YUpdate.DecodeStateVector(bytes));
    }
}
