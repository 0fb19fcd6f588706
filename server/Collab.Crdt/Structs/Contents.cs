using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Types;

namespace Collab.Crdt.Structs;

/// <summary>Ref 1: a deleted range whose content was dropped; not countable.</summary>
internal sealed class ContentDeleted : AbstractContent
{
    public int Len;

    public ContentDeleted(int len)
    {
        Len = len;
    }

    public override int Length => Len;

    public override bool IsCountable => false;

    public override byte Ref => 1;

    public override AbstractContent Copy() => new ContentDeleted(Len);

    public override AbstractContent Splice(int offset)
    {
        var right = new ContentDeleted(Len - offset);
        Len = offset;
        return right;
    }

    public override bool MergeWith(AbstractContent right)
    {
        Len += ((ContentDeleted)right).Len;
        return true;
    }

    public override void Integrate(Transaction transaction, Item item)
    {
        transaction.DeleteSet.Add(item.Id.Client, item.Id.Clock, (uint)Len);
        item.MarkDeleted();
    }

    public override void Write(UpdateEncoder encoder, int offset) => encoder.WriteLen((ulong)(Len - offset));

    public override void AppendContent(List<object?> output)
    {
    }

    public override object? GetValue(int index) => null;
}

/// <summary>Contents holding a list of values, one clock unit each (JSON and Any).</summary>
internal abstract class ListContent : AbstractContent
{
    public List<object?> Arr;

    protected ListContent(List<object?> arr)
    {
        Arr = arr;
    }

    public override int Length => Arr.Count;

    public override bool IsCountable => true;

    protected abstract ListContent Create(List<object?> arr);

    public override AbstractContent Copy() => Create(Arr);

    public override AbstractContent Splice(int offset)
    {
        var right = Create(Arr.GetRange(offset, Arr.Count - offset));
        Arr = Arr.GetRange(0, offset);
        return right;
    }

    public override bool MergeWith(AbstractContent right)
    {
        var other = ((ListContent)right).Arr;
        var merged = new List<object?>(Arr.Count + other.Count);
        merged.AddRange(Arr);
        merged.AddRange(other);
        Arr = merged;
        return true;
    }

    public override void AppendContent(List<object?> output) => output.AddRange(Arr);

    public override object? GetValue(int index) => Arr[index];
}

/// <summary>Ref 2: JSON values stored as JSON text (legacy array content).</summary>
internal sealed class ContentJson : ListContent
{
    public ContentJson(List<object?> arr)
        : base(arr)
    {
    }

    public override byte Ref => 2;

    protected override ListContent Create(List<object?> arr) => new ContentJson(arr);

    public override void Write(UpdateEncoder encoder, int offset)
    {
        encoder.WriteLen((ulong)(Arr.Count - offset));
        for (int i = offset; i < Arr.Count; i++)
        {
            var c = Arr[i];
            encoder.WriteString(c is YUndefined ? "undefined" : JsJson.StringifyForEncoding(c));
        }
    }
}

/// <summary>Ref 3: one binary blob (Uint8Array).</summary>
internal sealed class ContentBinary : AbstractContent
{
    public ContentBinary(byte[] content)
    {
        Content = content;
    }

    public byte[] Content { get; }

    public override int Length => 1;

    public override bool IsCountable => true;

    public override byte Ref => 3;

    public override AbstractContent Copy() => new ContentBinary(Content);

    public override void Write(UpdateEncoder encoder, int offset) => encoder.WriteBuf(Content);

    public override void AppendContent(List<object?> output) => output.Add(Content);

    public override object? GetValue(int index) => Content;
}

/// <summary>Ref 5: one embed (a JSON value) in a text.</summary>
internal sealed class ContentEmbed : AbstractContent
{
    public ContentEmbed(object? embed)
    {
        Embed = embed;
    }

    public object? Embed { get; }

    public override int Length => 1;

    public override bool IsCountable => true;

    public override byte Ref => 5;

    public override AbstractContent Copy() => new ContentEmbed(Embed);

    public override void Write(UpdateEncoder encoder, int offset) => encoder.WriteJson(Embed);

    public override void AppendContent(List<object?> output) => output.Add(Embed);

    public override object? GetValue(int index) => Embed;
}

/// <summary>Ref 6: a formatting attribute boundary in a text; not countable.</summary>
internal sealed class ContentFormat : AbstractContent
{
    public ContentFormat(string key, object? value)
    {
        Key = key;
        Value = value;
    }

    public string Key { get; }

    public object? Value { get; }

    public override int Length => 1;

    public override bool IsCountable => false;

    public override byte Ref => 6;

    public override AbstractContent Copy() => new ContentFormat(Key, Value);

    public override void Integrate(Transaction transaction, Item item)
    {
        // Search markers do not support rich text, as in yjs.
        var p = item.Parent!;
        p.SearchMarkers = null;
        if (p is YText t)
        {
            t.HasFormatting = true;
        }
    }

    public override void Write(UpdateEncoder encoder, int offset)
    {
        encoder.WriteKey(Key);
        encoder.WriteJson(Value);
    }

    public override void AppendContent(List<object?> output)
    {
    }

    public override object? GetValue(int index) => null;
}

/// <summary>Ref 8: values encoded with lib0 any.</summary>
internal sealed class ContentAny : ListContent
{
    public ContentAny(List<object?> arr)
        : base(arr)
    {
    }

    public override byte Ref => 8;

    protected override ListContent Create(List<object?> arr) => new ContentAny(arr);

    public override void Write(UpdateEncoder encoder, int offset)
    {
        encoder.WriteLen((ulong)(Arr.Count - offset));
        for (int i = offset; i < Arr.Count; i++)
        {
            encoder.WriteAny(Arr[i]);
        }
    }
}

