using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Document;

public sealed partial class YDoc
{
    private Transaction? _transaction;

    // Counts observers ever registered on this document's types: without any, transactions skip freezing state vectors.
    private int _observerCount;

    internal void ObserverAdded() => _observerCount++;
    private List<Transaction> _transactionCleanups = new();

    /// <summary>Raised after each transaction that changed something, with its v1 update bytes and origin.</summary>
    public event Action<byte[], object?>? UpdateV1;

    /// <summary>Raised after each transaction that changed something, with its v2 update bytes and origin.</summary>
    public event Action<byte[], object?>? UpdateV2;

    /// <summary>Raised after each transaction, after observers ran (yjs 'afterTransaction').</summary>
    public event Action<Transaction>? AfterTransaction;

    /// <summary>Raised when subdocuments are added, removed or loaded (yjs 'subdocs').</summary>
    public event Action<SubdocsChangedEventArgs>? SubdocsChanged;

    /// <summary>The transaction in progress, if any.</summary>
    public Transaction? CurrentTransaction => _transaction;

    /// <summary>Runs <paramref name="action"/> in one transaction (joins the current one if nested).</summary>
    public void Transact(Action action) => TransactCore(action, static (_, a) => a(), null, true);

    /// <summary>Runs <paramref name="action"/> in one transaction with an origin (joins the current one if nested).</summary>
    public void Transact(Action action, object? origin) => TransactCore(action, static (_, a) => a(), origin, true);

    /// <summary>Runs <paramref name="action"/> in one transaction, passing it the transaction.</summary>
    public void Transact(Action<Transaction> action, object? origin = null) => Transact(action, origin, true);

    internal void Transact(Action<Transaction> action, object? origin, bool local) =>
        TransactCore(action, static (t, a) => a(t), origin, local);

    /// <summary>Runs <paramref name="f"/> with the current or a new transaction; the state argument avoids closures on hot paths.</summary>
    internal void TransactCore<TState>(TState state, Action<Transaction, TState> f, object? origin, bool local)
    {
        bool initialCall = false;
        if (_transaction == null)
        {
            initialCall = true;
            _transaction = new Transaction(this, origin, local);
            _transactionCleanups.Add(_transaction);
        }

        try
        {
            f(_transaction, state);
        }
        finally
        {
            if (initialCall)
            {
                bool finishCleanup = _transaction == _transactionCleanups[0];
                _transaction = null;
                if (finishCleanup)
                {
                    CleanupTransactions(_transactionCleanups);
                }
            }
        }
    }

    private void CleanupTransactions(List<Transaction> cleanups)
    {
        // Observers may start new transactions; those are appended and processed here in order, not nested. A throwing
        // observer does not stop the cleanup of the others (as in yjs); the first exception is rethrown at the end.
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? first = null;
        try
        {
            for (int i = 0; i < cleanups.Count; i++)
            {
                try
                {
                    CleanupTransaction(cleanups[i]);
                }
                catch (Exception e) when (first == null)
                {
                    first = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                }
            }
        }
        finally
        {
            cleanups.Clear();
        }

        first?.Throw();
    }

