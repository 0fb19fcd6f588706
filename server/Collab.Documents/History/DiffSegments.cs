using System.Collections;
using System.Text;
using Collab.Crdt.History;

namespace Collab.Documents.History;

/// <summary>What a diff segment says (<see cref="DiffSegment.Op"/>).</summary>
internal enum DiffOp : byte
{
    Equal,
    Insert,
    Delete,
    Modify,
}

/// <summary>
/// The segments of one root of a diff, kept compact: per segment a struct in arrays of 1,024 (no object per segment),
/// its content a slice of a string shared with its neighbours (the item run it came from), its events as the index's
/// own <see cref="EventInfo"/>s. A diff between two distant versions of a typed document has one segment per keystroke
/// event (up to 120,000 on the paper trace): as objects they were most of what a collection found alive in a diff.
/// A <see cref="DiffSegment"/> is made when one is read (serialization reads each once, and lets it go at once).
/// </summary>
internal sealed class DiffSegmentList : IReadOnlyList<DiffSegment>
{
    private const int ChunkBits = 10;
    private const int ChunkSize = 1 << ChunkBits; // 1,024 slots of 32 bytes: well under the large object heap's 85,000
    private const int ExtraBits = 30; // Slot.OpAndExtra: the op in the top 2 bits, the extra's index + 1 below

    // Most segments of a diff across a typed history are one keystroke: one character, shared instead of allocated.
    private static readonly string[] s_oneCharStrings = [.. Enumerable.Range(0, 128).Select(static c => ((char)c).ToString())];

    private static readonly string[] s_opNames = ["equal", "insert", "delete", "modify"];

    private readonly List<Slot[]> _chunks = [];

    // The chunk being filled, and the last source added (Add's common case: the same run, the same chunk).
    private Slot[] _chunk = [];
    private string? _lastSource;

    /// <summary>The strings contents are slices of (<see cref="Slot.Source"/>): the runs' texts, and other kinds' contents.</summary>
    private readonly List<string> _sources = [];

    /// <summary>Keys and old contents (maps and modified entries only), referred to by <see cref="Slot.OpAndExtra"/>.</summary>
    private List<(string? Key, string? OldContent)>? _extras;

    public int Count { get; private set; }

    public DiffSegment this[int index]
    {
        get
        {
            ref readonly var slot = ref SlotAt(index);
            int extra = slot.OpAndExtra & ((1 << ExtraBits) - 1);
            var (key, oldContent) = extra == 0 ? default : _extras![extra - 1];
            return new DiffSegment(s_opNames[OpOf(in slot)], slot.Length, ContentOf(in slot), key, oldContent, EventMark.Of(slot.InsertedBy), EventMark.Of(slot.DeletedBy));
        }
    }

    /// <summary>What segment <paramref name="index"/> says, without making it.</summary>
    public DiffOp OpAt(int index) => (DiffOp)OpOf(in SlotAt(index));

    /// <summary>The content of segment <paramref name="index"/>, without a string.</summary>
    public ReadOnlySpan<char> ContentAt(int index)
    {
        ref readonly var slot = ref SlotAt(index);
        var source = _sources[slot.Source];
        return slot.Offset < 0 ? source : source.AsSpan(slot.Offset, slot.Length);
    }

    public IEnumerator<DiffSegment> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Adds a segment whose content is <paramref name="source"/>[<paramref name="offset"/>.. + <paramref name="length"/>)
    /// (text: one unit per character), or all of <paramref name="source"/> when <paramref name="offset"/> is negative.
    /// </summary>
    internal void Add(DiffOp op, int length, string source, int offset, string? key, string? oldContent, EventInfo? insertedBy, EventInfo? deletedBy)
    {
        int extra = 0;
        if (key is not null || oldContent is not null)
        {
            _extras ??= [];
            _extras.Add((key, oldContent));
            extra = _extras.Count;
            if (extra >= 1 << ExtraBits) throw new InvalidOperationException("Too many map entries in one diff.");
        }
        // Consecutive segments of a run share its text: one entry per run, not per segment.
        if (!ReferenceEquals(_lastSource, source))
        {
            _sources.Add(source);
            _lastSource = source;
        }
        int within = Count & (ChunkSize - 1);
        if (within == 0) _chunks.Add(_chunk = new Slot[ChunkSize]);
        ref var slot = ref _chunk[within];
        slot.InsertedBy = insertedBy;
        slot.DeletedBy = deletedBy;
        slot.Source = _sources.Count - 1;
        slot.Offset = offset;
        slot.Length = length;
        slot.OpAndExtra = ((int)op << ExtraBits) | extra;
        Count++;
    }

    private static int OpOf(in Slot slot) => (int)((uint)slot.OpAndExtra >> ExtraBits);

