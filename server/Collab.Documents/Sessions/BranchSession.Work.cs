using Collab.EventStore;

namespace Collab.Documents.Sessions;

internal sealed partial class BranchSession
{
    private abstract class Work;

    private sealed class ApplyWork(byte[] update, string? updateId, string author, string? connectionId) : Work
    {
        public byte[] Update { get; } = update;

        public string? UpdateId { get; } = updateId;

        public string Author { get; } = author;

        public string? ConnectionId { get; } = connectionId;

        /// <summary>A domain event (merge, resolution, revert…) instead of a client update; null for client updates.</summary>
        public DomainEvent? Domain { get; init; }

        /// <summary>The kind of event this work appends.</summary>
        public EventKind Kind => Domain?.Kind ?? EventKind.Update;

        /// <summary>For a domain event: the branch's head (counting staged updates) when it was staged.</summary>
        public long HeadBefore { get; set; }

        public TaskCompletionSource<long?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class DiffWork(byte[] stateVector) : Work
    {
        public byte[] StateVector { get; } = stateVector;

        public TaskCompletionSource<byte[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class CheckWork(byte[] update) : Work
    {
        public byte[] Update { get; } = update;

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class StateWork : Work
    {
        public TaskCompletionSource<(long, byte[])> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Wakes an idle loop so that waiting updates past their age are dropped (the loop expires after every drain).</summary>
    private sealed class ExpiryWork : Work;

    private sealed class ContentWork : Work
    {
        public TaskCompletionSource<(long, byte[])> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>An applied update waiting for its append: the client's work and what the document emitted for it.</summary>
    private sealed class Staged(ApplyWork work, IReadOnlyList<AppliedUpdate> emitted)
    {
        public ApplyWork Work { get; } = work;

        public IReadOnlyList<AppliedUpdate> Emitted { get; } = emitted;

        /// <summary>Retries of the same update id that arrived while this one was still being appended.</summary>
        public List<ApplyWork>? Followers { get; set; }

        /// <summary>
        /// Part of the work's update waits for missing content: these events store what was integrated, but the work
        /// is acknowledged by its <see cref="Waiter"/> once the rest is integrated too.
        /// </summary>
        public bool Waiting { get; init; }

        /// <summary>Earlier waiting updates this one completed: acknowledged with this one's seq.</summary>
        public List<Waiter>? Released { get; set; }

        public long Seq { get; set; }

        /// <summary>How many of <see cref="Emitted"/> are in the log.</summary>
        public int Appended { get; set; }

        /// <summary>Whether everything it emitted is in the log.</summary>
        public bool Durable => Appended == Emitted.Count;
    }

    /// <summary>
    /// An update (part of) which waits in the document for content the branch lacks; never stored as such. It is
    /// acknowledged when the document's state covers every clock it carries (it has been integrated, and stored as
    /// part of what the completing update emitted), or refused when it expires.
    /// </summary>
    private sealed class Waiter(ApplyWork work, Dictionary<uint, ulong> needs, long sinceHead, long sinceTimestamp)
    {
        public ApplyWork Work { get; } = work;

        /// <summary>Per client, the clock just past everything the update carries (structs and deletes).</summary>
        public Dictionary<uint, ulong> Needs { get; } = needs;

        /// <summary>The branch head when it arrived (its age is counted in events after that).</summary>
        public long SinceHead { get; } = sinceHead;

        public long SinceTimestamp { get; } = sinceTimestamp;

        /// <summary>Retries of the same update id that arrived while it waited.</summary>
        public List<ApplyWork>? Followers { get; set; }
    }
}
