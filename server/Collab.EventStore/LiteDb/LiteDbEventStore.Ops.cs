using Collab.EventStore.Internal;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>The requests the writer thread carries out. Plan may throw (nothing staged yet); Write must not.</summary>
public sealed partial class LiteDbEventStore
{
    private abstract class WriteOp
    {
        public virtual int EventCount => 1;

        public abstract void Plan(Group group, DateTimeOffset now);

        public abstract void Write(LiteDbEventStore store, Group group);

        public abstract void Complete();

        public abstract void Fail(Exception error);
    }

    private abstract class WriteOp<T> : WriteOp
    {
        // Continuations must not run on the writer thread.
        private readonly TaskCompletionSource<T> _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _source.Task;

        protected T? Result { get; set; }

        public override void Complete() => _source.TrySetResult(Result!);

        public override void Fail(Exception error) => _source.TrySetException(error);
    }

    private sealed class CreateDocumentOp(DocumentId id, string createdBy) : WriteOp<DocumentInfo>
    {
        private BranchEntry? _main;

        public override void Plan(Group group, DateTimeOffset now)
        {
            if (group.DocumentExists(id)) throw new EventStoreException(EventStoreError.DocumentAlreadyExists, $"Document \"{id}\" exists already.");
            var genesis = EventChain.Genesis(id);
            Result = new DocumentInfo(id, createdBy, now, genesis);
            var main = BranchRef.MainOf(id);
            _main = new BranchEntry(group.NewBranchNumber(), new BranchInfo(main, null, EventSeq.Zero, genesis, createdBy, now, EventSeq.Zero, genesis, BranchState.Open));
            group.AddDocument(id);
            group.Branches[main] = _main;
            group.NeedsLiteDb = true;
        }

        public override void Write(LiteDbEventStore store, Group group)
        {
            store._documents.Insert(Bson.Document(Result!));
            store._branchDocs.Insert(Bson.Branch(_main!.Number, _main.Info));
        }
    }

    private sealed class ForkOp(BranchRef source, EventSeq at, BranchName name, string createdBy) : WriteOp<BranchInfo>
    {
        private int _number;

        public override void Plan(Group group, DateTimeOffset now)
        {
            var parent = group.Require(source).Info;
            if (at > parent.Head) throw Validation.BeyondHead(source, at, parent.Head);
            var target = new BranchRef(source.Document, name);
            Target = target;
            if (group.Find(target) is not null) throw new EventStoreException(EventStoreError.BranchAlreadyExists, $"Branch \"{name}\" exists already in document \"{source.Document}\".");
            var hash = group.HashAt(parent, at);
            Result = new BranchInfo(target, source, at, hash, createdBy, now, at, hash, BranchState.Open);
            _number = group.NewBranchNumber();
            group.Branches[target] = new BranchEntry(_number, Result);
            group.Forks.Add(this);
        }

        /// <summary>The branch the fork creates.</summary>
        public BranchRef Target { get; private set; }

        /// <summary>The new branch's document (for the branches collection or the fork journal).</summary>
        public BsonDocument Document => Bson.Branch(_number, Result!);

        public override void Write(LiteDbEventStore store, Group group) => store._branchDocs.Insert(Document);
    }

    private sealed class SetStateOp(BranchRef branch, BranchState state) : WriteOp<BranchInfo>
    {
        private int _number;

        public override void Plan(Group group, DateTimeOffset now)
        {
            var entry = group.Require(branch);
            _number = entry.Number;
            Result = entry.Info with { State = state };
            group.Branches[branch] = entry with { Info = Result };
            group.NeedsLiteDb = true;
        }

        public override void Write(LiteDbEventStore store, Group group) => store._branchDocs.Update(Bson.Branch(_number, Result!));
    }

    private sealed class SnapshotOp(BranchRef branch, EventSeq seq, ReadOnlyMemory<byte> state, int formatVersion) : WriteOp<Snapshot>
    {
        private int _number;

        public override void Plan(Group group, DateTimeOffset now)
        {
            var info = group.Require(branch).Info;
            if (seq > info.Head) throw Validation.BeyondHead(branch, seq, info.Head);
            var owner = Ancestry.Segments(info, seq.Value, seq.Value, group.Info)[0].Owner;
            _number = group.Require(owner).Number;
            Result = new Snapshot(owner, seq, group.HashAt(info, seq), state.ToArray(), formatVersion, now);
            group.NeedsLiteDb = true;
        }

        public override void Write(LiteDbEventStore store, Group group)
        {
            var (head, parts) = Bson.Snapshot(_number, Result!, store._options.MaxPayloadBytes);
            foreach (var part in parts) store._snapshotParts.Upsert(part);
            // Pieces of an earlier, longer snapshot at this position would never be read (wrong generation): drop them.
            store._snapshotParts.DeleteMany(Bson.IdBetween(
                Bson.SnapshotPartKey(_number, seq.Value, parts.Count + 1),
                Bson.SnapshotPartKey(_number, seq.Value, -1)));
            store._snapshots.Upsert(head);
        }
    }

    private sealed class AppendOp(BranchRef branch, IReadOnlyList<NewEvent> events, EventSeq? expectedHead) : WriteOp<AppendResult>
    {
        private AppendPlan? _plan;
        private int _number;
        private readonly List<byte[]> _mergeKeys = [];

        public override int EventCount => events.Count;

        public override void Plan(Group group, DateTimeOffset now)
        {
            var entry = group.Require(branch);
            var plan = AppendPlanner.Plan(entry.Info, events, expectedHead, group, now);
            foreach (var resolution in plan.Resolutions)
            {
                _mergeKeys.Add(Bson.EventKey(group.Require(resolution.Merge.Branch).Number, resolution.Merge.Seq.Value));
            }

            _plan = plan;
            _number = entry.Number;
            Result = plan.ToResult();
            group.Stage(plan, entry);
            if (plan.Fresh.Count > 0) group.NeedsLiteDb = true;
        }

        public override void Write(LiteDbEventStore store, Group group)
        {
            // Collected per group and branch, and stored as chunks (see EventChunk).
            var plan = _plan!;
            if (plan.Fresh.Count > 0)
            {
                if (!group.FreshEvents.TryGetValue(_number, out var fresh)) group.FreshEvents[_number] = fresh = [];
                fresh.AddRange(plan.Fresh);
                store.IndexDomainEvents(_number, plan.Fresh);
            }

            foreach (var merge in plan.Merges) store._merges.Insert(Bson.Merge(_number, merge));
            for (var i = 0; i < plan.Resolutions.Count; i++) store._resolutions.Insert(Bson.Resolution(_number, _mergeKeys[i], plan.Resolutions[i]));
        }
    }
}
