using System.Threading.RateLimiting;
using Collab.Documents;
using Collab.EventStore;
using Collab.Server.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Collab.Server.Hubs;

/// <summary>
/// Wraps every hub invocation: the per-user message rate (ASP.NET Core's rate-limiting middleware sees only the
/// WebSocket upgrade, not the messages inside it), and the mapping of domain errors to <see cref="HubException"/>
/// messages "code: sentence" that reach only the caller.
/// </summary>
internal sealed class HubGuardFilter(IOptions<CollabServerOptions> options, ILogger<HubGuardFilter> logger) : IHubFilter, IDisposable
{
    // One token bucket per user; the partitioned limiter drops the buckets of users that went quiet.
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(user =>
        RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Value.RateLimits.HubBurst,
            TokensPerPeriod = options.Value.RateLimits.HubMessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        var user = HubUser.NameOf(invocationContext.Context.User);
        var method = invocationContext.HubMethodName;
        try
        {
            using (var lease = _limiter.AttemptAcquire(user))
            {
                if (!lease.IsAcquired)
                {
                    throw new CollabException(CollabErrorCode.RateLimited, $"Too many messages: the limit is {options.Value.RateLimits.HubMessagesPerSecond} per second per user.");
                }
            }
            return await next(invocationContext);
        }
        catch (CollabException ex)
        {
            ServerLog.Refused(logger, method, user, Argument(invocationContext, 0), Argument(invocationContext, 1), ex.CodeName, ex.Message);
            throw new HubException($"{ex.CodeName}: {ex.Message}");
        }
        catch (EventStoreException ex)
        {
            var code = ErrorMapping.CodeOf(ex);
            ServerLog.Refused(logger, method, user, Argument(invocationContext, 0), Argument(invocationContext, 1), CollabException.CodeNameOf(code), ex.Message);
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

    public void Dispose() => _limiter.Dispose();

    private static string? Argument(HubInvocationContext context, int index) =>
        context.HubMethodArguments.Count > index ? context.HubMethodArguments[index] as string : null;
}
