using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;

namespace Collab.Crdt.Document;

public sealed partial class YDoc
{
    /// <summary>
    /// Applies a v1 update. The whole update is decoded and validated before anything is integrated, so on
    /// <see cref="YjsFormatException"/> the document is unchanged. Structs and deletes that depend on unknown state
    /// are kept pending and retried when later updates fill the gap.
    /// </summary>
    public void ApplyUpdate(byte[] update, object? origin = null)
    {
        ArgumentNullException.ThrowIfNull(update);
        ApplyUpdate(update.AsSpan(), origin);
    }

    /// <summary>Applies a v1 update held in a span (no copy); same guarantees as <see cref="ApplyUpdate(byte[], object?)"/>.</summary>
    public void ApplyUpdate(ReadOnlySpan<byte> update, object? origin = null)
    {
        var reader = new UpdateReaderV1(update);
        var refs = UpdateCodec.ReadClientsStructRefs(ref reader);
        var ds = DeleteSet.Read(ref reader, strict: true);
        ApplyDecodedUpdate(refs, ds, origin);
    }

    /// <summary>Applies an update in format v2 (yjs applyUpdateV2); same guarantees as <see cref="ApplyUpdate(byte[], object?)"/>.</summary>
    public void ApplyUpdateV2(byte[] update, object? origin = null)
    {
        ArgumentNullException.ThrowIfNull(update);
        var reader = new UpdateReaderV2(update);
        var refs = UpdateCodec.ReadClientsStructRefs(ref reader);
        var ds = DeleteSet.Read(ref reader, strict: true);
        ApplyDecodedUpdate(refs, ds, origin);
    }

    private void ApplyDecodedUpdate(Dictionary<uint, ClientStructRefs> refs, DeleteSet ds, object? origin) =>
        TransactCore(
            (Doc: this, Refs: refs, Ds: ds),
            static (t, s) =>
            {
                // a static lambda with a tuple state: no closure allocated per applied update
                t.Local = false;
                var retryUpdate = s.Doc.ApplyDecoded(t, s.Refs, s.Ds);
                while (retryUpdate != null)
                {
                    var r = new UpdateReaderV1(retryUpdate);
                    var retryRefs = UpdateCodec.ReadClientsStructRefs(ref r);
                    var retryDs = DeleteSet.Read(ref r);
                    retryUpdate = s.Doc.ApplyDecoded(t, retryRefs, retryDs);
                }
            },
            origin,
            false);

    private byte[]? ApplyDecoded(Transaction transaction, Dictionary<uint, ClientStructRefs> refs, DeleteSet ds)
    {
        var store = Store;
        bool retry = false;
        var restStructs = UpdateCodec.IntegrateStructs(transaction, store, refs);
        foreach (var clientRefs in refs)
        {
            // The decoded structs are in the store now (or copied into the pending update). A long list's array is a
            // large object, which the collector treats as old: left uncleared it would keep every struct it names
            // alive through the young collections until the next full one, long after the document is gone.
            // (Enumerated as pairs: the Values view would be one more object per applied update.)
            clientRefs.Value.Refs.Clear();
        }

        var pending = store.PendingStructs;
        if (pending != null)
        {
            foreach (var kv in pending.Missing)
            {
                if (kv.Value < store.GetState(kv.Key))
                {
                    retry = true;
                    break;
                }
            }

            if (restStructs != null)
            {
                foreach (var kv in restStructs.Missing)
                {
                    if (!pending.Missing.TryGetValue(kv.Key, out uint m) || m > kv.Value)
                    {
                        pending.Missing[kv.Key] = kv.Value;
                    }
                }

                pending.Update = YUpdate.Merge([pending.Update, restStructs.Update]);
                pending.AddRanges(restStructs);
            }
        }
        else
        {
            store.PendingStructs = restStructs;
        }

        var dsRest = UpdateCodec.ApplyDeleteSet(ds, transaction, store);
        if (store.PendingDs != null)
        {
            var dsRest2 = UpdateCodec.ApplyDeleteSet(store.PendingDs, transaction, store);
            store.PendingDs = dsRest != null && dsRest2 != null
                ? DeleteSet.Merge(new[] { dsRest, dsRest2 })
                : dsRest ?? dsRest2;
        }
        else
        {
            store.PendingDs = dsRest;
        }

        if (retry)
        {
            var update = store.PendingStructs!.Update;
            store.PendingStructs = null;
            return update;
        }

        if (store.PendingStructs is { } left && !left.PruneIntegrated(store))
        {
            store.PendingStructs = null;
        }

        return null;
    }

    /// <summary>
    /// Drops every pending struct and delete (what waits for missing dependencies); integrated content is untouched.
    /// A server uses this to expire content whose dependencies never came.
    /// </summary>
    public void ClearPending()
    {
        Store.PendingStructs = null;
        Store.PendingDs = null;
    }

