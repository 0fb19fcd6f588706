using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// Converts a v1 update to yjs's v2 format, as yjs's <c>convertUpdateFormatV1ToV2</c> does, for peers that
    /// speak v2.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static byte[] ConvertV1ToV2(byte[] update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var e = new V2Encoder();
        var reader = new UpdateStructReader(update, skipSkips: false);
        for (; reader.HasCurrent; reader.Next())
        {
            e.WriteStruct(reader.Current);
        }

        var r = new Lib0Reader(update.AsSpan(reader.Position), reader.Position);
        var ds = DeleteSet.Read(ref r);
        return e.Finish(ds, reader.Position);
    }

    /// <summary>yjs's UpdateEncoderV2 with its lazy struct writer: columns shared by all structs, sections in the rest.</summary>
    private sealed class V2Encoder
    {
        private readonly IntDiffOptRleEncoder _keyClock = new();
        private readonly UintOptRleEncoder _client = new();
        private readonly IntDiffOptRleEncoder _leftClock = new();
        private readonly IntDiffOptRleEncoder _rightClock = new();
        private readonly ByteRleEncoder _info = new();
        private readonly StringRleEncoder _strings = new();
        private readonly ByteRleEncoder _parentInfo = new();
        private readonly UintOptRleEncoder _typeRef = new();
        private readonly UintOptRleEncoder _len = new();
        private readonly Lib0Writer _rest = new(256);
        private readonly List<(int Count, int Start, int End)> _sections = [];
        private int _keyClockValue;
        private int _written;
        private int _sectionStart;
        private uint _sectionClient;

        public void WriteStruct(in UpdateStruct s)
        {
            if (_written > 0 && _sectionClient != s.Client)
            {
                Flush();
            }

            if (_written == 0)
            {
                _sectionClient = s.Client;
                _sectionStart = _rest.Length;
                _client.Write(s.Client);
                _rest.WriteVarUInt(s.Clock);
            }

            _written++;
            switch (s.Kind)
            {
                case StructKind.Gc:
                    _info.Write(StructCodec.RefGc);
                    _len.Write(s.Length);
                    return;
                case StructKind.Skip:
                    _info.Write(StructCodec.RefSkip);
                    _rest.WriteVarUInt(s.Length);
                    return;
            }

            _info.Write((byte)(s.ContentRef | (s.HasOrigin ? 0x80 : 0) | (s.HasRightOrigin ? 0x40 : 0) | (s.HasParentSub ? 0x20 : 0)));
            if (s.HasOrigin)
            {
                _client.Write(s.OriginClient);
                _leftClock.Write(s.OriginClock);
            }

            if (s.HasRightOrigin)
            {
                _client.Write(s.RightOriginClient);
                _rightClock.Write(s.RightOriginClock);
            }

            if (!s.HasOrigin && !s.HasRightOrigin)
            {
                if (s.Parent == ParentKind.RootKey)
                {
                    _parentInfo.Write(1);
                    _strings.Write(Utf8(s.Source, s.ParentKeyStart, s.ParentKeyLength));
                }
                else
                {
                    _parentInfo.Write(0);
                    _client.Write(s.ParentClient);
                    _leftClock.Write(s.ParentClock);
                }

                if (s.HasParentSub)
                {
                    _strings.Write(Utf8(s.Source, s.ParentSubStart, s.ParentSubLength));
                }
            }

            WriteContent(s);
        }

        private static string Utf8(byte[] source, int start, int length) => System.Text.Encoding.UTF8.GetString(source, start, length);

        /// <summary>New keys are always written out: yjs's key cache is disabled (its keyMap is never filled).</summary>
        private void WriteKey(string key)
        {
            _keyClock.Write(_keyClockValue++);
            _strings.Write(key);
        }

        private void WriteContent(in UpdateStruct s)
        {
            var r = new Lib0Reader(s.Source.AsSpan(s.ContentStart, s.ContentLength), s.ContentStart);
            switch (s.ContentRef)
            {
                case StructCodec.RefDeleted:
                    _len.Write(s.Length);
                    return;
                case StructCodec.RefJson:
                    {
                        ulong count = r.ReadVarUInt();
                        _len.Write(count);
                        for (ulong i = 0; i < count; i++)
                        {
                            _strings.Write(r.ReadVarString());
                        }

                        return;
                    }

                case StructCodec.RefBinary:
                    _rest.WriteVarUint8Array(r.ReadVarUint8Array());
                    return;
                case StructCodec.RefString:
                    _strings.Write(r.ReadVarString());
                    return;
                case StructCodec.RefEmbed:
                    WriteJsonAsAny(ref r);
                    return;
                case StructCodec.RefFormat:
                    WriteKey(r.ReadVarString());
                    WriteJsonAsAny(ref r);
                    return;
                case StructCodec.RefType:
                    {
                        ulong typeRef = r.ReadVarUInt();
                        _typeRef.Write(typeRef);
                        if (typeRef is 3 or 5)
                        {
                            WriteKey(r.ReadVarString());
                        }

                        return;
                    }

                case StructCodec.RefAny:
                    _len.Write(r.ReadVarUInt());
                    _rest.WriteBytes(r.RemainingSpan);
                    return;
                case StructCodec.RefDoc:
                    _strings.Write(r.ReadVarString());
                    _rest.WriteBytes(r.RemainingSpan);
                    return;
                default:
                    throw new InvalidOperationException($"Content ref {s.ContentRef} was accepted by the reader");
            }
        }

        /// <summary>v1 stores embeds and format values as JSON text; v2 as <c>any</c> (<c>JSON.parse</c>, then writeAny).</summary>
        private void WriteJsonAsAny(ref Lib0Reader r)
        {
            long at = r.Offset;
            string text = r.ReadVarString();
            try
            {
                _rest.WriteAny(JsJson.Parse(text));
            }
            catch (ArgumentException e)
            {
                throw new YjsFormatException($"JSON value cannot be written as any: {e.Message}", at);
            }
        }

        private void Flush()
        {
            if (_written > 0)
            {
                _sections.Add((_written, _sectionStart, _rest.Length));
                _written = 0;
            }
        }

        public byte[] Finish(DeleteSet ds, long dsOffset)
        {
            Flush();

            // The rest: sections (count, then each with its struct count and its fragment), then the delete set.
            var rest = new Lib0Writer(_rest.Length + 64);
            rest.WriteVarUInt((ulong)_sections.Count);
            foreach (var (count, start, end) in _sections)
            {
                rest.WriteVarUInt((ulong)count);
                rest.WriteBytes(_rest.WrittenSpan[start..end]);
            }

            WriteDeleteSet(rest, ds, dsOffset);

            var output = new Lib0Writer(rest.Length + 256);
            output.WriteVarUInt(0); // feature flag
            output.WriteVarUint8Array(_keyClock.ToArray());
            output.WriteVarUint8Array(_client.ToArray());
            output.WriteVarUint8Array(_leftClock.ToArray());
            output.WriteVarUint8Array(_rightClock.ToArray());
            output.WriteVarUint8Array(_info.Bytes);
            output.WriteVarUint8Array(_strings.ToArray());
            output.WriteVarUint8Array(_parentInfo.Bytes);
            output.WriteVarUint8Array(_typeRef.ToArray());
            output.WriteVarUint8Array(_len.ToArray());
            output.WriteBytes(rest.WrittenSpan);
            return output.ToArray();
        }

        /// <summary>v2 delete set: clients descending, clocks as differences, lengths minus one.</summary>
        private static void WriteDeleteSet(Lib0Writer w, DeleteSet ds, long dsOffset)
        {
            var clients = ds.Ranges.Keys.ToArray();
            Array.Sort(clients, static (a, b) => b.CompareTo(a));
            w.WriteVarUInt((ulong)clients.Length);
            foreach (uint client in clients)
            {
                var ranges = ds.Ranges[client];
                w.WriteVarUInt(client);
                w.WriteVarUInt((ulong)ranges.Count);
                ulong current = 0;
                foreach (var range in ranges)
                {
                    // yjs writes these differences unchecked; out-of-order or empty ranges would corrupt its output.
                    if (range.Clock < current || range.Length == 0)
                    {
                        throw new YjsFormatException($"Deleted ranges of client {client} are out of order or empty", dsOffset);
                    }

                    w.WriteVarUInt(range.Clock - current);
                    w.WriteVarUInt(range.Length - 1UL);
                    current = (ulong)range.Clock + range.Length;
                }
            }
        }
    }
}
