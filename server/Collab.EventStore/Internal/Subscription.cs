using System.Runtime.CompilerServices;

namespace Collab.EventStore.Internal;

/// <summary>The tail-subscription loop every backend shares: catch up by pages, then wait for the head to move.</summary>
internal static class Subscription
{
    public const int PageSize = 256;

    public static async IAsyncEnumerable<StoredEvent> Run(
        BranchRef branch,
        EventSeq after,
        HeadSignals signals,
        Func<EventSeq> currentHead,
        Func<EventSeq, int, CancellationToken, Task<IReadOnlyList<StoredEvent>>> readPage,
        CancellationToken disposed,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = after;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = signals.Changed(branch);
            if (currentHead() > last)
            {
                var page = await readPage(last.Next, PageSize, cancellationToken).ConfigureAwait(false);
                if (page.Count == 0) throw new InvalidOperationException($"Branch {branch} reports head above {last} but has no event after it.");
                foreach (var stored in page)
                {
                    // Pages start exactly at last + 1 and are gapless, so each event is delivered once, in order.
                    last = stored.Seq;
                    yield return stored;
                }

                continue;
            }

            if (disposed.IsCancellationRequested) yield break;
            try
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
        }
    }
}
