using System.Collections.Concurrent;

namespace Collab.EventStore.Internal;

/// <summary>Wakes tail subscribers when a branch's head moves. Take the task first, then read the head: no wake-up is lost.</summary>
internal sealed class HeadSignals
{
    private readonly ConcurrentDictionary<BranchRef, TaskCompletionSource> _signals = new();

    public Task Changed(BranchRef branch) => _signals.GetOrAdd(branch, static _ => NewSource()).Task;

    public void Notify(BranchRef branch)
    {
        // Completing the source that waiters hold and forgetting it lets the next Changed start a fresh one.
        if (_signals.TryRemove(branch, out var source)) source.TrySetResult();
    }

    public void NotifyAll()
    {
        foreach (var branch in _signals.Keys) Notify(branch);
    }

    // Continuations run on the pool, never inline on the writer thread.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