/// <summary>Ref 7: a nested shared type.</summary>
internal sealed class ContentType : AbstractContent
{
    public ContentType(AbstractType type)
    {
        Type = type;
    }

    public AbstractType Type { get; }

    public override int Length => 1;

    public override bool IsCountable => true;

    public override byte Ref => 7;

    public override AbstractContent Copy() => new ContentType(Type.CopyEmpty());

    public override void Integrate(Transaction transaction, Item item) => Type.IntegrateInto(transaction.Doc, item);

    public override void Delete(Transaction transaction) => DeleteTree(transaction, Type);

    public override void Gc(StructStore store) => GcTree(store, Type);

    private sealed class DeleteFrame
    {
        public DeleteFrame(AbstractType type)
        {
            Type = type;
            Next = type.Start;
        }

        public AbstractType Type { get; }

        public Item? Next;
        public List<Item>? MapItems;
        public int MapIndex;
    }

    /// <summary>
    /// Deletes everything inside <paramref name="root"/> and its nested types, depth first in the order yjs's
    /// recursive ContentType.delete uses, with an explicit stack so deep nesting cannot overflow the call stack.
    /// </summary>
    private static void DeleteTree(Transaction transaction, AbstractType root)
    {
        var stack = new Stack<DeleteFrame>();
        stack.Push(new DeleteFrame(root));
        while (stack.Count > 0)
        {
            var f = stack.Peek();
            bool descended = false;
            while (f.MapItems == null && f.Next != null)
            {
                var item = f.Next;
                f.Next = item.Right;
                if (DeleteChild(transaction, item, stack))
                {
                    descended = true;
                    break;
                }
            }

            if (descended)
            {
                continue;
            }

            if (f.MapItems == null)
            {
                f.MapItems = new List<Item>(f.Type.Map.Values);
            }

            while (f.MapIndex < f.MapItems.Count)
            {
                var item = f.MapItems[f.MapIndex++];
                if (DeleteChild(transaction, item, stack))
                {
                    descended = true;
                    break;
                }
            }

            if (descended)
            {
                continue;
            }

            transaction.RemoveChanged(f.Type);
            stack.Pop();
        }
    }

    /// <summary>Deletes one child; returns true when it pushed a nested type to process first.</summary>
    private static bool DeleteChild(Transaction transaction, Item item, Stack<DeleteFrame> stack)
    {
        if (!item.Deleted)
        {
            item.DeleteShallow(transaction);
            if (item.Content is ContentType ct)
            {
                stack.Push(new DeleteFrame(ct.Type));
                return true;
            }

            item.Content.Delete(transaction);
        }
        else if (item.Id.Clock < transaction.BeforeStateOf(item.Id.Client))
        {
            // will be gc'd later; it must be merged too, yet it is not in the transaction's delete set
            transaction.MergeStructs.Add(item);
        }

        return false;
    }

    /// <summary>Replaces everything inside <paramref name="root"/> (and nested types) with GC structs, iteratively.</summary>
    private static void GcTree(StructStore store, AbstractType root)
    {
        var work = new Stack<AbstractType>();
        work.Push(root);
        while (work.Count > 0)
        {
            var type = work.Pop();
            for (var item = type.Start; item != null; item = item.Right)
            {
                item.GcShallow(store, true, work);
            }

            type.Start = null;
            foreach (var kv in type.Map)
            {
                for (Item? mi = kv.Value; mi != null; mi = mi.Left)
                {
                    mi.GcShallow(store, true, work);
                }
            }

            type.Map = new Dictionary<string, Item>();
        }
    }

    public override void Write(UpdateEncoder encoder, int offset) => Type.WriteTypeRef(encoder);

    public override void AppendContent(List<object?> output) => output.Add(Type);

    public override object? GetValue(int index) => Type;
}

/// <summary>Ref 9: a subdocument (guid plus the options yjs keeps: gc, autoLoad, meta).</summary>
internal sealed class ContentDoc : AbstractContent
{
    public ContentDoc(YDoc doc)
    {
        Doc = doc;
    }

    public YDoc Doc { get; set; }

    public override int Length => 1;

    public override bool IsCountable => true;

    public override byte Ref => 9;

    public override AbstractContent Copy() => new ContentDoc(YDoc.CreateSubdoc(Doc.Guid, Opts()));

    /// <summary>The options object yjs writes: keys gc (when false), autoLoad (when true), meta (when set).</summary>
    public Dictionary<string, object?> Opts()
    {
        var opts = new Dictionary<string, object?>();
        if (!Doc.Gc)
        {
            opts["gc"] = false;
        }

        if (Doc.AutoLoad)
        {
            opts["autoLoad"] = true;
        }

        if (Doc.Meta is not null and not YUndefined)
        {
            opts["meta"] = Doc.Meta;
        }

        return opts;
    }

    public override void Integrate(Transaction transaction, Item item)
    {
        Doc.ParentItem = item;
        transaction.SubdocsAdded.Add(Doc);
        if (Doc.ShouldLoad)
        {
            transaction.SubdocsLoaded.Add(Doc);
        }
    }

    public override void Delete(Transaction transaction)
    {
        if (!transaction.SubdocsAdded.Remove(Doc))
        {
            transaction.SubdocsRemoved.Add(Doc);
        }
    }

    public override void Write(UpdateEncoder encoder, int offset)
    {
        encoder.WriteString(Doc.Guid);
        encoder.WriteAny(Opts());
    }

    public override void AppendContent(List<object?> output) => output.Add(Doc);

    public override object? GetValue(int index) => Doc;
}
