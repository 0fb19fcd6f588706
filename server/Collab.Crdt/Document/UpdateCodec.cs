using Collab.Crdt.Encoding;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;

namespace Collab.Crdt.Document;

/// <summary>Structs of one client read from an update, consumed from index <see cref="I"/>.</summary>
internal sealed class ClientStructRefs
{
    public ClientStructRefs(List<AbstractStruct> refs)
    {
        Refs = refs;
    }

    public int I;
    public List<AbstractStruct> Refs;
}

/// <summary>Reading, writing and integrating the struct section of v1 updates (yjs encoding.js).</summary>
internal static class UpdateCodec
{
    /// <summary>Reads one struct (GC, Skip or Item). <paramref name="lazyReader"/> follows yjs's document-free reader.</summary>
    public static AbstractStruct ReadStruct<TR>(ref TR r, uint client, uint clock, bool lazyReader)
        where TR : IUpdateReader, allows ref struct
    {
        long start = r.Offset;
        byte info = r.ReadInfo();
        int contentRef = info & 0x1F;
        if (contentRef == 10 && (!lazyReader || info == 10))
        {
            // Skip lengths are always in the rest stream ("Skips can't make use of predictable length-encoding")
            long lenOffset = r.Offset;
            ulong skipLen = r.ReadRestVarUInt();
            CheckLength(skipLen, clock, lenOffset);
            return new SkipStruct(new ItemId(client, clock), (int)skipLen);
        }

        if (contentRef == 0)
        {
            long lenOffset = r.Offset;
            ulong len = r.ReadLen();
            CheckLength(len, clock, lenOffset);
            return new GcStruct(new ItemId(client, clock), (int)len);
        }

        ItemId? origin = (info & 0x80) != 0 ? r.ReadLeftId() : null;
        ItemId? rightOrigin = (info & 0x40) != 0 ? r.ReadRightId() : null;
        bool cantCopyParentInfo = (info & 0xC0) == 0;
        string? parentKey = null;
        ItemId? parentId = null;
        if (cantCopyParentInfo)
        {
            if (r.ReadParentInfo())
            {
                parentKey = r.ReadString();
            }
            else
            {
                parentId = r.ReadLeftId();
            }
        }

        string? parentSub = cantCopyParentInfo && (info & 0x20) != 0 ? r.ReadString() : null;
        var content = ReadContent(ref r, contentRef, start);
        CheckLength((ulong)content.Length, clock, start);
        return new Item(new ItemId(client, clock), null, origin, null, rightOrigin, null, parentSub, content)
        {
            ParentId = parentId,
            ParentKey = parentKey,
        };
    }

    private static void CheckLength(ulong len, uint clock, long offset)
    {
        if (len == 0)
        {
            throw new YjsFormatException("Struct of length 0", offset);
        }

        if (len > int.MaxValue || clock + len > uint.MaxValue)
        {
            throw new YjsFormatException($"Struct length {len} exceeds the clock space", offset);
        }
    }

    private static AbstractContent ReadContent<TR>(ref TR r, int contentRef, long structOffset)
        where TR : IUpdateReader, allows ref struct
    {
        switch (contentRef)
        {
            case 1:
                {
                    long off = r.Offset;
                    ulong len = r.ReadLen();
                    if (len > int.MaxValue)
                    {
                        throw new YjsFormatException($"Deleted length {len} too large", off);
                    }

                    return new ContentDeleted((int)len);
                }

            case 2:
                {
                    long off = r.Offset;
                    ulong len = r.ReadLen();
                    if (len > int.MaxValue)
                    {
                        throw new YjsFormatException($"JSON count {len} too large", off);
                    }

                    var arr = new List<object?>((int)Math.Min(len, 1024));
                    for (ulong i = 0; i < len; i++)
                    {
                        long soff = r.Offset;
                        string s = r.ReadString();
                        arr.Add(s == "undefined" ? YUndefined.Value : ParseJson(s, soff));
                    }

                    return new ContentJson(arr);
                }

            case 3:
                return new ContentBinary(r.ReadBuf());
            case 4:
                return new ContentString(r.ReadString());
            case 5:
                return new ContentEmbed(r.ReadJson());
            case 6:
                {
                    string key = r.ReadKey();
                    return new ContentFormat(key, r.ReadJson());
                }

            case 7:
                {
                    long off = r.Offset;
                    uint typeRef = r.ReadTypeRef();
                    AbstractType type = typeRef switch
                    {
                        0 => new YArray(),
                        1 => new YMap(),
                        2 => new YText(),
                        3 => new YXmlElement(r.ReadKey()),
                        4 => new YXmlFragment(),
                        5 => new YXmlHook(r.ReadKey()),
                        6 => new YXmlText(),
                        _ => throw new YjsFormatException($"Unknown type ref {typeRef}", off),
                    };
                    return new ContentType(type);
                }

            case 8:
                {
                    long off = r.Offset;
                    ulong len = r.ReadLen();
                    if (len > int.MaxValue)
                    {
                        throw new YjsFormatException($"Any count {len} too large", off);
                    }

                    var arr = new List<object?>((int)Math.Min(len, 1024));
                    for (ulong i = 0; i < len; i++)
                    {
                        arr.Add(r.ReadAny());
                    }

                    return new ContentAny(arr);
                }

            case 9:
                {
                    string guid = r.ReadString();
                    var opts = r.ReadAny();
                    return new ContentDoc(YDoc.CreateSubdoc(guid, opts));
                }

            default:
                throw new YjsFormatException($"Unknown content ref {contentRef}", structOffset);
        }
    }

