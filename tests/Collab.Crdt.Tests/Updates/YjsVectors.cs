namespace Collab.Crdt.Tests.Updates;

/// <summary>
/// Bytes produced by yjs 13.6.33 (Node 20) for the cases named; the script that made them built each doc with a
/// fixed client id and printed the results of Y.mergeUpdates, Y.diffUpdate and Y.encodeStateVectorFromUpdate.
/// </summary>
internal static class YjsVectors
{
    // Client 7: insert "ab"; insert "c😀d" at 2; insert "X" at 0 (one update per transaction).
    public const string TextU1 = "010107000401017402616200";
    public const string TextU2 = "010107028407010663f09f98806400";
    public const string TextU3 = "01010706440700015800";
    public const string Merge12 = "01020700040101740261628407010663f09f98806400";
    public const string Merge13 = "01030700040101740261620a04440700015800";
    public const string Merge321 = "01030700040101740261628407010663f09f988064440700015800";
    public const string TextFull = "010207000401017408616263f09f988064440700015800";

    // State vector {7: 4} cuts "c😀d" (clocks 2..6) between the two surrogates of 😀.
    public const string SvCut4 = "010704";
    public const string DiffCut4 = "0102070484070304efbfbd64440700015800";
    public const string MergeCut = "01040700040101740261620a0284070304efbfbd64440700015800";
    public const string SvOfU3 = "00";
    public const string SvOfMerge13 = "010702";
    public const string SvOfFull = "010707";

    // Client 300: array.insert(0, [1, 'two', {three: 3}, [4], true, null]); array.delete(1, 2).
    public const string AnyFull = "0103ac020008010161017d0181ac02000288ac02020375017d04787e01ac02010102";
    public const string AnyDiff2 = "0102ac020281ac02010188ac02020375017d04787e01ac02010102";
    public const string AnyDiff4 = "0101ac020488ac020302787e01ac02010102";

    // Client 5: map.set('k', 1); map.set('k', 2); map.delete('k'): one Deleted run of 2 under key 'k'. Sliced at 1,
    // yjs keeps the parentSub flag (0x20) in the info byte without writing the key.
    public const string MapFull = "010105002101016d016b020105010002";
    public const string MapDiff1 = "01010501a10500010105010002";

    // Client 1: map.set('k', 1); map.set('k', 2). The doc writes the second item with info 0xA8 (origin and the
    // parentSub bit, key not written); diffUpdate and mergeUpdates rewrite it as 0x88.
    public const string MapSetTwice = "010201002101016d016b01a80100017d020101010001";
    public const string MapSetTwiceRewritten = "010201002101016d016b01880100017d020101010001";

    // Clients 9 and 3, gc on: text, remote text, an XML element with text that is then deleted (GC'd).
    public const string GcFull = "02030900040101740568656c6c6f010101780100030103008409040620776f726c640109010504";
    public const string GcMerge = GcFull;
    public static readonly string[] GcUpdates =
    [
        "01010900040101740568656c6c6f00",
        "010103008409040620776f726c6400",
        "010109050701017803017000",
        "0102090607000905060400090602696e00",
        "000109010504",
    ];

    // Hand-written legacy JSON content (ref 2) for client 4 under root "j": ["1", "\"a\"", "undefined", "{\"b\":2}"],
    // with clocks 1..2 deleted.
    public const string JsonUpdate = "010104000201016a0401310322612209756e646566696e6564077b2262223a327d0104010102";
    public const string JsonDiff2 = "010104028204010209756e646566696e6564077b2262223a327d0104010102";

    // Client 11, three transactions: array.insert(0, [Uint8Array [1,2], new Doc({guid: 'g1', autoLoad: true}),
    // 'x😀', 2 ** 40]); xml.insert(0, [new XmlHook('hk'), new XmlElement('div')]); text.insertEmbed(0, {image: 'u'}).
    // Binary, Doc, Any, Type (hook and element) and Embed contents; diffs at clocks 1, 2, 3, 5 and 6.
    public const string KindsFull = "01060b0003010161020102890b000267317601086175746f4c6f616478880b0102770578f09f98807c53800000070101780502686b870b040303646976050101740d7b22696d616765223a2275227d00";
    public static readonly string[] KindsUpdates =
    [
        "01030b0003010161020102890b000267317601086175746f4c6f616478880b0102770578f09f98807c5380000000",
        "01020b04070101780502686b870b04030364697600",
        "01010b06050101740d7b22696d616765223a2275227d00",
    ];

    public static readonly (uint Clock, string Diff)[] KindsDiffs =
    [
        (1, "01050b01890b000267317601086175746f4c6f616478880b0102770578f09f98807c53800000070101780502686b870b040303646976050101740d7b22696d616765223a2275227d00"),
        (2, "01040b02880b0102770578f09f98807c53800000070101780502686b870b040303646976050101740d7b22696d616765223a2275227d00"),
        (3, "01040b03880b02017c53800000070101780502686b870b040303646976050101740d7b22696d616765223a2275227d00"),
        (5, "01020b05870b040303646976050101740d7b22696d616765223a2275227d00"),
        (6, "01010b06050101740d7b22696d616765223a2275227d00"),
    ];

    // Client 11 in v2 format (encodeStateAsUpdateV2): the contents of KindsFull, then bold "hello😀" with two units
    // deleted and a map entry; KindsV2AsV1 is convertUpdateFormatV2ToV1 of it (and convertUpdateFormatV1ToV2 of that
    // gives KindsV2 back).
    public const string KindsV2 = "0003000301024b0708000206040300040800170300890088000700870005008600840081008400860028281b61673178686b64697674626f6c64686c6ff09f9880626f6c646d6b010201020301040144004100010102050303420001010c000201027601086175746f4c6f616478770578f09f98807c53800000760105696d616765770175787e7601016175027d01770162010b010901";
    public const string KindsV2AsV1 = "010c0b0003010161020102890b000267317601086175746f4c6f616478880b0102770578f09f98807c53800000070101780502686b870b040303646976050101740d7b22696d616765223a2275227d860b0604626f6c640474727565840b070168810b0802840b0a066c6ff09f9880860b0e04626f6c64046e756c6c2801016d016b017601016175027d01770162010b010902";

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);
}