    private ref readonly Slot SlotAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];
    }

    private string ContentOf(in Slot slot)
    {
        var source = _sources[slot.Source];
        if (slot.Offset < 0 || (slot.Offset == 0 && slot.Length == source.Length)) return source;
        if (slot.Length == 1 && source[slot.Offset] < s_oneCharStrings.Length) return s_oneCharStrings[source[slot.Offset]];
        return source.Substring(slot.Offset, slot.Length);
    }

    /// <summary>One segment (32 bytes): its events, where its content is, its length, its op and extra.</summary>
    private struct Slot
    {
        public EventInfo? InsertedBy;
        public EventInfo? DeletedBy;
        public int Source;
        public int Offset;
        public int Length;
        public int OpAndExtra;
    }
}

/// <summary>
/// Segments being built: a run joins the last segment when it says the same thing (same op and events). The last
/// segment stays open until one that does not join arrives; while its parts are consecutive in one string (the units of
/// one item run) it stays a slice of that string, so joining allocates nothing; other parts are joined in a builder.
/// </summary>
internal sealed class DiffSegmentBuilder(RootKind kind)
{
    private readonly DiffSegmentList _segments = new();
    private readonly StringBuilder _joined = new();

    // The open segment: its fields, and its content (in _joined once a part that does not follow joined, else a slice).
    private bool _open;
    private DiffOp _op;
    private int _length;
    private string? _key;
    private string? _oldContent;
    private EventInfo? _insertedBy;
    private EventInfo? _deletedBy;
    private string _source = "";
    private int _offset;
    private int _contentLength;
    private bool _isJoined;

    /// <summary>A segment whose content is all of <paramref name="content"/> (or joins the open one).</summary>
    public void Add(DiffOp op, int length, string content, string? key, string? oldContent = null, EventInfo? insertedBy = null, EventInfo? deletedBy = null)
    {
        if (Joins(op, insertedBy, deletedBy))
        {
            StartJoining();
            AppendContent(content);
            _length += length;
            return;
        }
        Open(op, length, key, oldContent, insertedBy, deletedBy);
        (_source, _offset, _contentLength) = (content, 0, content.Length);
    }

    /// <summary>Text units [<paramref name="offset"/>, + <paramref name="count"/>) of <paramref name="text"/>, as <see cref="Add"/> with that substring.</summary>
    public void AddText(DiffOp op, string text, int offset, int count, EventInfo? insertedBy, EventInfo? deletedBy)
    {
        if (Joins(op, insertedBy, deletedBy))
        {
            _length += count;
            if (!_isJoined && ReferenceEquals(text, _source) && offset == _offset + _contentLength)
            {
                _contentLength += count; // the next units of the same run: the slice grows
                return;
            }
            StartJoining();
            _joined.Append(text, offset, count);
            return;
        }
        Open(op, count, null, null, insertedBy, deletedBy);
        (_source, _offset, _contentLength) = (text, offset, count);
    }

    public DiffSegmentList Build()
    {
        Close();
        return _segments;
    }

    private bool Joins(DiffOp op, EventInfo? insertedBy, EventInfo? deletedBy) =>
        _open && kind != RootKind.Map && op != DiffOp.Modify && _op == op && ReferenceEquals(_insertedBy, insertedBy) && ReferenceEquals(_deletedBy, deletedBy);

    private void Open(DiffOp op, int length, string? key, string? oldContent, EventInfo? insertedBy, EventInfo? deletedBy)
    {
        Close();
        _open = true;
        (_op, _length, _key, _oldContent, _insertedBy, _deletedBy) = (op, length, key, oldContent, insertedBy, deletedBy);
    }

    private void StartJoining()
    {
        if (_isJoined) return;
        _joined.Clear();
        if (kind == RootKind.Array) AppendContent(_source.Substring(_offset, _contentLength));
        else _joined.Append(_source, _offset, _contentLength);
        _isJoined = true;
    }

    private void Close()
    {
        if (!_open) return;
        if (_isJoined)
        {
            var content = kind == RootKind.Array ? "[" + _joined + "]" : _joined.ToString();
            (_source, _offset, _contentLength) = (content, 0, content.Length);
        }
        // A text slice is as long as the segment (a unit is a UTF-16 unit); any other content is a whole string.
        bool slice = _contentLength == _length && !(_offset == 0 && _contentLength == _source.Length);
        if (!slice && (_offset != 0 || _contentLength != _source.Length)) _source = _source.Substring(_offset, _contentLength);
        _segments.Add(_op, _length, _source, slice ? _offset : -1, _key, _oldContent, _insertedBy, _deletedBy);
        _open = false;
        _isJoined = false;
        _source = "";
    }

    /// <summary>Text and markup concatenate; arrays keep their elements without the brackets until the end.</summary>
    private void AppendContent(string content)
    {
        if (kind != RootKind.Array)
        {
            _joined.Append(content);
            return;
        }
        var inner = content.AsSpan(1, content.Length - 2);
        if (inner.Length == 0) return;
        if (_joined.Length > 0) _joined.Append(',');
        _joined.Append(inner);
    }
}
