using Collab.Crdt.Structs;

namespace Collab.Crdt.Document;

/// <summary>
/// Predicts, on clock states alone, what integrating an update would leave pending (the order-free equivalent of
/// <see cref="UpdateCodec.IntegrateStructs"/>): a struct integrates once its own client's state reaches its clock
/// and the clients of its origin, right origin and parent id have passed the clocks it names. Each client's structs
/// are visited once; a client that waits is woken when the client it waits for advances.
/// </summary>
internal static class PendingSimulation
{
    public static bool WouldLeavePending(StructStore store, Dictionary<uint, ClientStructRefs> clientsStructRefs, DeleteSet ds)
    {
        var state = new Dictionary<uint, uint>();
        uint State(uint client) => state.TryGetValue(client, out uint s) ? s : store.GetState(client);

        var next = new Dictionary<uint, int>(clientsStructRefs.Count);
        var waiting = new Dictionary<uint, List<uint>>();
        var work = new Stack<uint>(clientsStructRefs.Keys);
        foreach (uint client in clientsStructRefs.Keys)
        {
            next[client] = 0;
        }

        while (work.Count > 0)
        {
            uint client = work.Pop();
            var refs = clientsStructRefs[client].Refs;
            int i = next[client];
            bool advanced = false;
            while (i < refs.Count)
            {
                var s = refs[i];
                if (s is SkipStruct)
                {
                    i++;
                    continue;
                }

                uint local = State(client);
                if (local < s.Id.Clock)
                {
                    break; // a gap in its own client: nothing in this update fills it
                }

                if (local < s.EndClock)
                {
                    uint? missing = s is Item item ? Missing(item, State) : null;
                    if (missing is { } dependency)
                    {
                        if (!waiting.TryGetValue(dependency, out var list))
                        {
                            list = [];
                            waiting[dependency] = list;
                        }

                        list.Add(client);
                        break;
                    }

                    state[client] = s.EndClock;
                    advanced = true;
                }

                i++;
            }

            next[client] = i;
            if (advanced && waiting.Remove(client, out var woken))
            {
                foreach (uint w in woken)
                {
                    work.Push(w);
                }
            }
        }

        foreach (var kv in clientsStructRefs)
        {
            var refs = kv.Value.Refs;
            for (int i = next[kv.Key]; i < refs.Count; i++)
            {
                if (refs[i] is not SkipStruct && State(kv.Key) < refs[i].EndClock)
                {
                    return true;
                }
            }
        }

        foreach (var kv in ds.Clients)
        {
            uint s = State(kv.Key);
            foreach (var range in kv.Value)
            {
                if (range.Length > 0 && range.End > s)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The client whose state an item waits for (as yjs's getMissing, on states only), or null.</summary>
    private static uint? Missing(Item item, Func<uint, uint> state)
    {
        uint own = item.Id.Client;
        if (item.Origin is { } o && o.Client != own && o.Clock >= state(o.Client))
        {
            return o.Client;
        }

        if (item.RightOrigin is { } ro && ro.Client != own && ro.Clock >= state(ro.Client))
        {
            return ro.Client;
        }

        if (item.ParentId is { } p && p.Client != own && p.Clock >= state(p.Client))
        {
            return p.Client;
        }

        return null;
    }
}
