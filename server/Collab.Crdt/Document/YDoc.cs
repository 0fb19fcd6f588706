using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Document;

/// <summary>
/// A Yjs-compatible document: root types by name, the struct store, transactions and the v1 update codec.
/// Not thread safe: use one document from one thread at a time.
/// </summary>
public sealed partial class YDoc
{
    private readonly Dictionary<string, AbstractType> _share = new();

    /// <summary>Creates a document.</summary>
    public YDoc(YDocOptions? options = null)
    {
        options ??= new YDocOptions();
        ClientId = options.ClientId ?? GenerateClientId();
        Gc = options.Gc;
        Guid = options.Guid ?? System.Guid.NewGuid().ToString();
        CollectionId = options.CollectionId;
        Meta = options.Meta;
        AutoLoad = options.AutoLoad;
        ShouldLoad = options.ShouldLoad;
    }

    /// <summary>This peer's client id (uint32).</summary>
    public uint ClientId { get; set; }

    /// <summary>Whether deleted content is garbage collected.</summary>
    public bool Gc { get; }

    /// <summary>Guid of the document.</summary>
    public string Guid { get; }

    /// <summary>Collection id (subdocuments).</summary>
    public string? CollectionId { get; internal set; }

    /// <summary>Metadata (subdocuments).</summary>
    public object? Meta { get; }

    /// <summary>Whether this subdocument loads automatically.</summary>
    public bool AutoLoad { get; }

    /// <summary>Whether this subdocument should be loaded.</summary>
    public bool ShouldLoad { get; internal set; }

    /// <summary>Subdocuments currently contained in this document.</summary>
    public HashSet<YDoc> Subdocs { get; } = new();

    /// <summary>Names of the root types created or received so far.</summary>
    public IReadOnlyCollection<string> RootNames => _share.Keys;

    /// <summary>For a subdocument: the document that contains it (null otherwise).</summary>
    public YDoc? ParentDoc => ParentItem?.Parent?.Doc;

    internal Item? ParentItem { get; set; }

    internal StructStore Store { get; } = new();

    internal HashSet<Item> ConflictingItemsPool { get; } = new();

    internal HashSet<Item> ItemsBeforeOriginPool { get; } = new();

    internal Func<Item, bool> GcFilter { get; set; } = static _ => true;

    /// <summary>
    /// Lets go of the document's structs at once, for a caller that built the document only to read it and is done
    /// (history views). The struct list of a long document is a large object, which the collector frees only in a full
    /// collection; until then every item it points to survives the younger collections and is copied into the old
    /// generation, where it makes full collections come sooner. The document must not be used afterwards.
    /// </summary>
    public void ReleaseStructs()
    {
        // Items link to each other and to their types: a part of the document copied into an older generation by a
        // collection during the build would keep the rest alive through those links, so they are cut too.
        foreach (var structs in Store.Clients.Values)
        {
            foreach (var s in structs)
            {
                if (s is Item item)
                {
                    item.Left = null;
                    item.Right = null;
                    item.Parent = null;
                    if (item.Content is ContentType nested)
                    {
                        Forget(nested.Type);
                    }
                }
            }

            structs.Clear();
        }

        Store.Clients.Clear();
        foreach (var root in _share.Values)
        {
            Forget(root);
        }

        static void Forget(AbstractType type)
        {
            type.Start = null;
            type.Map.Clear();
            type.SearchMarkers = null;
        }
    }

    /// <summary>Whether updates are waiting for missing structs or deletes.</summary>
    public bool HasPending => Store.PendingStructs != null || Store.PendingDs != null;

    private static uint GenerateClientId() => (uint)Random.Shared.NextInt64(0, 1L << 32);

