using Collab.Documents;
using Collab.EventStore;
using Collab.Server.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// Wraps every hub invocation: the per-user message rate (<see cref="HubRateLimiter"/>), and the mapping of domain
/// errors to <see cref="HubException"/> messages "code: sentence" that reach only the caller. Refusals are the
/// client's errors, not the server's: they are logged without a stack trace, at most a few per user and window
/// (<see cref="RefusalLogThrottle"/>), rate-limited ones at debug level.
/// </summary>
internal sealed class HubGuardFilter(IOptions<CollabServerOptions> options, HubRateLimiter limiter, RefusalLogThrottle throttle, ILogger<HubGuardFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        var user = HubUser.NameOf(invocationContext.Context.User);
        var method = invocationContext.HubMethodName;
        try
        {
            if (!limiter.TryAcquire(user, out var retryAfter))
            {
                var milliseconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
                throw new CollabException(CollabErrorCode.RateLimited, $"Too many messages: the limit is {options.Value.RateLimits.HubMessagesPerSecond} per second per user. Retry after {milliseconds} ms.");
            }
            return await next(invocationContext);
        }
        catch (CollabException ex)
        {
            LogRefusal(invocationContext, method, user, ex.Code, ex.Message);
            throw new HubException($"{ex.CodeName}: {ex.Message}");
        }
        catch (EventStoreException ex)
        {
            var code = ErrorMapping.CodeOf(ex);
            LogRefusal(invocationContext, method, user, code, ex.Message);
            throw new HubException($"{CollabException.CodeNameOf(code)}: {ex.Message}");
        }
        catch (OperationCanceledException) when (invocationContext.Context.ConnectionAborted.IsCancellationRequested)
        {
            throw new HubException("unavailable: The connection closed.");
        }
        catch (Exception ex) when (ex is not HubException)
        {
            ServerLog.HubFailure(logger, method, ex);
            throw new HubException("error: The server failed to handle this message; it has been logged.");
        }
    }

    private void LogRefusal(HubInvocationContext context, string method, string user, CollabErrorCode code, string reason)
    {
        if (!throttle.ShouldLog(user, out var suppressed)) return;
        if (suppressed > 0) ServerLog.RefusalsSuppressed(logger, suppressed, user, (int)RefusalLogThrottle.Window.TotalSeconds);
        var document = Argument(context, 0);
        var branch = Argument(context, 1);
        if (code == CollabErrorCode.RateLimited) ServerLog.RateLimited(logger, method, user, document, branch);
        else ServerLog.Refused(logger, method, user, document, branch, CollabException.CodeNameOf(code), reason);
    }

    private static string? Argument(HubInvocationContext context, int index) =>
        context.HubMethodArguments.Count > index ? context.HubMethodArguments[index] as string : null;
}
