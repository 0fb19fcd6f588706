using Collab.Crdt.Document;
using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Types;

/// <summary>
/// Base of every shared type (yjs AbstractType): a list of items (<c>Start</c>) and a map of keyed items
/// (<c>Map</c>, the rightmost item per key). A type created with <c>new</c> is preliminary until inserted into a
/// document; then its preliminary content is written in the inserting transaction.
/// </summary>
public abstract partial class AbstractType
{
    internal Item? ParentItem;
    internal Dictionary<string, Item> Map = new();
    internal Item? Start;
    internal int LengthField;
    internal List<ArraySearchMarker>? SearchMarkers;

    /// <summary>
    /// True while every search marker rests on a visible, countable item whose marker flag is set: then yjs's marker
    /// walk for an insert (ArraySearchMarker.UpdateChanges) would change nothing but indexes. Set by a full walk;
    /// cleared when a marked item is deleted or a marker moves somewhere that breaks it.
    /// </summary>
    internal bool SearchMarkersSettled;
    internal string? RootName;
    private List<Action<YEvent, Transaction>>? _observers;
    private List<Action<IReadOnlyList<YEvent>, Transaction>>? _deepObservers;

    /// <summary>The document this type belongs to (null while preliminary).</summary>
    public YDoc? Doc { get; private set; }

    /// <summary>The type that contains this one (null for a root type or a preliminary type).</summary>
    public AbstractType? Parent => ParentItem?.Parent;

    /// <summary>The id of the item holding this nested type (null for roots).</summary>
    public ItemId? ItemId => ParentItem?.Id;

    /// <summary>A JSON-like object graph equal to yjs's <c>toJSON()</c> (strings, long/double, bool, null, dictionaries, lists).</summary>
    public abstract object? ToJson();

    /// <summary>Exactly what <c>JSON.stringify(type.toJSON())</c> prints in JavaScript (null for undefined).</summary>
    public string? ToJsonString() => JsJson.Stringify(ToJson());

    /// <summary>Registers a handler called with this type's event after each transaction that changed it.</summary>
    public void Observe(Action<YEvent, Transaction> handler)
    {
        (_observers ??= new()).Add(handler);
        RequireDocForObserver()?.ObserverAdded();
    }

    /// <summary>Removes a handler added by <see cref="Observe"/>.</summary>
    public void Unobserve(Action<YEvent, Transaction> handler) => _observers?.Remove(handler);

    /// <summary>Registers a handler called with the events of this type and all nested types, top-level events first.</summary>
    public void ObserveDeep(Action<IReadOnlyList<YEvent>, Transaction> handler)
    {
        (_deepObservers ??= new()).Add(handler);
        RequireDocForObserver()?.ObserverAdded();
    }

    private YDoc? RequireDocForObserver() => Doc;

    /// <summary>Removes a handler added by <see cref="ObserveDeep"/>.</summary>
    public void UnobserveDeep(Action<IReadOnlyList<YEvent>, Transaction> handler) => _deepObservers?.Remove(handler);

    internal bool HasDeepObservers => _deepObservers is { Count: > 0 };

    /// <summary>A new empty type of the same kind (yjs _copy).</summary>
    internal abstract AbstractType CopyEmpty();

    /// <summary>Writes the type ref (and name for XML element/hook) of ContentType.</summary>
    internal abstract void WriteTypeRef(UpdateEncoder encoder);

    internal virtual void IntegrateInto(YDoc doc, Item? item)
    {
        Doc = doc;
        ParentItem = item;
        if (_observers is { Count: > 0 } || _deepObservers is { Count: > 0 })
        {
            doc.ObserverAdded();
        }
    }

    internal virtual void CallObserver(Transaction transaction, HashSet<string?> parentSubs)
    {
        if (!transaction.Local && SearchMarkers != null)
        {
            SearchMarkers.Clear();
        }
    }

    /// <summary>Whether this type has an observer or it or an ancestor has a deep observer.</summary>
    internal bool HasAnyObserver()
    {
        if (_observers is { Count: > 0 })
        {
            return true;
        }

        for (AbstractType? t = this; t != null; t = t.ParentItem?.Parent)
        {
            if (t.HasDeepObservers)
            {
                return true;
            }
        }

        return false;
    }

    internal void CallTypeObservers(Transaction transaction, YEvent evt)
    {
        if (!HasAnyObserver())
        {
            return;
        }

        var type = this;
        while (true)
        {
            if (!transaction.ChangedParentTypes.TryGetValue(type, out var list))
            {
                list = new List<YEvent>();
                transaction.ChangedParentTypes[type] = list;
            }

            list.Add(evt);
            if (type.ParentItem == null)
            {
                break;
            }

            type = type.ParentItem.Parent!;
        }

        if (_observers != null)
        {
            foreach (var h in _observers.ToArray())
            {
                h(evt, transaction);
            }
        }
    }

    /// <summary>The part of <see cref="CallObserver"/> that is not about events, for documents without observers.</summary>
    internal virtual void AfterChangeWithoutObservers(Transaction transaction)
    {
        if (!transaction.Local && SearchMarkers != null)
        {
            SearchMarkers.Clear();
        }
    }

    internal void CallDeepObservers(List<YEvent> events, Transaction transaction)
    {
        if (_deepObservers != null)
        {
            foreach (var h in _deepObservers.ToArray())
            {
                h(events, transaction);
            }
        }
    }

    internal YDoc RequireDoc() =>
        Doc ?? throw new InvalidOperationException("This type is preliminary: insert it into a document first");

    /// <summary>Nesting depth beyond which ToJson/ToString refuse (instead of overflowing the call stack).</summary>
    public const int MaxRenderDepth = 1000;

    [ThreadStatic]
    private static int t_renderDepth;

    /// <summary>Values converted for ToJson: nested types become their JSON.</summary>
    internal static object? ValueToJson(object? v) => v is AbstractType t ? Render(t, static x => x.ToJson()) : v;

    /// <summary>Renders a nested type with a depth guard.</summary>
    internal static T Render<T>(AbstractType t, Func<AbstractType, T> render)
    {
        if (++t_renderDepth > MaxRenderDepth)
        {
            t_renderDepth--;
            throw new InvalidOperationException($"Types are nested more than {MaxRenderDepth} levels deep");
        }

        try
        {
            return render(t);
        }
        finally
        {
            t_renderDepth--;
        }
    }

    /// <summary>The first non-deleted item of the list.</summary>
    internal Item? First
    {
        get
        {
            var n = Start;
            while (n != null && n.Deleted)
            {
                n = n.Right;
            }

            return n;
        }
    }

    internal static bool IsJsonLike(object? c) => c switch
    {
        null => true,
        string or bool or long or int or double or float or uint or short or ushort or byte or sbyte or ulong or decimal => true,
        System.Numerics.BigInteger => true,
        YUndefined => true,
        IEnumerable<KeyValuePair<string, object?>> => true,
        byte[] => false,
        AbstractType or YDoc => false,
        System.Collections.IEnumerable => true,
        _ => false,
    };

    /// <summary>Content for one value set on a map key (yjs typeMapSet).</summary>
    internal static AbstractContent ContentForValue(object? value) => value switch
    {
        byte[] b => new ContentBinary(b),
        YDoc d => new ContentDoc(d),
        AbstractType t => new ContentType(t),
        _ when IsJsonLike(value) => new ContentAny(new List<object?>(1) { value }),
        _ => throw new ArgumentException($"Unexpected content type {value!.GetType()}"),
    };
}