    internal static YDoc CreateSubdoc(string guid, object? opts)
    {
        var dict = opts as IReadOnlyDictionary<string, object?>;
        object? Get(string k) => dict != null && dict.TryGetValue(k, out var v) ? v : null;
        static bool Truthy(object? v) => v switch
        {
            null or YUndefined => false,
            bool b => b,
            long l => l != 0,
            double d => d != 0 && !double.IsNaN(d),
            string s => s.Length > 0,
            _ => true,
        };

        var gcVal = Get("gc");
        bool gc = gcVal is null or YUndefined || Truthy(gcVal);
        bool autoLoad = Truthy(Get("autoLoad"));
        bool shouldLoad = Truthy(Get("shouldLoad")) || autoLoad;
        var meta = Get("meta");
        return new YDoc(new YDocOptions
        {
            Guid = guid,
            Gc = gc,
            AutoLoad = autoLoad,
            ShouldLoad = shouldLoad,
            Meta = meta is YUndefined ? null : meta,
        });
    }

    /// <summary>Asks the parent document to load this subdocument.</summary>
    public void Load()
    {
        var item = ParentItem;
        if (item != null && !ShouldLoad)
        {
            item.Parent!.RequireDoc().Transact(t => t.SubdocsLoaded.Add(this), null, true);
        }

        ShouldLoad = true;
    }

    /// <summary>Gets or creates the root text <paramref name="name"/>.</summary>
    public YText GetText(string name = "") => Get(name, static () => new YText());

    /// <summary>Gets or creates the root map <paramref name="name"/>.</summary>
    public YMap GetMap(string name = "") => Get(name, static () => new YMap());

    /// <summary>Gets or creates the root array <paramref name="name"/>.</summary>
    public YArray GetArray(string name = "") => Get(name, static () => new YArray());

    /// <summary>Gets or creates the root XML fragment <paramref name="name"/>.</summary>
    public YXmlFragment GetXmlFragment(string name = "") => Get(name, static () => new YXmlFragment());

    /// <summary>Gets or creates the root XML element <paramref name="name"/> (node name "UNDEFINED" as in yjs).</summary>
    public YXmlElement GetXmlElement(string name = "") => Get(name, static () => new YXmlElement("UNDEFINED"));

    /// <summary>The root type named <paramref name="name"/> as it is now (possibly untyped), or null.</summary>
    public AbstractType? GetRoot(string name) => _share.TryGetValue(name, out var t) ? t : null;

    internal AbstractType GetOrCreateRoot(string name)
    {
        if (!_share.TryGetValue(name, out var t))
        {
            t = new YUntypedRoot();
            t.RootName = name;
            t.IntegrateInto(this, null);
            _share[name] = t;
        }

        return t;
    }

    private T Get<T>(string name, Func<T> create)
        where T : AbstractType
    {
        if (!_share.TryGetValue(name, out var type))
        {
            var created = create();
            created.RootName = name;
            created.IntegrateInto(this, null);
            _share[name] = created;
            return created;
        }

        if (type is T typed && type.GetType() == typeof(T))
        {
            return typed;
        }

        if (type is YUntypedRoot)
        {
            // A root received before anyone read it: give it its type now, keeping its items.
            var t = create();
            t.RootName = name;
            t.Map = type.Map;
            foreach (var kv in t.Map)
            {
                for (Item? n = kv.Value; n != null; n = n.Left)
                {
                    n.Parent = t;
                }
            }

            t.Start = type.Start;
            for (var n = t.Start; n != null; n = n.Right)
            {
                n.Parent = t;
            }

            t.LengthField = type.LengthField;
            _share[name] = t;
            t.IntegrateInto(this, null);
            return t;
        }

        throw new InvalidOperationException($"Type with the name {name} has already been defined with a different constructor");
    }

    /// <summary>Exactly what <c>JSON.stringify(doc.toJSON())</c> prints in JavaScript.</summary>
    public string ToJsonString() => JsJson.Stringify(ToJson())!;

    /// <summary>All root types as JSON (yjs doc.toJSON()); untyped roots appear as <see cref="YUndefined"/>.</summary>
    public Dictionary<string, object?> ToJson()
    {
        var res = new Dictionary<string, object?>();
        foreach (var kv in _share)
        {
            res[kv.Key] = kv.Value.ToJson();
        }

        return res;
    }
}
