using System.Collections.Concurrent;
using Collab.Crdt;
using Collab.Crdt.Updates;
using Collab.Documents.History;
using Collab.EventStore;

namespace Collab.Documents.Sessions;

/// <summary>
/// Enforces "one Yjs client id, one line of history". Yjs takes an item id (client, clock) to mean the same content
/// everywhere; if one client id wrote on two branches after they diverged, a later merge would silently mix two
/// different items under one id. So an update on branch B is refused when, for some client c it carries with first
/// new clock k on B, another branch of the document already holds items of c with clock ≥ k (which B lacks).
/// </summary>
/// <remarks>
/// Per document, an in-memory table: branch → client → clock end (the state vector, as far as writes are concerned).
/// It is built on the first write to the document (each branch: its nearest snapshot's state vector plus the clock
/// ranges of the events after it, decoded without being applied), then kept up to date on every accepted write; a
/// new fork is read from the log when it first writes. A check and its reservation run under the document's lock, so
/// two branches cannot accept the same client's
/// clock at once. A reservation is made before the session stores the update and settled after it
/// (<see cref="SettleAsync"/>): if the session refused the update outright (nothing stored) and its reservation changed
/// the table, the branch is marked stale and, once no reservation of the document is in flight, read again from the
/// log (at once: the other branches' checks rely on it), so refused updates full of new client ids cannot grow the
/// table. If the store fails instead
/// (outcome unknown), the reservation stays: the table may then claim clocks the branch does not hold, which can only
/// refuse the same client id on another branch — the conservative direction.
/// </remarks>
internal sealed class ClientClockIndex(IEventStore store)
{
    private readonly ConcurrentDictionary<DocumentId, DocumentClocks> _documents = new();
    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>
    /// Refuses (with <see cref="CollabErrorCode.ClientIdDiverged"/>) an update that would make a client id diverge, and
    /// otherwise records what <paramref name="branch"/> will hold once it is stored. Returns the reservation, which the
    /// caller must <see cref="SettleAsync"/> once the session has decided; null when the update inserts nothing.
    /// </summary>
    public async Task<ClockReservation?> CheckAndReserveAsync(BranchRef branch, UpdateSummary summary, CancellationToken cancellationToken)
    {
        if (summary.Inserted.Count == 0) return null;
        var clocks = _documents.GetOrAdd(branch.Document, static _ => new DocumentClocks());
        await clocks.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureLoadedAsync(clocks, branch, cancellationToken).ConfigureAwait(false);
            var own = clocks.Branches[branch.Branch];
            foreach (var (client, ranges) in summary.Inserted)
            {
                var held = own.GetValueOrDefault(client);
                ulong? firstNew = null;
                foreach (var range in ranges)
                {
                    if (range.End <= held) continue;
                    var candidate = Math.Max(range.Clock, held);
                    if (firstNew is null || candidate < firstNew) firstNew = candidate;
                }
                if (firstNew is not { } k) continue;
                foreach (var (other, otherClocks) in clocks.Branches)
                {
                    if (other == branch.Branch) continue;
                    if (otherClocks.TryGetValue(client, out var end) && end > k)
                    {
                        throw new CollabException(
                            CollabErrorCode.ClientIdDiverged,
                            $"Yjs client id {client} already wrote clock {k} and later on branch '{other}', which branch '{branch.Branch}' does not hold: " +
                            "one client id must keep one line of history (a client needs a fresh client id for each branch it writes on).");
                    }
                }
            }
            var before = own.Count;
            var changed = Reserve(own, summary);
            clocks.Entries += own.Count - before;
            clocks.InFlight++;
            return new ClockReservation(branch, changed);
        }
        finally
        {
            clocks.Gate.Release();
        }
    }

    /// <summary>
    /// Ends a reservation of <see cref="CheckAndReserveAsync"/>. <paramref name="refused"/>: the session refused the
    /// update and stored nothing, so the clocks it reserved may be untrue; the branch is read again from the log once
    /// no other reservation of the document is in flight (until then the table stays conservative). The log then holds
    /// every update this table ever let through, so what is read is exact.
    /// </summary>
    public async Task SettleAsync(ClockReservation reservation, bool refused)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (!_documents.TryGetValue(reservation.Branch.Document, out var clocks)) return;
        await clocks.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            clocks.InFlight--;
            if (refused && reservation.Changed) clocks.Stale.Add(reservation.Branch.Branch);
            if (clocks.InFlight > 0 || clocks.Stale.Count == 0) return;
            foreach (var stale in clocks.Stale.ToArray())
            {
                if (!clocks.Branches.TryGetValue(stale, out var untrue))
                {
                    clocks.Stale.Remove(stale);
                    continue;
                }
                Dictionary<uint, ulong> read;
                try
                {
                    read = await ReadClocksAsync(new BranchRef(reservation.Branch.Document, stale), CancellationToken.None).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The log cannot be read now: keep the conservative table and try again at the next settle.
                catch (Exception)
#pragma warning restore CA1031
                {
                    continue;
                }
                clocks.Branches[stale] = read;
                clocks.Entries += read.Count - untrue.Count;
                clocks.Stale.Remove(stale);
            }
        }
        finally
        {
            clocks.Gate.Release();
        }
    }

    /// <summary>The client ids the table holds over all branches of all documents (the footprint account).</summary>
    public long TrackedClientIds => _documents.Values.Sum(static d => (long)Volatile.Read(ref d.Entries));

    /// <summary>Records what a server-written event (a merge) brings into <paramref name="branch"/>; never refuses.</summary>
    public async Task RecordAsync(BranchRef branch, UpdateSummary summary, CancellationToken cancellationToken)
    {
        if (!_documents.TryGetValue(branch.Document, out var clocks)) return; // not built yet: it will read the log
        await clocks.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (clocks.Branches.TryGetValue(branch.Branch, out var own))
            {
                var before = own.Count;
                Reserve(own, summary);
                clocks.Entries += own.Count - before;
            }
        }
        finally
        {
            clocks.Gate.Release();
        }
    }

    private async Task EnsureLoadedAsync(DocumentClocks clocks, BranchRef branch, CancellationToken cancellationToken)
    {
        if (!clocks.Loaded)
        {
            foreach (var info in await store.ListBranchesAsync(branch.Document, cancellationToken).ConfigureAwait(false))
            {
                var read = await ReadClocksAsync(info.Ref, cancellationToken).ConfigureAwait(false);
                if (clocks.Branches.Remove(info.Ref.Branch, out var replaced)) clocks.Entries -= replaced.Count;
                clocks.Branches[info.Ref.Branch] = read;
                clocks.Entries += read.Count;
            }
            clocks.Loaded = true;
        }
        // A branch created since (a fork) is read when it first writes. Until then it holds a prefix of its source, so
        // whatever it could make the check refuse, its source refuses already: leaving it out changes no answer, and a
        // fork stays O(1).
        if (!clocks.Branches.ContainsKey(branch.Branch))
        {
            var read = await ReadClocksAsync(branch, cancellationToken).ConfigureAwait(false);
            clocks.Branches[branch.Branch] = read;
            clocks.Entries += read.Count;
        }
    }

    private async Task<Dictionary<uint, ulong>> ReadClocksAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        var result = new Dictionary<uint, ulong>();
        var info = await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"Branch '{branch.Branch}' of document '{branch.Document}' does not exist.");
        // A snapshot is a whole state and an event an update: either way, the clock ranges it carries are what it holds.
        await _replayer.ReplayAsync(branch, info.Head, useSnapshots: true, payload =>
        {
            foreach (var (client, ranges) in YUpdate.Summarize(payload).Inserted)
            {
                foreach (var range in ranges) Raise(result, client, range.End);
            }
        }, onEvent: null, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A Yjs client id that no branch of the document has written with, nor handed out before: the server writes a
    /// decision or a revert with it, so that the id keeps one line of history (it will only ever write on one branch).
    /// </summary>
    public async Task<uint> FreshClientIdAsync(BranchRef branch, CancellationToken cancellationToken)
    {
        var clocks = _documents.GetOrAdd(branch.Document, static _ => new DocumentClocks());
        await clocks.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureLoadedAsync(clocks, branch, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                // Yjs picks client ids as random 32-bit numbers too; 0 is avoided only to keep ids visibly set.
                var candidate = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
                if (clocks.Issued.Contains(candidate) || clocks.Branches.Values.Any(b => b.ContainsKey(candidate))) continue;
                clocks.Issued.Add(candidate);
                return candidate;
            }
        }
        finally
        {
            clocks.Gate.Release();
        }
    }

    /// <summary>Raises the branch's clock ends to what the update inserts; true when any of them moved.</summary>
    private static bool Reserve(Dictionary<uint, ulong> own, UpdateSummary summary)
    {
        var changed = false;
        foreach (var (client, ranges) in summary.Inserted)
        {
            foreach (var range in ranges) changed |= Raise(own, client, range.End);
        }
        return changed;
    }

    private static bool Raise(Dictionary<uint, ulong> clocks, uint client, ulong end)
    {
        if (end <= clocks.GetValueOrDefault(client)) return false;
        clocks[client] = end;
        return true;
    }

    private sealed class DocumentClocks
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Dictionary<BranchName, Dictionary<uint, ulong>> Branches { get; } = [];

        public bool Loaded { get; set; }

        /// <summary>(client, branch) entries of <see cref="Branches"/>, kept under the gate and read without it (footprint).</summary>
        public int Entries;

        /// <summary>Reservations made and not yet settled.</summary>
        public int InFlight { get; set; }

        /// <summary>Branches whose table may hold clocks of refused updates: read again from the log when nothing is in flight.</summary>
        public HashSet<BranchName> Stale { get; } = [];

        /// <summary>Client ids handed out by <see cref="FreshClientIdAsync"/> (written or not, never handed out twice).</summary>
        public HashSet<uint> Issued { get; } = [];
    }
}

/// <summary>A reservation of <see cref="ClientClockIndex.CheckAndReserveAsync"/>, to be settled once the session decided.</summary>
/// <param name="Branch">The branch the update was for.</param>
/// <param name="Changed">Whether the reservation moved any clock end of the table (only then can a refusal leave it untrue).</param>
internal sealed record ClockReservation(BranchRef Branch, bool Changed);
