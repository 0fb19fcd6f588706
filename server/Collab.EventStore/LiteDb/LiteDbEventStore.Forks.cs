using System.Collections.Concurrent;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// Forks through the fork journal (see <see cref="ForkJournal"/>): a group of forks alone is made durable by one small
/// record each and an fsync of that file, not by a LiteDB commit; the writer copies the journaled branch documents into
/// the branches collection with its next LiteDB commit (or, when many wait, in a commit of their own) and empties the
/// journal once that commit is durable. Until then readers find the new branches in <see cref="_branches"/>, and
/// <see cref="ListBranchesAsync"/> adds them by name.
/// </summary>
public sealed partial class LiteDbEventStore
{
    private readonly ForkJournal? _forkJournal;

    // Writer-only: journaled branch documents not yet in the branches collection, in fork order.
    private readonly List<(BranchRef Branch, BsonDocument Document)> _pendingForks = [];

    // Journaled forks not yet in the branches collection (their entries are in _branches).
    private readonly ConcurrentDictionary<BranchRef, byte> _journaledForks = new();

    /// <summary>Forks waiting in the fork journal (for tests).</summary>
    internal int PendingForkCount => _journaledForks.Count;

    /// <summary>On open: copies the journaled forks the branches collection lacks into it, durably, then empties the journal.</summary>
    private void ReplayForkJournal()
    {
        if (_forkJournal is null) return;
        var missing = new List<BsonDocument>();
        foreach (var record in _forkJournal.ReadAll())
        {
            var doc = BsonSerializer.Deserialize(record);
            if (_branchDocs.FindById(doc[Bson.Id]) is null) missing.Add(doc);
        }

        if (missing.Count > 0)
        {
            _db.BeginTrans();
            _branchDocs.Insert(missing);
            _db.Commit();
            Sync(_log);
        }

        if (_forkJournal.Length > 0)
        {
            _forkJournal.Clear();
            Sync(_forkJournal.Stream);
        }
    }

    /// <summary>Writer: the group's forks into the fork journal, synced as the store's durability says.</summary>
    private void JournalForks(Group group)
    {
        var records = new List<byte[]>(group.Forks.Count);
        foreach (var fork in group.Forks) records.Add(BsonSerializer.Serialize(fork.Document));
        _forkJournal!.Append(records);
        if (_options.Durability == Durability.Fsync) Sync(_forkJournal.Stream);
        group.Journaled = true;
    }

    /// <summary>Writer, inside a LiteDB transaction: the journaled forks into the branches collection.</summary>
    private void InsertPendingForks()
    {
        if (_pendingForks.Count > 0) _branchDocs.Insert(_pendingForks.Select(p => p.Document));
    }

    /// <summary>Writer, after a group is durable: journaled forks become visible by name; copied ones leave the journal.</summary>
    private void PublishForks(Group group)
    {
        if (group.Journaled)
        {
            foreach (var fork in group.Forks)
            {
                _pendingForks.Add((fork.Target, fork.Document));
                _journaledForks[fork.Target] = 0;
            }
        }
        else if (group.HasWrites && _pendingForks.Count > 0)
        {
            // The group's LiteDB commit carried them (InsertPendingForks) and is durable.
            PendingForksCopied();
        }
    }

    private void PendingForksCopied()
    {
        foreach (var (branch, _) in _pendingForks) _journaledForks.TryRemove(branch, out _);
        _pendingForks.Clear();
        _forkJournal!.Clear();
    }

    /// <summary>
    /// Writer, after acknowledging a group: when many forks wait in the journal, copies them in a commit of their own
    /// (so that the journal and the replay on open stay small). False when that failed and the store stopped writing.
    /// </summary>
    private bool ApplyPendingForksWhenMany()
    {
        if (_pendingForks.Count < _options.ForkJournalLimit) return true;
        try
        {
            _db.BeginTrans();
            InsertPendingForks();
            _db.Commit();
            Sync(_log);
            PendingForksCopied();
            return true;
        }
#pragma warning disable CA1031 // Any failure: the store stops writing; the journal still holds the forks for the next open.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _fault = ex;
            AbandonedTransactions.Abandon(_db);
            return false;
        }
    }

    /// <summary>The names of a document's forks that are still only in the fork journal.</summary>
    private IEnumerable<string> JournaledBranchNames(DocumentId document)
    {
        foreach (var branch in _journaledForks.Keys)
        {
            if (branch.Document == document) yield return branch.Branch.Value;
        }
    }
}
