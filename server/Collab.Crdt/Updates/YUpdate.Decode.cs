using Collab.Crdt.Updates;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// Decodes an update into its structs and delete set without a document, for inspection (yjs's
    /// <c>decodeUpdate</c>). Validates like <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static DecodedUpdate Decode(ReadOnlySpan<byte> update)
    {
        var structs = new List<UpdateStructInfo>();
        var source = update.ToArray();
        var ds = WalkAll(source, (in UpdateStruct s) => structs.Add(Describe(source, s)));
        return new DecodedUpdate(structs, ToClockRanges(ds));
    }

    private static UpdateStructInfo Describe(byte[] source, in UpdateStruct s)
    {
        var kind = s.Kind switch
        {
            StructKind.Gc => UpdateStructKind.Gc,
            StructKind.Skip => UpdateStructKind.Skip,
            _ => (UpdateStructKind)(s.ContentRef + 1),
        };
        var content = s.Kind == StructKind.Item ? source.AsSpan(s.ContentStart, s.ContentLength) : default;
        string? text = null;
        if (kind == UpdateStructKind.String)
        {
            var r = new Encoding.Lib0Reader(content, s.ContentStart);
            text = r.ReadVarString();
        }

        return new UpdateStructInfo
        {
            Kind = kind,
            Id = new UpdateId(s.Client, s.Clock),
            Length = s.Length,
            Origin = s.HasOrigin ? new UpdateId(s.OriginClient, s.OriginClock) : null,
            RightOrigin = s.HasRightOrigin ? new UpdateId(s.RightOriginClient, s.RightOriginClock) : null,
            ParentKey = s.Parent == ParentKind.RootKey ? System.Text.Encoding.UTF8.GetString(source, s.ParentKeyStart, s.ParentKeyLength) : null,
            ParentId = s.Parent == ParentKind.ItemId ? new UpdateId(s.ParentClient, s.ParentClock) : null,
            ParentSub = s.HasParentSub ? System.Text.Encoding.UTF8.GetString(source, s.ParentSubStart, s.ParentSubLength) : null,
            Text = text,
            Content = content.ToArray(),
        };
    }
}
