using Collab.Crdt.Encoding;

namespace Collab.Crdt.Structs;

/// <summary>
/// Ref 4: text, indexed in UTF-16 code units. Merging appends into a growable buffer (yjs relies on JS string ropes
/// for cheap appends; a plain .NET concat would make typing quadratic); reading materializes a string once.
/// </summary>
internal sealed class ContentString : AbstractContent
{
    private string? _str;
    private char[]? _buf;
    private int _len;

    public ContentString(string str)
    {
        _str = str;
        _len = str.Length;
    }

    public string Str
    {
        get
        {
            if (_str is null)
            {
                _str = new string(_buf!, 0, _len);
                _buf = null;
            }

            return _str;
        }
    }

    public ReadOnlySpan<char> Span => _str is not null ? _str.AsSpan() : _buf.AsSpan(0, _len);

    public override int Length => _len;

    public override bool IsCountable => true;

    public override byte Ref => 4;

    public override AbstractContent Copy() => new ContentString(Str);

    public override AbstractContent Splice(int offset)
    {
        var s = Span;
        string left = new(s[..offset]);
        string right = new(s[offset..]);
        if (offset > 0 && char.IsHighSurrogate(left[offset - 1]))
        {
            // Splitting a surrogate pair would produce invalid text: both halves become U+FFFD, as in yjs.
            left = string.Concat(left.AsSpan(0, offset - 1), "\uFFFD");
            right = string.Concat("\uFFFD", right.AsSpan(1));
        }

        _str = left;
        _buf = null;
        _len = left.Length;
        return new ContentString(right);
    }

    public override bool MergeWith(AbstractContent right)
    {
        var r = ((ContentString)right).Span;
        int newLen = _len + r.Length;
        if (_buf is null || _buf.Length < newLen)
        {
            var nb = new char[Math.Max(newLen * 2, 16)];
            Span.CopyTo(nb);
            _buf = nb;
        }
        else if (_str is not null)
        {
            _str.AsSpan().CopyTo(_buf);
        }

        r.CopyTo(_buf.AsSpan(_len));
        _len = newLen;
        _str = null;
        return true;
    }

    public override void Write(UpdateEncoder encoder, int offset) => encoder.WriteString(Span[offset..]);

    public override void AppendContent(List<object?> output)
    {
        foreach (char c in Span)
        {
            output.Add(c.ToString());
        }
    }

    public override object? GetValue(int index) => Span[index].ToString();
}
