using System.Text;
using Collab.Crdt.Document;
using Collab.Crdt.Structs;
using Collab.Crdt.Types;
using Collab.Crdt.Updates;

namespace Collab.Crdt.Merging;

/// <summary>Compensating updates that undo a range of a branch's history (a merge, or any run of events).</summary>
public static class RevertBuilder
{
    /// <summary>
    /// The v1 update, written by <paramref name="clientId"/> (a fresh client id), that undoes on
    /// <paramref name="current"/> what happened between <paramref name="before"/> and <paramref name="after"/> (all
    /// three Gc = false documents of one branch, before ⊆ after ⊆ current): items inserted in between that still live
    /// are deleted; content deleted in between is inserted again as new items at the same place (a map value deleted
    /// or overwritten in between is set again). Reverting the revert (before = current before the revert, after = with
    /// it) restores. Changes made after <paramref name="after"/> are kept. Empty when nothing must change.
    /// </summary>
    public static byte[] Revert(YDoc current, YDoc before, YDoc after, uint clientId)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (current.Store.GetState(clientId) > 0)
        {
            throw new ArgumentException($"Client id {clientId} already wrote to this document; a revert needs a fresh client id", nameof(clientId));
        }

        var svBefore = before.Store.GetStateVector();
        var svAfter = after.Store.GetStateVector();
        var dsBefore = DeleteSet.FromStore(before.Store);
        var dsAfter = DeleteSet.FromStore(after.Store);
        var doc = new YDoc(new YDocOptions { Gc = false, ClientId = clientId });
        doc.ApplyUpdate(current.EncodeStateAsUpdate());
        doc.ClientId = clientId;
        var updates = new List<byte[]>();
        doc.UpdateV1 += (u, _) => updates.Add(u);

        // "before" as a version: in before's state vector and not in its delete set
        var beforeVersion = new VersionRenderer(new MergeVersions(svBefore, svBefore, dsBefore, dsBefore));
        doc.Transact(tr =>
        {
            var store = doc.Store;

            // 1. what was deleted in between (of what existed before), collected before anything changes
            var restore = new List<(ItemId Start, uint Length)>();
            foreach (var kv in dsAfter.Clients)
            {
                uint client = kv.Key;
                uint limit = svBefore.GetValueOrDefault(client);
                dsBefore.Clients.TryGetValue(client, out var beforeRanges);
                foreach (var r in kv.Value)
                {
                    uint end = Math.Min(r.End, limit);
                    for (uint c = r.Clock; c < end;)
                    {
                        // split [c, end) by before's deletions: only what before still had is restored
                        var (deleted, next) = Probe(beforeRanges, c, end);
                        if (!deleted)
                        {
                            restore.Add((new ItemId(client, c), next - c));
                        }

                        c = next;
                    }
                }
            }

            // 2. delete what was inserted in between and still lives
            foreach (var kv in svAfter)
            {
                uint client = kv.Key;
                uint from = svBefore.GetValueOrDefault(client);
                if (kv.Value <= from || !store.Clients.TryGetValue(client, out var structs))
                {
                    continue;
                }

                var victims = new List<Item>();
                for (uint c = from; c < kv.Value;)
                {
                    var s = store.GetItemCleanStart(tr, new ItemId(client, c));
                    uint end = Math.Min(s.EndClock, kv.Value);
                    if (end < s.EndClock)
                    {
                        store.GetItemCleanEnd(tr, new ItemId(client, end - 1));
                    }

                    if (s is Item item && !item.Deleted)
                    {
                        victims.Add(item);
                    }

                    c = end;
                }

                foreach (var item in victims)
                {
                    item.Delete(tr);
                }
            }

            // 3. insert again what was deleted in between, right after its tombstone
            var restoredKeys = new HashSet<(AbstractType, string)>();
            foreach (var (start, length) in restore)
            {
                for (uint c = start.Clock; c < start.Clock + length;)
                {
                    var s = store.GetItemCleanStart(tr, new ItemId(start.Client, c));
                    uint end = Math.Min(s.EndClock, start.Clock + length);
                    if (end < s.EndClock)
                    {
                        store.GetItemCleanEnd(tr, new ItemId(start.Client, end - 1));
                    }

                    c = end;
                    if (s is not Item item || item.Parent is not { } parent || !Alive(parent))
                    {
                        continue;
                    }

                    if (item.ParentSub is { } key)
                    {
                        // a map value: set it again when the key still shows it (deleted) or a value from the range;
                        // a value written after `after` is newer and stays
                        if (restoredKeys.Contains((parent, key)) || !parent.Map.TryGetValue(key, out var now)
                            || (now != item && !InRange(now.Id, svBefore, svAfter)))
                        {
                            continue;
                        }

                        restoredKeys.Add((parent, key));
                        object? value = item.Content.GetValue(item.Length - 1);
                        parent.MapSet(tr, key, value is AbstractType t ? Prelim(t, beforeVersion) : value);
                        continue;
                    }

                    var content = item.Content is ContentType ct
                        ? AbstractType.ContentForValue(Prelim(ct.Type, beforeVersion))
                        : item.Content.Copy();
                    var right = item.Right;
                    new Item(new ItemId(clientId, store.GetState(clientId)), item, item.LastId, right, right?.Id, parent, null, content)
                        .Integrate(tr, 0);
                }
            }
        });

