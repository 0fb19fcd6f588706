using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Document;

/// <summary>
/// One unit of change (yjs Transaction). Every change happens inside a transaction; when the outermost one ends the
/// document merges structs, collects garbage, fires observers and emits the update.
/// </summary>
public sealed class Transaction
{
    internal Transaction(YDoc doc, object? origin, bool local)
    {
        Doc = doc;
        Origin = origin;
        Local = local;
        BeforeState = doc.Store.GetStateVector();
    }

    /// <summary>The document.</summary>
    public YDoc Doc { get; }

    /// <summary>The origin given to Transact/ApplyUpdate.</summary>
    public object? Origin { get; }

    /// <summary>Whether the change was made locally (not applied from an update).</summary>
    public bool Local { get; internal set; }

    /// <summary>State vector before the transaction.</summary>
    public Dictionary<uint, uint> BeforeState { get; }

    /// <summary>State vector after the transaction (set when it ends).</summary>
    public Dictionary<uint, uint> AfterState { get; internal set; } = new();

    /// <summary>What this transaction deleted.</summary>
    public DeleteSet DeleteSet { get; } = new();

    // Allocated on first use: most transactions of a text editor touch one type and never need the rest.
    private Dictionary<AbstractType, HashSet<string?>>? _changed;
    private Dictionary<AbstractType, List<YEvent>>? _changedParentTypes;
    private List<AbstractStruct>? _mergeStructs;
    private HashSet<YDoc>? _subdocsAdded;
    private HashSet<YDoc>? _subdocsRemoved;
    private HashSet<YDoc>? _subdocsLoaded;

    internal Dictionary<AbstractType, HashSet<string?>> Changed => _changed ??= new();

    internal bool HasChanged => _changed is { Count: > 0 };

    internal Dictionary<AbstractType, List<YEvent>> ChangedParentTypes => _changedParentTypes ??= new();

    internal bool HasChangedParentTypes => _changedParentTypes is { Count: > 0 };

    internal List<AbstractStruct> MergeStructs => _mergeStructs ??= new();

    internal int MergeStructsCount => _mergeStructs?.Count ?? 0;

    internal HashSet<YDoc> SubdocsAdded => _subdocsAdded ??= new();

    internal HashSet<YDoc> SubdocsRemoved => _subdocsRemoved ??= new();

    internal HashSet<YDoc> SubdocsLoaded => _subdocsLoaded ??= new();

    internal bool HasSubdocChanges => _subdocsAdded is { Count: > 0 } || _subdocsRemoved is { Count: > 0 } || _subdocsLoaded is { Count: > 0 };

    internal bool NeedFormattingCleanup { get; set; }

    internal uint BeforeStateOf(uint client) => BeforeState.TryGetValue(client, out uint c) ? c : 0;

    internal ItemId NextId() => new(Doc.ClientId, Doc.Store.GetState(Doc.ClientId));

    internal void AddChangedType(AbstractType type, string? parentSub)
    {
        var item = type.ParentItem;
        if (item == null || (item.Id.Clock < BeforeStateOf(item.Id.Client) && !item.Deleted))
        {
            if (!Changed.TryGetValue(type, out var set))
            {
                set = new HashSet<string?>();
                Changed[type] = set;
            }

            set.Add(parentSub);
        }
    }
}
