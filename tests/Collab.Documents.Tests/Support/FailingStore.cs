using System.Reflection;
using Collab.EventStore;

namespace Collab.Tests.Support;

/// <summary>
/// An event store whose n-th append (counting from 1) fails as a full disk would; every other call passes to the
/// store it wraps. Shared by the Documents and Server tests (linked into the latter).
/// </summary>
public class FailingStore : DispatchProxy
{
    private IEventStore _inner = null!;
    private int _failAppend;
    private int _appends;

    public static IEventStore Wrap(IEventStore inner, int failAppend)
    {
        var proxy = Create<IEventStore, FailingStore>();
        var self = (FailingStore)(object)proxy;
        self._inner = inner;
        self._failAppend = failAppend;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == nameof(IEventStore.AppendAsync) && Interlocked.Increment(ref _appends) == _failAppend)
        {
            return Task.FromException<AppendResult>(new EventStoreException(EventStoreError.StoreUnavailable, "The disk is full (a test)."));
        }
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
