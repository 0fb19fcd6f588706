using System.Collections.Concurrent;
using LiteDB;

namespace Collab.EventStore.LiteDb;

/// <summary>
/// How events reach the disk cheaply. A branch's events go into its own chunks (keyed by branch and seq, for reads) once
/// it has gathered a tail of 32 events or 128 KiB, or its oldest tail event lies 1,024 journal entries back (see
/// <see cref="LiteDbEventStoreOptions"/>); a busy branch thus writes each group's events straight into a chunk. The
/// events of the other branches wait in memory (readers find them there) and, for durability, in one journal entry per
/// group, keyed by a rising number, so a commit adds one entry at the end of one index instead of one entry per branch
/// into a branch-ordered index, which touched many index pages per commit. Journal entries whose events all reached
/// their chunks are deleted a few per group. Opening the store rebuilds the tails from the journal.
/// </summary>
public sealed partial class LiteDbEventStore
{
    private const int JournalPrunePerGroup = 16;
    private const long JournalEntryBytes = 1024 * 1024;

    // Published after each durable commit: per branch number, its events that are not in its chunks yet (seq order).
    private readonly ConcurrentDictionary<int, Tail> _tails = new();

    // Writer-only: journal position of each tail's oldest event, and the tail's payload bytes.
    private readonly Dictionary<int, (long FirstPosition, long Bytes)> _tailStates = [];
    private long _nextJournalPosition = 1;
    private long _journalStart = 1;

    /// <summary>The branch's published tail (empty when all its events are in chunks).</summary>
    private Tail TailOf(int number) => _tails.TryGetValue(number, out var tail) ? tail : Tail.Empty;

    /// <summary>
    /// Moves full or old tails into chunks and writes the rest of the group's fresh events to the journal (events that
    /// go into a chunk in this very group need no journal entry), then prunes the journal.
    /// </summary>
    private void WriteJournal(Group group)
    {
        var oldestAllowed = _nextJournalPosition - _options.JournalLag;
        List<(int Number, List<StoredEvent> Fresh)>? journaled = null;
        foreach (var (number, fresh) in group.FreshEvents)
        {
            var tail = TailOf(number).Append(fresh);
            var payload = fresh.Sum(e => (long)e.Payload.Length);

            // A tail that starts in this group starts at its first journal entry (an upper bound is all pruning needs).
            var state = _tailStates.TryGetValue(number, out var known) ? (known.FirstPosition, known.Bytes + payload) : (_nextJournalPosition, payload);
            if (tail.Count >= _options.TailFlushEvents || state.Item2 >= _options.TailFlushBytes || state.Item1 <= oldestAllowed)
            {
                MoveToChunks(group, number, tail);
            }
            else
            {
                (journaled ??= []).Add((number, fresh));
                _tailStates[number] = state;
                group.Tails[number] = tail;
            }
        }

        if (journaled is not null) WriteJournalEntries(journaled);
        List<int>? old = null;
        foreach (var (number, state) in _tailStates)
        {
            if (state.FirstPosition <= oldestAllowed) (old ??= []).Add(number);
        }

        if (old is not null)
        {
            foreach (var number in old) MoveToChunks(group, number, TailOf(number));
        }

        PruneJournal(JournalPrunePerGroup);
    }

    private void MoveToChunks(Group group, int number, Tail tail)
    {
        _events.Insert(Bson.Chunks(number, tail.ToList()));
        group.Tails[number] = Tail.Empty;
        _tailStates.Remove(number);
    }

    /// <summary>One journal entry per group, or more when the group's events exceed <see cref="JournalEntryBytes"/>.</summary>
    private void WriteJournalEntries(List<(int Number, List<StoredEvent> Fresh)> journaled)
    {
        var entry = new BsonArray();
        long entryBytes = 0;
        foreach (var (number, fresh) in journaled)
        {
            foreach (var section in Bson.Chunks(number, fresh))
            {
                var bytes = section[Bson.ChunkField].AsBinary.Length;
                if (entry.Count > 0 && entryBytes + bytes > JournalEntryBytes)
                {
                    _journal.Insert(Bson.JournalEntry(_nextJournalPosition++, entry));
                    entry = [];
                    entryBytes = 0;
                }

                entry.Add(section);
                entryBytes += bytes;
            }
        }

        _journal.Insert(Bson.JournalEntry(_nextJournalPosition++, entry));
    }