    private static object? ParseJson(string text, long offset)
    {
        try
        {
            return JsJson.Parse(text);
        }
        catch (YjsFormatException e)
        {
            throw new YjsFormatException(e.Message, offset);
        }
    }

    /// <summary>
    /// Reads the struct section for applying (yjs readClientsStructRefs): a later entry for the same client replaces
    /// an earlier one. Validates what integration would otherwise trip over: references to the item's own client
    /// must point before the item.
    /// </summary>
    public static Dictionary<uint, ClientStructRefs> ReadClientsStructRefs<TR>(ref TR r)
        where TR : IUpdateReader, allows ref struct
    {
        var clientRefs = new Dictionary<uint, ClientStructRefs>();
        int numOfStateUpdates = r.ReadCount(3);
        for (int i = 0; i < numOfStateUpdates; i++)
        {
            int numberOfStructs = r.ReadCount(2);
            uint client = r.ReadClient();
            uint clock = r.ReadRestVarUInt32();
            // Sized for the count up front (no doubling copies of a long list), up to a cap: a v2 update of a few bytes
            // may claim a million structs before it fails.
            var refs = new List<AbstractStruct>(Math.Min(numberOfStructs, 1 << 14));
            clientRefs[client] = new ClientStructRefs(refs);
            for (int k = 0; k < numberOfStructs; k++)
            {
                long off = r.Offset;
                var s = ReadStruct(ref r, client, clock, lazyReader: false);
                if (s is Item item)
                {
                    ValidateSelfReference(item.Origin, item, off);
                    ValidateSelfReference(item.RightOrigin, item, off);
                    ValidateSelfReference(item.ParentId, item, off);
                }

                refs.Add(s);
                clock += (uint)s.Length;
            }
        }

        return clientRefs;
    }

    /// <summary>The highest clock of <paramref name="client"/> that <paramref name="s"/> refers to (at least <paramref name="state"/>).</summary>
    private static uint NeededClock(AbstractStruct s, uint client, uint state)
    {
        uint needed = state;
        if (s is Item item)
        {
            if (item.Origin is { } o && o.Client == client)
            {
                needed = Math.Max(needed, o.Clock);
            }

            if (item.RightOrigin is { } ro && ro.Client == client)
            {
                needed = Math.Max(needed, ro.Clock);
            }

            if (item.ParentId is { } p && p.Client == client)
            {
                needed = Math.Max(needed, p.Clock);
            }
        }

        return needed;
    }

    private static void ValidateSelfReference(ItemId? id, Item item, long offset)
    {
        if (id is { } v && v.Client == item.Id.Client && v.Clock >= item.Id.Clock)
        {
            throw new YjsFormatException($"Item {item.Id} refers to {v} of its own client that does not precede it", offset);
        }
    }

    /// <summary>Writes the structs a peer with state <paramref name="sm"/> lacks (yjs writeClientsStructs).</summary>
    public static void WriteClientsStructs(UpdateEncoder encoder, StructStore store, Dictionary<uint, uint> sm)
    {
        var toWrite = new List<(uint Client, uint Clock)>();
        foreach (var kv in sm)
        {
            if (store.GetState(kv.Key) > kv.Value)
            {
                toWrite.Add((kv.Key, kv.Value));
            }
        }

        foreach (var kv in store.Clients)
        {
            if (!sm.ContainsKey(kv.Key))
            {
                toWrite.Add((kv.Key, 0));
            }
        }

        encoder.Rest.WriteVarUInt((ulong)toWrite.Count);
        toWrite.Sort(static (a, b) => b.Client.CompareTo(a.Client));
        foreach (var (client, clock) in toWrite)
        {
            WriteStructs(encoder, store.Clients[client], client, clock);
        }
    }

