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
    }

    /// <summary>The document.</summary>
    public YDoc Doc { get; }

    /// <summary>The origin given to Transact/ApplyUpdate.</summary>
    public object? Origin { get; }

    /// <summary>Whether the change was made locally (not applied from an update).</summary>
    public bool Local { get; internal set; }

    // The before-state is kept compactly: only clients whose state this transaction advanced are recorded (with their
    // clock before it). Full state vectors are built on demand (and frozen when the transaction ends if anything
    // observes the document), which saves two dictionaries per transaction on the typing hot path.
    private uint _rc0Client;
    private uint _rc0Before;
    private bool _hasRc0;
    private List<(uint Client, uint Before)>? _rcMore;
    private Dictionary<uint, uint>? _beforeState;
    private Dictionary<uint, uint>? _afterState;
    private DeleteSet? _deleteSet;

    /// <summary>State vector before the transaction (valid during the transaction and its observers).</summary>
    public Dictionary<uint, uint> BeforeState => _beforeState ??= ComputeBeforeState();

    /// <summary>State vector after the transaction (valid once it ended, during its observers).</summary>
    public Dictionary<uint, uint> AfterState => _afterState ??= Doc.Store.GetStateVector();

    /// <summary>What this transaction deleted.</summary>
    public DeleteSet DeleteSet => _deleteSet ??= new DeleteSet();

    internal bool HasDeletes => _deleteSet is { IsEmpty: false };

    internal bool HasStateChanges => _hasRc0;

    /// <summary>Number of clients whose state advanced.</summary>
    internal int StateChangeCount => _hasRc0 ? 1 + (_rcMore?.Count ?? 0) : 0;

    /// <summary>The i-th client whose state advanced, with its clock before the transaction.</summary>
    internal (uint Client, uint Before) StateChange(int i) => i == 0 ? (_rc0Client, _rc0Before) : _rcMore![i - 1];

    /// <summary>Clients whose state advanced, with their clock before the transaction.</summary>
    internal List<(uint Client, uint Before)> StateChanges
    {
        get
        {
            var list = new List<(uint, uint)>(StateChangeCount);
            for (int i = 0; i < StateChangeCount; i++)
            {
                list.Add(StateChange(i));
            }

            return list;
        }
    }

    internal void RecordStateChange(uint client, uint before)
    {
        if (!_hasRc0)
        {
            _hasRc0 = true;
            _rc0Client = client;
            _rc0Before = before;
            return;
        }

        if (_rc0Client == client)
        {
            return;
        }

        _rcMore ??= new List<(uint, uint)>();
        foreach (var rc in _rcMore)
        {
            if (rc.Client == client)
            {
                return;
            }
        }

        _rcMore.Add((client, before));
    }

    /// <summary>Whether this transaction added structs of <paramref name="client"/>.</summary>
    internal bool AdvancedClient(uint client) => TryGetRecorded(client, out _);

    private bool TryGetRecorded(uint client, out uint before)
    {
        if (_hasRc0)
        {
            if (_rc0Client == client)
            {
                before = _rc0Before;
                return true;
            }

            if (_rcMore != null)
            {
                foreach (var rc in _rcMore)
                {
                    if (rc.Client == client)
                    {
                        before = rc.Before;
                        return true;
                    }
                }
            }
        }

        before = 0;
        return false;
    }

    private Dictionary<uint, uint> ComputeBeforeState()
    {
        var sv = Doc.Store.GetStateVector();
        foreach (var (client, before) in StateChanges)
        {
            if (before == 0)
            {
                sv.Remove(client);
            }
            else
            {
                sv[client] = before;
            }
        }

        return sv;
    }

    /// <summary>Builds the full state vectors now, before observers can advance the store further.</summary>
    internal void Freeze()
    {
        _beforeState ??= ComputeBeforeState();
        _afterState ??= Doc.Store.GetStateVector();
    }

    // Allocated on first use: most transactions of a text editor touch one type and never need the rest.

    private Dictionary<AbstractType, List<YEvent>>? _changedParentTypes;
    private List<AbstractStruct>? _mergeStructs;
    private HashSet<YDoc>? _subdocsAdded;
    private HashSet<YDoc>? _subdocsRemoved;
    private HashSet<YDoc>? _subdocsLoaded;

    // The first changed type is kept inline (a typing transaction changes one type, usually with the null sub). With
    // more types, an insertion-ordered list with JavaScript Map semantics (delete then set appends) keeps observer
    // order identical to yjs; a .NET Dictionary would reuse freed slots after a removal.
    private AbstractType? _changed0;
    private HashSet<string?>? _changed0Subs;
    private bool _changed0Null;
    private List<KeyValuePair<AbstractType, HashSet<string?>>>? _changedList;
    private Dictionary<AbstractType, int>? _changedIndex;

    internal bool HasChanged => _changed0 != null || _changedIndex is { Count: > 0 };

    /// <summary>The only changed type when exactly one changed (the common case), else null.</summary>
    internal AbstractType? SingleChangedType => _changedList == null ? _changed0 : null;

    /// <summary>The changed types and their changed subs (null = list content), in the order they changed.</summary>
    internal List<KeyValuePair<AbstractType, HashSet<string?>>> ChangedEntries()
    {
        var list = new List<KeyValuePair<AbstractType, HashSet<string?>>>();
        if (_changed0 != null)
        {
            list.Add(new(_changed0, Changed0Subs()));
        }

        if (_changedList != null)
        {
            foreach (var kv in _changedList)
            {
                if (kv.Key != null)
                {
                    list.Add(kv);
                }
            }
        }

        return list;
    }

    private HashSet<string?> Changed0Subs()
    {
        if (_changed0Subs == null)
        {
            _changed0Subs = new HashSet<string?>();
            if (_changed0Null)
            {
                _changed0Subs.Add(null);
            }
        }

        return _changed0Subs;
    }

    internal bool TryGetChanged(AbstractType type, out HashSet<string?> subs)
    {
        if (_changed0 == type)
        {
            subs = Changed0Subs();
            return true;
        }

        if (_changedIndex != null && _changedIndex.TryGetValue(type, out int idx))
        {
            subs = _changedList![idx].Value;
            return true;
        }

        subs = null!;
        return false;
    }

    internal void RemoveChanged(AbstractType type)
    {
        if (_changed0 == type)
        {
            _changed0 = null;
            _changed0Subs = null;
            _changed0Null = false;
        }
        else if (_changedIndex != null && _changedIndex.Remove(type, out int idx))
        {
            _changedList![idx] = default;
        }
    }

    private void AddChanged(AbstractType type, string? parentSub)
    {
        if (_changedList == null)
        {
            if (_changed0 == null || _changed0 == type)
            {
                _changed0 = type;
                if (_changed0Subs != null)
                {
                    _changed0Subs.Add(parentSub);
                }
                else if (parentSub == null)
                {
                    _changed0Null = true;
                }
                else
                {
                    Changed0Subs().Add(parentSub);
                }

                return;
            }

            _changedList = new List<KeyValuePair<AbstractType, HashSet<string?>>>();
            _changedIndex = new Dictionary<AbstractType, int>();
            _changedIndex[_changed0] = 0;
            _changedList.Add(new(_changed0, Changed0Subs()));
            _changed0 = null;
            _changed0Subs = null;
            _changed0Null = false;
        }

        if (!_changedIndex!.TryGetValue(type, out int idx))
        {
            idx = _changedList.Count;
            _changedList.Add(new(type, new HashSet<string?>()));
            _changedIndex[type] = idx;
        }

        _changedList[idx].Value.Add(parentSub);
    }

    internal Dictionary<AbstractType, List<YEvent>> ChangedParentTypes => _changedParentTypes ??= new();

    internal bool HasChangedParentTypes => _changedParentTypes is { Count: > 0 };

    internal List<AbstractStruct> MergeStructs => _mergeStructs ??= new();

    internal int MergeStructsCount => _mergeStructs?.Count ?? 0;

    internal HashSet<YDoc> SubdocsAdded => _subdocsAdded ??= new();

    internal HashSet<YDoc> SubdocsRemoved => _subdocsRemoved ??= new();

    internal HashSet<YDoc> SubdocsLoaded => _subdocsLoaded ??= new();

    internal bool HasSubdocChanges => _subdocsAdded is { Count: > 0 } || _subdocsRemoved is { Count: > 0 } || _subdocsLoaded is { Count: > 0 };

    internal bool NeedFormattingCleanup { get; set; }

    internal uint BeforeStateOf(uint client)
    {
        if (TryGetRecorded(client, out uint before))
        {
            return before;
        }

        if (_beforeState != null)
        {
            return _beforeState.TryGetValue(client, out uint c) ? c : 0;
        }

        // not advanced by this transaction: the current state is the before-state
        return Doc.Store.GetState(client);
    }

    internal ItemId NextId() => new(Doc.ClientId, Doc.Store.GetState(Doc.ClientId));

    internal void AddChangedType(AbstractType type, string? parentSub)
    {
        var item = type.ParentItem;
        if (item == null || (item.Id.Clock < BeforeStateOf(item.Id.Client) && !item.Deleted))
        {
            AddChanged(type, parentSub);
        }
    }
}