    /// <summary>Deletes up to <paramref name="max"/> journal entries older than every tail.</summary>
    private void PruneJournal(int max)
    {
        var needed = _nextJournalPosition;
        foreach (var state in _tailStates.Values) needed = Math.Min(needed, state.FirstPosition);
        var end = Math.Min(needed, _journalStart + max);
        if (end <= _journalStart) return;
        for (var position = _journalStart; position < end; position++) _journal.Delete(position);
        _journalStart = end;
    }

    /// <summary>After the durable commit: readers see the new tails (before the new heads, which may point into them).</summary>
    private void PublishTails(Group group)
    {
        foreach (var (number, tail) in group.Tails)
        {
            if (tail.Count == 0) _tails.TryRemove(number, out _);
            else _tails[number] = tail;
        }
    }

    /// <summary>On close: every tail into its chunks and the journal emptied, in one durable transaction.</summary>
    private void FlushAllTails()
    {
        if (_tailStates.Count == 0 && _journalStart == _nextJournalPosition && _pendingForks.Count == 0) return;
        _db.BeginTrans();
        InsertPendingForks();
        foreach (var number in _tailStates.Keys) _events.Insert(Bson.Chunks(number, TailOf(number).ToList()));
        _tailStates.Clear();
        PruneJournal(int.MaxValue);
        _db.Commit();
        Sync(_log);
        _tails.Clear();
        if (_pendingForks.Count > 0) PendingForksCopied();
    }

    /// <summary>On open: the tails are the journal's events past each branch's last chunk.</summary>
    private void RecoverTails()
    {
        var branches = new Dictionary<int, (BranchRef Branch, long Through, List<StoredEvent> Tail, long FirstPosition)>();
        var first = true;
        foreach (var doc in _journal.FindAll())
        {
            var position = doc[Bson.Id].AsInt64;
            if (first) _journalStart = position;
            first = false;
            _nextJournalPosition = position + 1;
            foreach (var section in Bson.JournalSections(doc))
            {
                var number = Bson.BranchNumberOf(section[Bson.Id].AsBinary);
                if (!branches.TryGetValue(number, out var branch))
                {
                    var (owner, forkSeq) = BranchByNumber(number);
                    var last = ChunkAtOrBefore(number, long.MaxValue);
                    branch = (owner, last is null ? forkSeq : Bson.EventsOf(owner, last)[^1].Seq.Value, [], 0);
                }

                foreach (var e in Bson.EventsOf(branch.Branch, section))
                {
                    if (e.Seq.Value <= branch.Through) continue;
                    var expected = branch.Tail.Count > 0 ? branch.Tail[^1].Seq.Value + 1 : branch.Through + 1;
                    if (e.Seq.Value != expected)
                    {
                        throw new InvalidDataException($"The journal of branch {branch.Branch} has seq {e.Seq} where {expected} belongs; the file was changed or damaged.");
                    }

                    if (branch.Tail.Count == 0) branch.FirstPosition = position;
                    branch.Tail.Add(e);
                }

                branches[number] = branch;
            }
        }

        foreach (var (number, branch) in branches)
        {
            if (branch.Tail.Count == 0) continue;
            _tails[number] = Tail.Empty.Append(branch.Tail);
            _tailStates[number] = (branch.FirstPosition, branch.Tail.Sum(e => (long)e.Payload.Length));
        }
    }

    /// <summary>Journal entries on disk (for tests).</summary>
    internal int JournalEntryCount => _journal.Count();

    /// <summary>Events held in tails (for tests).</summary>
    internal int TailEventCount => _tails.Values.Sum(tail => tail.Count);

    private (BranchRef Branch, long ForkSeq) BranchByNumber(int number)
    {
        var doc = _branchDocs.FindOne(Bson.FieldEquals("n", number))
            ?? throw new InvalidDataException($"The journal holds events of branch number {number}, which does not exist; the file was changed or damaged.");
        var branch = Bson.BranchRefOf(doc[Bson.Id].AsBinary);
        return (branch, Bson.Branch(branch, doc).Info.ForkSeq.Value);
    }
}