    private void CleanupTransaction(Transaction transaction)
    {
        var store = Store;
        try
        {
            if (transaction.HasDeletes)
            {
                transaction.DeleteSet.SortAndMerge();
            }

            if (_observerCount > 0 || AfterTransaction != null || SubdocsChanged != null || transaction.NeedFormattingCleanup)
            {
                transaction.Freeze();
            }

            CallObservers(transaction);
            if (transaction.NeedFormattingCleanup)
            {
                YText.CleanupAfterTransaction(transaction);
            }
        }
        finally
        {
            if (transaction.HasDeletes)
            {
                var ds = transaction.DeleteSet;
                if (Gc)
                {
                    TryGcDeleteSet(ds, store);
                }

                TryMergeDeleteSet(ds, store);
            }

            for (int sc = 0; sc < transaction.StateChangeCount; sc++)
            {
                var (client, beforeClock) = transaction.StateChange(sc);
                var structs = store.Clients[client];
                if (structs[^1].EndClock != beforeClock)
                {
                    int firstChangePos = Math.Max(StructStore.FindIndex(structs, beforeClock == 0 ? 0 : beforeClock), 1);
                    for (int i = structs.Count - 1; i >= firstChangePos;)
                    {
                        i -= 1 + TryToMergeWithLefts(structs, i);
                    }
                }
            }

            for (int i = transaction.MergeStructsCount - 1; i >= 0; i--)
            {
                var mergeStructs = transaction.MergeStructs;
                var id = mergeStructs[i].Id;
                var structs = store.Clients[id.Client];
                int replacedStructPos = StructStore.FindIndex(structs, id.Clock);
                if (replacedStructPos + 1 < structs.Count)
                {
                    if (TryToMergeWithLefts(structs, replacedStructPos + 1) > 1)
                    {
                        continue;
                    }
                }

                if (replacedStructPos > 0)
                {
                    TryToMergeWithLefts(structs, replacedStructPos);
                }
            }

            if (!transaction.Local && transaction.AdvancedClient(ClientId))
            {
                // another peer uses our client id: pick a new one, as yjs does
                ClientId = GenerateClientId();
            }

            var updateHandler = UpdateV1;
            if (updateHandler != null)
            {
                var update = EncodeTransactionUpdate(transaction, new UpdateEncoderV1(new Lib0Writer(64)));
                if (update != null)
                {
                    updateHandler(update, transaction.Origin);
                }
            }

            var updateV2Handler = UpdateV2;
            if (updateV2Handler != null)
            {
                var update = EncodeTransactionUpdate(transaction, new UpdateEncoderV2());
                if (update != null)
                {
                    updateV2Handler(update, transaction.Origin);
                }
            }

            EmitSubdocs(transaction);
        }
    }

    private void CallObservers(Transaction transaction)
    {
        if (transaction.HasChanged)
        {
            CallTypeObservers(transaction);
        }

        if (transaction.HasChangedParentTypes)
        {
            CallDeepObservers(transaction);
        }

        AfterTransaction?.Invoke(transaction);
    }

    private void CallTypeObservers(Transaction transaction)
    {
        if (_observerCount == 0 && transaction.SingleChangedType is { } single)
        {
            // nobody listens: do only what observers do besides events (marker reset, formatting cleanup flag)
            if (single.ParentItem == null || !single.ParentItem.Deleted)
            {
                single.AfterChangeWithoutObservers(transaction);
            }

            return;
        }

        foreach (var kv in transaction.ChangedEntries())
        {
            var type = kv.Key;
            if (type.ParentItem == null || !type.ParentItem.Deleted)
            {
                type.CallObserver(transaction, kv.Value);
            }
        }

    }

    private static void CallDeepObservers(Transaction transaction)
    {
        foreach (var kv in transaction.ChangedParentTypes.ToArray())
        {
            var type = kv.Key;
            if (type.HasDeepObservers && (type.ParentItem == null || !type.ParentItem.Deleted))
            {
                var events = new List<YEvent>();
                foreach (var e in kv.Value)
                {
                    if (e.Target.ParentItem == null || !e.Target.ParentItem.Deleted)
                    {
                        e.CurrentTarget = type;
                        e.ResetPath();
                        events.Add(e);
                    }
                }

                // stable sort by path length: top-level events first
                var sorted = events.Select((e, idx) => (e, idx)).OrderBy(x => x.e.Path.Count).ThenBy(x => x.idx).Select(x => x.e).ToList();
                type.CallDeepObservers(sorted, transaction);
            }
        }
    }

    private void EmitSubdocs(Transaction transaction)
    {
        if (transaction.HasSubdocChanges)
        {
            foreach (var subdoc in transaction.SubdocsAdded)
            {
                subdoc.ClientId = ClientId;
                subdoc.CollectionId ??= CollectionId;
                Subdocs.Add(subdoc);
            }

            foreach (var subdoc in transaction.SubdocsRemoved)
            {
                Subdocs.Remove(subdoc);
            }

            SubdocsChanged?.Invoke(new SubdocsChangedEventArgs(transaction.SubdocsAdded, transaction.SubdocsRemoved, transaction.SubdocsLoaded));
        }
    }

