using Collab.EventStore.Internal;

namespace Collab.EventStore.InMemory;

/// <summary>Snapshots and merge/resolution records.</summary>
public sealed partial class InMemoryEventStore
{
    /// <inheritdoc />
    public Task<Snapshot> PutSnapshotAsync(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion, CancellationToken cancellationToken = default)
    {
        Validation.Snapshot(branch, seq, state, _options);
        lock (_gate)
        {
            ThrowIfDisposed();
            var info = Branch(branch).Info;
            if (seq > info.Head) throw Validation.BeyondHead(branch, seq, info.Head);
            var owner = Ancestry.Segments(info, seq.Value, seq.Value, Info)[0].Owner;
            var snapshot = new Snapshot(owner, seq, OwnHash(owner, seq), state.ToArray(), formatVersion, AppendPlanner.Now(_options.TimeProvider));
            _branches[owner].Snapshots[seq.Value] = snapshot;
            return Task.FromResult(snapshot);
        }
    }

    /// <inheritdoc />
    public Task<Snapshot?> GetNearestSnapshotAsync(BranchRef branch, EventSeq atOrBefore, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        lock (_gate)
        {
            var segments = Ancestry.Segments(Branch(branch).Info, 1, atOrBefore.Value, Info);
            for (var i = segments.Count - 1; i >= 0; i--)
            {
                var snapshots = _branches[segments[i].Owner].Snapshots;
                for (var j = snapshots.Count - 1; j >= 0; j--)
                {
                    if (snapshots.Keys[j] <= segments[i].To) return Task.FromResult<Snapshot?>(snapshots.Values[j]);
                }
            }

            return Task.FromResult<Snapshot?>(null);
        }
    }

    /// <inheritdoc />
    public Task<MergeRecord?> GetMergeRecordAsync(EventRef mergeEvent, CancellationToken cancellationToken = default)
    {
        Validation.Branch(mergeEvent.Branch);
        lock (_gate)
        {
            return Task.FromResult(((IAppendLookup)this).FindMerge(mergeEvent));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<MergeRecord>> ListMergeRecordsAsync(BranchRef branch, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        lock (_gate)
        {
            var list = new List<MergeRecord>();
            foreach (var segment in Ancestry.Segments(Branch(branch).Info, 1, long.MaxValue, Info))
            {
                foreach (var (seq, merge) in _branches[segment.Owner].Merges)
                {
                    if (seq >= segment.From && seq <= segment.To) list.Add(merge);
                }
            }

            return Task.FromResult<IReadOnlyList<MergeRecord>>(list);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ResolutionRecord>> ListResolutionsAsync(EventRef mergeEvent, CancellationToken cancellationToken = default)
    {
        Validation.Branch(mergeEvent.Branch);
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<ResolutionRecord>>(_resolutions.TryGetValue(mergeEvent, out var list) ? [.. list] : []);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ListDomainEventsAsync(BranchRef branch, EventSeq after, int maxCount, CancellationToken cancellationToken = default)
    {
        Validation.Branch(branch);
        Validation.MaxCount(maxCount);
        lock (_gate)
        {
            var data = Branch(branch);
            var seqs = data.DomainSeqs;
            var start = seqs.BinarySearch(after.Value + 1);
            if (start < 0) start = ~start;
            var list = new List<StoredEvent>();
            var offset = data.Info.ForkSeq.Value + 1;
            for (var i = start; i < seqs.Count && list.Count < maxCount; i++) list.Add(_upcasting.Apply(data.Events[(int)(seqs[i] - offset)]));
            return Task.FromResult<IReadOnlyList<StoredEvent>>(list);
        }
    }

    /// <summary>Replaces a stored payload behind the store's back, so that tests can show verification finds it.</summary>
    internal void TamperForTests(EventRef target, byte[] payload)
    {
        lock (_gate)
        {
            var data = _branches[target.Branch];
            var index = (int)(target.Seq.Value - data.Info.ForkSeq.Value - 1);
            data.Events[index] = data.Events[index] with { Payload = payload };
        }
    }

    /// <summary>Replaces a text in every stored merge, resolution and domain record behind the store's back (tests show verification finds it).</summary>
    internal int TamperRecordTextForTests(string original, string replacement)
    {
        var count = 0;
        string? Swap(string? value)
        {
            if (value != original) return value;
            count++;
            return replacement;
        }

        Dictionary<string, string> SwapAll(IReadOnlyDictionary<string, string> map) => map.ToDictionary(p => p.Key, p => Swap(p.Value)!, StringComparer.Ordinal);

        lock (_gate)
        {
            foreach (var data in _branches.Values)
            {
                for (var i = 0; i < data.Events.Count; i++)
                {
                    if (data.Events[i].Record is { } record)
                    {
                        data.Events[i] = data.Events[i] with { Record = record with { Type = Swap(record.Type)!, Fields = SwapAll(record.Fields) } };
                    }
                }

                foreach (var seq in data.Merges.Keys.ToList())
                {
                    var m = data.Merges[seq];
                    data.Merges[seq] = m with
                    {
                        Conflicts = [.. m.Conflicts.Select(c => new MergeConflict(Swap(c.Id)!, Swap(c.Kind)!, Swap(c.Location)!, Swap(c.Base), Swap(c.Ours), Swap(c.Theirs), Swap(c.Merged), Swap(c.AutomaticOutcome)!) { Properties = SwapAll(c.Properties) })],
                        Properties = SwapAll(m.Properties),
                    };
                }

                foreach (var seq in data.Resolutions.Keys.ToList())
                {
                    var r = data.Resolutions[seq];
                    var changed = r with { Decisions = [.. r.Decisions.Select(d => new ConflictDecision(Swap(d.ConflictId)!, Swap(d.Choice)!, Swap(d.CustomText)) { Properties = SwapAll(d.Properties) })] };
                    data.Resolutions[seq] = changed;
                    var list = _resolutions[r.Merge];
                    list[list.IndexOf(r)] = changed;
                }
            }
        }

        return count;
    }
}
