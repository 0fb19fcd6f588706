using Collab.Crdt;
using Collab.Crdt.Updates;

namespace Collab.Documents.Sessions;

internal sealed partial class BranchSession
{
    /// <summary>
    /// Writes a domain event through the single writer: applied to the live document, appended in the same group commit
    /// as the client updates around it, broadcast to every connection of the branch as an ordinary sync update, and
    /// acknowledged with its seq (null when it changed nothing).
    /// </summary>
    public async Task<DomainEventResult> SubmitDomainEventAsync(DomainEvent domainEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(domainEvent);
        var work = new ApplyWork(domainEvent.Update, updateId: null, domainEvent.Author, connectionId: null) { Domain = domainEvent };
        await EnqueueAsync(work, cancellationToken).ConfigureAwait(false);
        var seq = await work.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new DomainEventResult(seq, work.HeadBefore);
    }

    /// <summary>
    /// Stages a domain event. Unlike a client update it must become exactly one event (it carries one record), so what
    /// the document emitted is merged into one update when applying it also completed earlier pending structs.
    /// </summary>
    private void StageDomain(ApplyWork work)
    {
        // Staged updates will take the next seqs in order, so they count towards the head this event follows.
        var head = _head + _stagedEvents;
        work.HeadBefore = head;
        if (work.Domain!.ExpectedHead is { } expected && expected != head)
        {
            work.Done.TrySetException(new BranchMovedException(head));
            return;
        }

        IReadOnlyList<AppliedUpdate> emitted;
        try
        {
            emitted = _doc.Apply(work.Update);
        }
        catch (YjsFormatException ex)
        {
            work.Done.TrySetException(new CollabException(CollabErrorCode.Malformed, $"The {work.Kind} update is malformed: {ex.Message}"));
            return;
        }
        if (emitted.Count == 0)
        {
            // Nothing changed: no event, unless the record is the point of it (then the payload is the empty update):
            // a domain record, or a resolution (a decision to keep the merged outcome changes nothing, yet is recorded).
            if (work.Domain.Record is null && work.Domain.Resolution is null)
            {
                work.Done.TrySetResult(null);
                return;
            }
            emitted = [new AppliedUpdate(DomainEvent.EmptyUpdate, [])];
        }
        if (emitted.Count > 1)
        {
            var merged = YUpdate.Merge(emitted.Select(static e => e.Update));
            emitted = [new AppliedUpdate(merged, YUpdate.Summarize(merged).ClientIds)];
        }
        // A merge grows the document like any update: keep the size estimate the document-size limit relies on true.
        Grew(emitted);
        _staged.Add(new Staged(work, emitted));
        _stagedEvents += 1;
    }
}
