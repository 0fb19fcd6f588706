using Collab.Crdt.Encoding;

namespace Collab.Crdt.Updates;

/// <summary>
/// Writes structs one by one and groups consecutive structs of one client into a section, whose struct count is
/// only known at the end (yjs's LazyStructWriter). Sections are buffered in one body and framed in
/// <see cref="Finish"/>.
/// </summary>
internal sealed class LazyStructWriter
{
    private readonly Lib0Writer _body = new(1024);
    private readonly List<(int Count, int Start, int End)> _sections = [];
    private int _written;
    private int _sectionStart;
    private uint _client;

    /// <summary>Starts a new client section (flushing the previous client's) unless this struct continues the current one.</summary>
    private void BeginStruct(uint client, ulong firstClock)
    {
        if (_written > 0 && _client != client)
        {
            Flush();
        }

        if (_written == 0)
        {
            _client = client;
            _sectionStart = _body.Length;
            _body.WriteVarUInt(client);
            _body.WriteVarUInt(firstClock);
        }
    }

    /// <summary>Writes <paramref name="s"/> without its first <paramref name="offset"/> units.</summary>
    public void Write(in UpdateStruct s, uint offset)
    {
        BeginStruct(s.Client, (ulong)s.Clock + offset);
        StructCodec.Write(_body, s, offset);
        _written++;
    }

    /// <summary>Writes units [from, from + count) of <paramref name="s"/> as one struct (see <see cref="StructCodec.WriteSlice"/>).</summary>
    public void WriteSlice(in UpdateStruct s, uint from, uint count)
    {
        BeginStruct(s.Client, (ulong)s.Clock + from);
        StructCodec.WriteSlice(_body, s, from, count);
        _written++;
    }

    /// <summary>Bytes written so far, without the section framing.</summary>
    public int Length => _body.Length;

    /// <summary>Whether nothing was written.</summary>
    public bool IsEmpty => _written == 0 && _sections.Count == 0;

    private void Flush()
    {
        if (_written > 0)
        {
            _sections.Add((_written, _sectionStart, _body.Length));
            _written = 0;
        }
    }

    /// <summary>Writes the struct section (section count, then each section with its struct count) to <paramref name="output"/>.</summary>
    public void Finish(Lib0Writer output)
    {
        Flush();
        output.WriteVarUInt((ulong)_sections.Count);
        var body = _body.WrittenSpan;
        foreach (var (count, start, end) in _sections)
        {
            output.WriteVarUInt((ulong)count);
            output.WriteBytes(body[start..end]);
        }
    }
}