    public static void WriteStructs(UpdateEncoder encoder, List<AbstractStruct> structs, uint client, uint clock)
    {
        clock = Math.Max(clock, structs[0].Id.Clock);
        int startNewStructs = StructStore.FindIndex(structs, clock);
        encoder.Rest.WriteVarUInt((ulong)(structs.Count - startNewStructs));
        encoder.WriteClient(client);
        encoder.Rest.WriteVarUInt(clock);
        var first = structs[startNewStructs];
        first.Write(encoder, (int)(clock - first.Id.Clock));
        for (int i = startNewStructs + 1; i < structs.Count; i++)
        {
            structs[i].Write(encoder, 0);
        }
    }

    /// <summary>Updates with at least this many structs of a client reserve room for them in the store.</summary>
    private const int ReserveFrom = 256;

    /// <summary>
    /// Integrates decoded structs in causal order (yjs integrateStructs). Returns what could not be integrated yet as
    /// a v1 update plus the lowest missing clock per client, or null.
    /// </summary>
    public static PendingStructs? IntegrateStructs(Transaction transaction, StructStore store, Dictionary<uint, ClientStructRefs> clientsStructRefs)
    {
        var stack = new List<AbstractStruct>();
        var ids = new List<uint>(clientsStructRefs.Keys);
        ids.Sort();
        if (ids.Count == 0)
        {
            return null;
        }

        ClientStructRefs? GetNextStructTarget()
        {
            if (ids.Count == 0)
            {
                return null;
            }

            var next = clientsStructRefs[ids[^1]];
            while (next.Refs.Count == next.I)
            {
                ids.RemoveAt(ids.Count - 1);
                if (ids.Count > 0)
                {
                    next = clientsStructRefs[ids[^1]];
                }
                else
                {
                    return null;
                }
            }

            return next;
        }

        var curStructsTarget = GetNextStructTarget();
        if (curStructsTarget == null)
        {
            return null;
        }

        StructStore? restStructs = null;
        Dictionary<uint, uint>? missingSv = null;
        void UpdateMissingSv(uint client, uint clock)
        {
            missingSv ??= new Dictionary<uint, uint>();
            if (!missingSv.TryGetValue(client, out uint m) || m > clock)
            {
                missingSv[client] = clock;
            }
        }

        foreach (var kv in clientsStructRefs)
        {
            int count = kv.Value.Refs.Count;
            if (count >= ReserveFrom)
            {
                store.Reserve(kv.Key, count + (count / 8)); // room for the events applied after a snapshot too
            }
        }

        var stackHead = curStructsTarget.Refs[curStructsTarget.I++];

        // cached local state per client (yjs keeps a Map); most updates carry one client, so the last one is cached inline
        Dictionary<uint, uint>? state = null;
        uint lastClient = 0;
        uint lastClock = 0;
        bool hasLast = false;

        void AddStackToRestSs()
        {
            restStructs ??= new StructStore();
            foreach (var item in stack)
            {
                uint client = item.Id.Client;
                if (clientsStructRefs.TryGetValue(client, out var inapplicable))
                {
                    inapplicable.I--;
                    restStructs.Clients[client] = inapplicable.Refs.GetRange(inapplicable.I, inapplicable.Refs.Count - inapplicable.I);
                    clientsStructRefs.Remove(client);
                    inapplicable.I = 0;
                    inapplicable.Refs = new List<AbstractStruct>();
                }
                else
                {
                    restStructs.Clients[client] = new List<AbstractStruct> { item };
                }

                ids.Remove(client);
            }

            stack.Clear();
        }

        while (true)
        {
            if (stackHead is not SkipStruct)
            {
                uint headClient = stackHead.Id.Client;
                uint localClock;
                if (hasLast && lastClient == headClient)
                {
                    localClock = lastClock;
                }
                else if (state == null || !state.TryGetValue(headClient, out localClock))
                {
                    localClock = store.GetState(headClient);
                }

                long offset = (long)localClock - stackHead.Id.Clock;
                if (offset < 0)
                {
                    stack.Add(stackHead);
                    UpdateMissingSv(headClient, stackHead.Id.Clock - 1);
                    AddStackToRestSs();
                }
                else if (offset >= stackHead.Length)
                {
                    // Already integrated: nothing to do, whatever it claims to depend on. yjs asks for its
                    // dependencies first and keeps it pending when they are missing; a copy that refers to unknown
                    // state can only be forged, and a pending copy of an integrated id would be merged over the
                    // real one in encodeStateAsUpdate. In a consistent update the dependencies of an integrated
                    // struct are integrated too, so this changes nothing for valid input.
                }
                else
                {
                    uint? missing = stackHead.GetMissing(transaction, store);
                    if (missing is { } missingClient)
                    {
                        stack.Add(stackHead);
                        if (!clientsStructRefs.TryGetValue(missingClient, out var structRefs) || structRefs.Refs.Count == structRefs.I)
                        {
                            // yjs records the client's current state, so that any advance of that client retries
                            // all pending structs. The clock the item actually needs retries them only when it
                            // exists: otherwise one pending struct naming a far clock of a busy client makes every
                            // update of that client decode and re-encode all pending structs. Nothing integrates
                            // later than in yjs: a retry before that clock exists cannot integrate the item.
                            UpdateMissingSv(missingClient, NeededClock(stackHead, missingClient, store.GetState(missingClient)));
                            AddStackToRestSs();
                        }
                        else
                        {
                            stackHead = structRefs.Refs[structRefs.I++];
                            continue;
                        }
                    }
                    else
                    {
                        stackHead.Integrate(transaction, (int)offset);
                        uint newClock = stackHead.Id.Clock + (uint)stackHead.Length;
                        if (hasLast && lastClient != headClient)
                        {
                            (state ??= new Dictionary<uint, uint>())[lastClient] = lastClock;
                        }

                        hasLast = true;
                        lastClient = headClient;
                        lastClock = newClock;
                    }
                }
            }

            if (stack.Count > 0)
            {
                stackHead = stack[^1];
                stack.RemoveAt(stack.Count - 1);
            }
            else if (curStructsTarget != null && curStructsTarget.I < curStructsTarget.Refs.Count)
            {
                stackHead = curStructsTarget.Refs[curStructsTarget.I++];
            }
            else
            {
                curStructsTarget = GetNextStructTarget();
                if (curStructsTarget == null)
                {
                    break;
                }

                stackHead = curStructsTarget.Refs[curStructsTarget.I++];
            }
        }

        store.ClearReservations();
        if (restStructs is { Clients.Count: > 0 })
        {
            var encoder = new UpdateEncoderV1();
            WriteClientsStructs(encoder, restStructs, new Dictionary<uint, uint>());
            encoder.Rest.WriteVarUInt(0);
            var ranges = new Dictionary<uint, (uint Low, uint High)>(restStructs.Clients.Count);
            foreach (var kv in restStructs.Clients)
            {
                ranges[kv.Key] = (kv.Value[0].Id.Clock, kv.Value[^1].EndClock);
            }

            return new PendingStructs(missingSv ?? new Dictionary<uint, uint>(), encoder.ToArray(), ranges);
        }

        return null;
    }

