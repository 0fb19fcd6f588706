using Collab.EventStore.Internal;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>The state a group of writes sees while it is planned: committed state overlaid with the group's own pending changes.</summary>
public sealed partial class LiteDbEventStore
{
    private sealed class Group(LiteDbEventStore store) : IAppendLookup
    {
        private readonly HashSet<DocumentId> _newDocuments = [];
        private readonly Dictionary<(int Number, string Id), StoredEvent> _updates = [];
        private readonly Dictionary<(int Number, long Seq), EventHash> _hashes = [];
        private readonly Dictionary<EventRef, MergeRecord> _merges = [];

        public List<WriteOp> Ops { get; } = [];

        public List<WriteOp> Planned { get; } = [];

        /// <summary>Branches created or changed by the group, as they will be once it commits.</summary>
        public Dictionary<BranchRef, BranchEntry> Branches { get; } = [];

        /// <summary>Branches whose head moves.</summary>
        public HashSet<BranchRef> Moved { get; } = [];

        /// <summary>Whether the group writes anything (forks or LiteDB writes).</summary>
        public bool HasWrites => NeedsLiteDb || Forks.Count > 0;

        /// <summary>Whether the group writes more than forks (which the fork journal can take alone).</summary>
        public bool NeedsLiteDb { get; set; }

        /// <summary>The group's forks.</summary>
        public List<ForkOp> Forks { get; } = [];

        /// <summary>Whether the group's forks went to the fork journal (not to LiteDB).</summary>
        public bool Journaled { get; set; }

        /// <summary>The group's fresh events by branch number, in seq order.</summary>
        public Dictionary<int, List<StoredEvent>> FreshEvents { get; } = [];

        /// <summary>Branch tails as they will be once the group commits (empty: moved into chunks).</summary>
        public Dictionary<int, Tail> Tails { get; } = [];


        public BranchEntry? Find(BranchRef branch) => Branches.TryGetValue(branch, out var entry) ? entry : store.FindEntry(branch);

        public BranchEntry Require(BranchRef branch)
        {
            var entry = Find(branch);
            if (entry is not null) return entry;
            if (!DocumentExists(branch.Document)) throw Validation.DocumentNotFound(branch.Document);
            throw Validation.BranchNotFound(branch);
        }

        public BranchInfo Info(BranchRef branch) => Require(branch).Info;

        public bool DocumentExists(DocumentId id) => _newDocuments.Contains(id) || store._documents.FindById(Bson.DocumentKey(id)) is not null;

        public void AddDocument(DocumentId id) => _newDocuments.Add(id);

        public IEnumerable<DocumentId> NewDocuments => _newDocuments;

        public int NewBranchNumber() => store._nextBranchNumber++;

        public EventHash HashAt(BranchInfo branch, EventSeq seq) => Ancestry.HashAt(branch, seq, Info, OwnHash);

        public void Stage(AppendPlan plan, BranchEntry entry)
        {
            Branches[entry.Info.Ref] = entry with { Info = entry.Info with { Head = plan.Head.Seq, HeadHash = plan.Head.Hash } };
            if (plan.Fresh.Count > 0) Moved.Add(entry.Info.Ref);
            foreach (var e in plan.Fresh)
            {
                _hashes[(entry.Number, e.Seq.Value)] = e.Hash;
                if (e.ClientUpdateId is { } id) _updates[(entry.Number, id)] = e;
            }

            foreach (var merge in plan.Merges) _merges[merge.Event] = merge;
        }

        public StoredEvent? FindByUpdateId(BranchRef branch, string clientUpdateId)
        {
            var entry = Require(branch);
            if (_updates.TryGetValue((entry.Number, clientUpdateId), out var pending)) return pending;
            if (store.UpdateIds(branch, entry).Candidate(clientUpdateId) is not { } seq) return null;
            var stored = store.OwnEvent(branch, entry.Number, seq);
            return stored?.ClientUpdateId == clientUpdateId ? stored : null;
        }

        public MergeRecord? FindMerge(EventRef mergeEvent)
        {
            if (_merges.TryGetValue(mergeEvent, out var pending)) return pending;
            return store.LoadMerge(mergeEvent);
        }

        /// <summary>The client update ids this group stored, by branch number (to remember once committed).</summary>
        public IEnumerable<(int Number, string Id, long Seq)> StoredUpdateIds => _updates.Select(pair => (pair.Key.Number, pair.Key.Id, pair.Value.Seq.Value));

        public void Clear()
        {
            Ops.Clear();
            Planned.Clear();
            Branches.Clear();
            Moved.Clear();
            _newDocuments.Clear();
            _updates.Clear();
            _hashes.Clear();
            _merges.Clear();
            FreshEvents.Clear();
            Tails.Clear();
            NeedsLiteDb = false;
            Forks.Clear();
            Journaled = false;
        }

        private EventHash OwnHash(BranchRef owner, EventSeq seq)
        {
            var entry = Require(owner);
            return _hashes.TryGetValue((entry.Number, seq.Value), out var pending) ? pending : store.StoredHash(owner, seq);
        }
    }

    private MergeRecord? LoadMerge(EventRef mergeEvent)
    {
        // Beyond the published head means committed but not yet durable: not there yet for a reader.
        var entry = FindEntry(mergeEvent.Branch);
        if (entry is null || mergeEvent.Seq > entry.Info.Head) return null;
        var doc = _merges.FindById(Bson.EventKey(entry.Number, mergeEvent.Seq.Value));
        return doc is null ? null : Bson.Merge(mergeEvent.Branch, doc);
    }
}