    /// <summary>The v1 update of one transaction: structs after its before-state plus its delete set (null if nothing changed).</summary>
    internal byte[]? EncodeTransactionUpdate(Transaction transaction, UpdateEncoder encoder)
    {
        if (!transaction.HasDeletes && !transaction.HasStateChanges)
        {
            return null;
        }

        var changes = new List<(uint Client, uint Before)>(transaction.StateChanges);
        changes.Sort(static (a, b) => b.Client.CompareTo(a.Client));
        encoder.Rest.WriteVarUInt((ulong)changes.Count);
        foreach (var (client, before) in changes)
        {
            UpdateCodec.WriteStructs(encoder, Store.Clients[client], client, before);
        }

        if (transaction.HasDeletes)
        {
            transaction.DeleteSet.SortAndMerge();
            transaction.DeleteSet.Write(encoder);
        }
        else
        {
            encoder.Rest.WriteVarUInt(0);
        }

        return encoder.ToArray();
    }

    private static int TryToMergeWithLefts(List<AbstractStruct> structs, int pos)
    {
        int i = pos;
        while (i > 0)
        {
            var left = structs[i - 1];
            var right = structs[i];
            if (left.Deleted == right.Deleted && left.GetType() == right.GetType() && left.MergeWith(right))
            {
                if (right is Item ri && ri.ParentSub != null && ri.Parent!.Map.TryGetValue(ri.ParentSub, out var cur) && cur == ri)
                {
                    ri.Parent.Map[ri.ParentSub] = (Item)left;
                }

                i--;
                continue;
            }

            break;
        }

        int merged = pos - i;
        if (merged > 0)
        {
            structs.RemoveRange(pos + 1 - merged, merged);
        }

        return merged;
    }

    private void TryGcDeleteSet(DeleteSet ds, StructStore store)
    {
        foreach (var kv in ds.Clients)
        {
            var structs = store.Clients[kv.Key];
            var deleteItems = kv.Value;
            int near = -1; // the ranges are sorted: each is looked up from where the one after it was found
            for (int di = deleteItems.Count - 1; di >= 0; di--)
            {
                var deleteItem = deleteItems[di];
                uint endDeleteItemClock = deleteItem.Clock + deleteItem.Length;
                near = StructStore.FindIndexNear(structs, deleteItem.Clock, near);
                for (int si = near; si < structs.Count; si++)
                {
                    var s = structs[si];
                    if (s.Id.Clock >= endDeleteItemClock)
                    {
                        break;
                    }

                    if (s is Item item && item.Deleted && !item.Keep && GcFilter(item))
                    {
                        item.Gc(store, false);
                    }
                }
            }
        }
    }

    private static void TryMergeDeleteSet(DeleteSet ds, StructStore store)
    {
        foreach (var kv in ds.Clients)
        {
            var structs = store.Clients[kv.Key];
            var deleteItems = kv.Value;
            int near = -1; // the ranges are sorted: each is looked up from where the one after it was found
            for (int di = deleteItems.Count - 1; di >= 0; di--)
            {
                var deleteItem = deleteItems[di];
                near = StructStore.FindIndexNear(structs, deleteItem.Clock + deleteItem.Length - 1, near);
                int mostRightIndexToCheck = Math.Min(structs.Count - 1, 1 + near);
                for (int si = mostRightIndexToCheck; si > 0 && structs[si].Id.Clock >= deleteItem.Clock;)
                {
                    si -= 1 + TryToMergeWithLefts(structs, si);
                }
            }
        }
    }
}

/// <summary>Subdocuments added, removed and loaded by one transaction.</summary>
public sealed record SubdocsChangedEventArgs(IReadOnlyCollection<YDoc> Added, IReadOnlyCollection<YDoc> Removed, IReadOnlyCollection<YDoc> Loaded);