    /// <summary>Applies a delete set (yjs readAndApplyDeleteSet); returns the part beyond the known state, or null.</summary>
    public static DeleteSet? ApplyDeleteSet(DeleteSet ds, Transaction transaction, StructStore store)
    {
        if (ds.IsEmpty)
        {
            return null;
        }

        var unapplied = new DeleteSet();
        foreach (var kv in ds.Clients)
        {
            uint client = kv.Key;
            store.Clients.TryGetValue(client, out var structs);
            uint state = store.GetState(client);
            int near = -1; // the ranges are in clock order: each is looked up from where the one before was found
            foreach (var range in kv.Value)
            {
                uint clock = range.Clock;
                uint clockEnd = clock + range.Length;
                if (clock < state)
                {
                    if (state < clockEnd)
                    {
                        unapplied.Add(client, state, clockEnd - state);
                    }

                    int index = StructStore.FindIndexNear(structs!, clock, near);
                    var s = structs![index];
                    if (!s.Deleted && s.Id.Clock < clock)
                    {
                        structs.Insert(index + 1, ((Item)s).Split(transaction, (int)(clock - s.Id.Clock)));
                        index++;
                    }

                    near = index;
                    while (index < structs.Count)
                    {
                        s = structs[index++];
                        if (s.Id.Clock < clockEnd)
                        {
                            if (!s.Deleted)
                            {
                                var item = (Item)s;
                                if (clockEnd < s.EndClock)
                                {
                                    structs.Insert(index, item.Split(transaction, (int)(clockEnd - s.Id.Clock)));
                                }

                                item.Delete(transaction);
                            }
                        }
                        else
                        {
                            break;
                        }
                    }
                }
                else
                {
                    unapplied.Add(client, clock, clockEnd - clock);
                }
            }
        }

        return unapplied.Clients.Count > 0 ? unapplied : null;
    }
}