    /// <summary>
    /// Whether applying <paramref name="update"/> now would leave any of its structs or deletes pending (waiting for
    /// state this document does not have), without applying it. Validates the update like
    /// <see cref="ApplyUpdate(byte[], object?)"/> (throws <see cref="YjsFormatException"/>). Structs this document
    /// already has count as integrated whatever they claim to depend on; pending structs of earlier updates that
    /// this one would release are not taken into account (the answer errs towards "pending").
    /// </summary>
    public bool WouldLeavePending(ReadOnlySpan<byte> update)
    {
        var reader = new UpdateReaderV1(update);
        var refs = UpdateCodec.ReadClientsStructRefs(ref reader);
        var ds = DeleteSet.Read(ref reader, strict: true);
        return PendingSimulation.WouldLeavePending(Store, refs, ds);
    }

    /// <summary>The whole document as a v1 update (yjs encodeStateAsUpdate), pending structs and deletes included.</summary>
    public byte[] EncodeStateAsUpdate() => EncodeStateAsUpdate(null);

    /// <summary>What a peer with the given encoded state vector lacks, as a v1 update (pending data included, as yjs).</summary>
    public byte[] EncodeStateAsUpdate(byte[]? stateVector) => EncodeStateAsUpdate(stateVector, includePending: true);

    /// <summary>
    /// What a peer with the given encoded state vector lacks, as a v1 update. With <paramref name="includePending"/>
    /// false only integrated content is written (what a server should serve and snapshot: pending structs are
    /// unverified claims about state nobody has shown it); with true, pending structs and deletes are merged in as
    /// yjs's encodeStateAsUpdate does.
    /// </summary>
    public byte[] EncodeStateAsUpdate(byte[]? stateVector, bool includePending)
    {
        var target = stateVector is null ? new Dictionary<uint, uint>() : DecodeStateVector(stateVector);
        var encoder = new UpdateEncoderV1(new Lib0Writer(4096));
        UpdateCodec.WriteClientsStructs(encoder, Store, target);
        DeleteSet.FromStore(Store).Write(encoder);
        var main = encoder.ToArray();
        if (!includePending || (Store.PendingDs == null && Store.PendingStructs == null))
        {
            return main;
        }

        var updates = new List<byte[]> { main };
        if (Store.PendingDs != null)
        {
            updates.Add(Store.PendingDs.ToUpdate());
        }

        if (Store.PendingStructs != null)
        {
            updates.Add(YUpdate.Diff(Store.PendingStructs.Update, target));
        }

        return YUpdate.Merge(updates);
    }

    /// <summary>The whole document as a v2 update (yjs encodeStateAsUpdateV2).</summary>
    public byte[] EncodeStateAsUpdateV2() => EncodeStateAsUpdateV2(null);

    /// <summary>What a peer with the given encoded state vector lacks, as a v2 update (yjs encodeStateAsUpdateV2).</summary>
    public byte[] EncodeStateAsUpdateV2(byte[]? stateVector)
    {
        var target = stateVector is null ? new Dictionary<uint, uint>() : DecodeStateVector(stateVector);
        if (Store.PendingDs == null && Store.PendingStructs == null)
        {
            var encoder = new UpdateEncoderV2();
            UpdateCodec.WriteClientsStructs(encoder, Store, target);
            DeleteSet.FromStore(Store).Write(encoder);
            return encoder.ToArray();
        }

        // with pending data yjs merges in v2; merging is format independent, so convert the v1 result
        return UpdateFormat.Convert(EncodeStateAsUpdate(stateVector), fromV2: false);
    }

    /// <summary>The state vector (per client, the next expected clock), encoded as yjs encodeStateVector.</summary>
    public byte[] EncodeStateVector() => EncodeStateVector(Store.GetStateVector());

    /// <summary>The state vector as a dictionary.</summary>
    public Dictionary<uint, uint> GetStateVector() => Store.GetStateVector();

    /// <summary>Encodes a state vector: count, then (client, clock) pairs with clients descending.</summary>
    public static byte[] EncodeStateVector(IReadOnlyDictionary<uint, uint> sv)
    {
        ArgumentNullException.ThrowIfNull(sv);
        var w = new Lib0Writer(16 + (sv.Count * 10));
        w.WriteVarUInt((ulong)sv.Count);
        var keys = new uint[sv.Count];
        int i = 0;
        foreach (var k in sv.Keys)
        {
            keys[i++] = k;
        }

        Array.Sort(keys, static (a, b) => b.CompareTo(a));
        foreach (uint k in keys)
        {
            w.WriteVarUInt(k);
            w.WriteVarUInt(sv[k]);
        }

        return w.ToArray();
    }

    /// <summary>Decodes a state vector; throws <see cref="YjsFormatException"/> on malformed input.</summary>
    public static Dictionary<uint, uint> DecodeStateVector(ReadOnlySpan<byte> stateVector)
    {
        var r = new Lib0Reader(stateVector);
        int n = r.ReadVarUIntAsLength(2);
        var sv = new Dictionary<uint, uint>(n);
        for (int i = 0; i < n; i++)
        {
            uint client = r.ReadVarUInt32();
            uint clock = r.ReadVarUInt32();
            sv[client] = clock;
        }

        return sv;
    }
}
