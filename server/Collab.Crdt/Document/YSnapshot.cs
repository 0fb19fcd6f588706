using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Document;

/// <summary>
/// A point in a document's history: its state vector plus its delete set (yjs Snapshot). Content at a snapshot can
/// only be rendered from a document with gc off (deleted content must still exist).
/// </summary>
public sealed class YSnapshot
{
    /// <summary>Creates a snapshot from a delete set and a state vector.</summary>
    public YSnapshot(DeleteSet deleteSet, Dictionary<uint, uint> stateVector)
    {
        DeleteSet = deleteSet;
        StateVector = stateVector;
    }

    /// <summary>What was deleted at that point.</summary>
    public DeleteSet DeleteSet { get; }

    /// <summary>Per client, the clock reached at that point.</summary>
    public Dictionary<uint, uint> StateVector { get; }

    /// <summary>Encodes like yjs encodeSnapshot (v1): delete set, then state vector.</summary>
    public byte[] Encode()
    {
        var encoder = new UpdateEncoderV1();
        DeleteSet.Write(encoder);
        var sv = YDoc.EncodeStateVector(StateVector);
        encoder.Rest.WriteBytes(sv);
        return encoder.ToArray();
    }

    /// <summary>Decodes yjs encodeSnapshot bytes; throws <see cref="YjsFormatException"/> on malformed input.</summary>
    public static YSnapshot Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var r = new UpdateReaderV1(bytes);
        var ds = DeleteSet.Read(ref r);
        var sv = YDoc.DecodeStateVector(r.R.RemainingSpan);
        return new YSnapshot(ds, sv);
    }

    /// <summary>Whether both snapshots have the same state vector and delete set.</summary>
    public bool EqualTo(YSnapshot other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (StateVector.Count != other.StateVector.Count || DeleteSet.Clients.Count != other.DeleteSet.Clients.Count)
        {
            return false;
        }

        foreach (var kv in StateVector)
        {
            if (!other.StateVector.TryGetValue(kv.Key, out uint c) || c != kv.Value)
            {
                return false;
            }
        }

        foreach (var kv in DeleteSet.Clients)
        {
            if (!other.DeleteSet.Clients.TryGetValue(kv.Key, out var o) || o.Count != kv.Value.Count)
            {
                return false;
            }

            for (int i = 0; i < o.Count; i++)
            {
                if (o[i] != kv.Value[i])
                {
                    return false;
                }
            }
        }

        return true;
    }

    internal bool IsVisible(Item item) =>
        StateVector.TryGetValue(item.Id.Client, out uint clock) && clock > item.Id.Clock && !DeleteSet.Contains(item.Id);

    internal static bool IsVisible(Item item, YSnapshot? snapshot) => snapshot == null ? !item.Deleted : snapshot.IsVisible(item);

    /// <summary>Splits items at the snapshot's state and delete boundaries so visibility is per item.</summary>
    internal static void SplitAffectedStructs(Transaction transaction, YSnapshot snapshot)
    {
        var store = transaction.Doc.Store;
        foreach (var kv in snapshot.StateVector)
        {
            if (kv.Value < store.GetState(kv.Key))
            {
                store.GetItemCleanStart(transaction, new ItemId(kv.Key, kv.Value));
            }
        }

        Types.YText.IterateDeletedStructs(transaction, snapshot.DeleteSet, static _ => { });
    }
}

public sealed partial class YDoc
{
    /// <summary>A snapshot of the current state (yjs Y.snapshot(doc)).</summary>
    public YSnapshot CreateSnapshot() => new(DeleteSet.FromStore(Store), Store.GetStateVector());

    /// <summary>A new document holding the state at <paramref name="snapshot"/> (this document must have gc off).</summary>
    public YDoc CreateDocFromSnapshot(YSnapshot snapshot, YDocOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (Gc)
        {
            throw new InvalidOperationException("Garbage-collection must be disabled in the origin document");
        }

        var encoder = new UpdateEncoderV1();
        Transact(transaction =>
        {
            int size = 0;
            foreach (var kv in snapshot.StateVector)
            {
                if (kv.Value > 0)
                {
                    size++;
                }
            }

            encoder.Rest.WriteVarUInt((ulong)size);
            foreach (var kv in snapshot.StateVector)
            {
                uint client = kv.Key;
                uint clock = kv.Value;
                if (clock == 0)
                {
                    continue;
                }

                if (clock < Store.GetState(client))
                {
                    Store.GetItemCleanStart(transaction, new ItemId(client, clock));
                }

                var structs = Store.Clients.TryGetValue(client, out var l) ? l : new List<AbstractStruct>();
                int lastStructIndex = StructStore.FindIndex(structs, clock - 1);
                encoder.Rest.WriteVarUInt((ulong)(lastStructIndex + 1));
                encoder.WriteClient(client);
                encoder.Rest.WriteVarUInt(0);
                for (int i = 0; i <= lastStructIndex; i++)
                {
                    structs[i].Write(encoder, 0);
                }
            }

            snapshot.DeleteSet.Write(encoder);
        });
        var newDoc = new YDoc(options);
        newDoc.ApplyUpdate(encoder.ToArray(), "snapshot");
        return newDoc;
    }
}
