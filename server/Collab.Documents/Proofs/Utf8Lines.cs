namespace Collab.Documents.Proofs;

/// <summary>
/// The lines of a UTF-8 stream as bytes, without their line ends, split as <see cref="StreamReader.ReadLine"/> splits
/// an export (at <c>\n</c>, a <c>\r</c> before it dropped; a leading byte order mark skipped): an import reads 80 MB
/// of lines without turning each into a string first.
/// </summary>
internal sealed class Utf8Lines(Stream input)
{
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _checkedMark;

    /// <summary>The next line (valid until the next call), or null at the end of the stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!_checkedMark && (_end - _start >= 3 || _eof))
            {
                _checkedMark = true;
                if (_buffer.AsSpan(_start, _end - _start).StartsWith("\uFEFF"u8)) _start += 3;
            }
            var newline = _checkedMark ? _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n') : -1;
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline);
                _start += newline + 1;
                return WithoutReturn(line);
            }
            if (_eof)
            {
                if (_start == _end) return null;
                var last = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                return WithoutReturn(last);
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            var read = await input.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0) _eof = true;
            else _end += read;
        }
    }

    private static ReadOnlyMemory<byte> WithoutReturn(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