        return updates.Count switch
        {
            0 => Array.Empty<byte>(),
            1 => updates[0],
            _ => YUpdate.Merge(updates),
        };
    }

    private static bool InRange(ItemId id, Dictionary<uint, uint> from, Dictionary<uint, uint> to) =>
        id.Clock >= from.GetValueOrDefault(id.Client) && id.Clock < to.GetValueOrDefault(id.Client);

    private static bool Alive(AbstractType type)
    {
        for (var t = type; t.ParentItem is { } p; t = p.Parent!)
        {
            if (p.Deleted || p.Parent == null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="clock"/> is deleted in <paramref name="ranges"/>, and where that changes (capped at <paramref name="end"/>).</summary>
    private static (bool Deleted, uint Next) Probe(List<DeleteRange>? ranges, uint clock, uint end)
    {
        if (ranges == null)
        {
            return (false, end);
        }

        foreach (var r in ranges)
        {
            if (r.End <= clock)
            {
                continue;
            }

            return r.Clock <= clock ? (true, Math.Min(r.End, end)) : (false, Math.Min(r.Clock, end));
        }

        return (false, end);
    }

    /// <summary>A preliminary copy of a nested type as it was in the given version (text loses its formats).</summary>
    private static AbstractType Prelim(AbstractType type, VersionRenderer version)
    {
        var segs = new List<Seg>();
        var versions = version;
        switch (type)
        {
            case YXmlText:
                return new YXmlText(TextOf(type, versions, segs));
            case YText:
                return new YText(TextOf(type, versions, segs));
            case YXmlElement el:
                {
                    var copy = new YXmlElement(el.NodeName);
                    foreach (var kv in type.Map)
                    {
                        if (versions.EntryIn(kv.Value, Version.Ours) is { } e)
                        {
                            object? v = e.Item.Content.GetValue(e.Offset + e.Len - 1);
                            copy.SetAttribute(kv.Key, v is AbstractType t ? Prelim(t, version) : v);
                        }
                    }

                    var children = Values(type, versions, version, segs).OfType<AbstractType>().ToArray();
                    if (children.Length > 0)
                    {
                        copy.Insert(0, children);
                    }

                    return copy;
                }

            case YXmlFragment:
                {
                    var copy = new YXmlFragment();
                    var children = Values(type, versions, version, segs).OfType<AbstractType>().ToArray();
                    if (children.Length > 0)
                    {
                        copy.Insert(0, children);
                    }

                    return copy;
                }

            case YArray:
                return new YArray(Values(type, versions, version, segs));
            default:
                {
                    var entries = new Dictionary<string, object?>();
                    foreach (var kv in type.Map)
                    {
                        if (versions.EntryIn(kv.Value, Version.Ours) is { } e)
                        {
                            object? v = e.Item.Content.GetValue(e.Offset + e.Len - 1);
                            entries[kv.Key] = v is AbstractType t ? Prelim(t, version) : v;
                        }
                    }

                    return type is YXmlHook hook ? CopyHook(hook, entries) : new YMap(entries);
                }
        }
    }

    private static YXmlHook CopyHook(YXmlHook hook, Dictionary<string, object?> entries)
    {
        var copy = new YXmlHook(hook.HookName);
        foreach (var kv in entries)
        {
            copy.Set(kv.Key, kv.Value);
        }

        return copy;
    }

    private static string TextOf(AbstractType type, VersionRenderer version, List<Seg> segs)
    {
        var sb = new StringBuilder();
        for (var n = type.Start; n != null; n = n.Right)
        {
            if (n.Content is not ContentString)
            {
                continue;
            }

            segs.Clear();
            version.Split(n, segs);
            foreach (var s in segs)
            {
                if (s.VisibleT)
                {
                    version.AppendSeg(s, 0, s.Len, Version.Ours, sb, null, TypeKind.Text, 0);
                }
            }
        }

        return sb.ToString();
    }

    private static List<object?> Values(AbstractType type, VersionRenderer versions, VersionRenderer version, List<Seg> segs)
    {
        var list = new List<object?>();
        for (var n = type.Start; n != null; n = n.Right)
        {
            if (!n.Countable)
            {
                continue;
            }

            segs.Clear();
            versions.Split(n, segs);
            foreach (var s in segs)
            {
                if (!s.VisibleT)
                {
                    continue;
                }

                for (int i = 0; i < s.Len; i++)
                {
                    object? v = n.Content.GetValue(s.Offset + i);
                    list.Add(v is AbstractType t ? Prelim(t, version) : v);
                }
            }
        }

        return list;
    }
}
