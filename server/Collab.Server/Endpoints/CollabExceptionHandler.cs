using Collab.Documents;
using Collab.EventStore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Collab.Server.Endpoints;

/// <summary>Turns domain and store errors into problem-details responses whose detail says what was wrong.</summary>
/// <remarks>
/// These are the client's errors: ASP.NET Core does not log exceptions an <see cref="IExceptionHandler"/> handled, and
/// this one logs them at debug level without a stack trace, throttled per user like the hub's refusals.
/// </remarks>
internal sealed class CollabExceptionHandler(IProblemDetailsService problems, RefusalLogThrottle throttle, ILogger<CollabExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        CollabErrorCode code;
        switch (exception)
        {
            case CollabException collab:
                code = collab.Code;
                break;
            case EventStoreException store:
                code = ErrorMapping.CodeOf(store);
                break;
            case BadHttpRequestException:
                code = CollabErrorCode.Invalid;
                break;
            default:
                return false;
        }
        var user = httpContext.User.Identity?.IsAuthenticated == true ? Hubs.HubUser.NameOf(httpContext.User) : "(anonymous)";
        if (logger.IsEnabled(LogLevel.Debug) && throttle.ShouldLog(user, out _))
        {
            ServerLog.RestRefused(logger, httpContext.Request.Method, httpContext.Request.Path, user, CollabException.CodeNameOf(code), exception.Message);
        }
        var status = ErrorMapping.StatusOf(code);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = CollabException.CodeNameOf(code),
                Detail = exception.Message,
                Type = $"https://collab.invalid/errors/{CollabException.CodeNameOf(code)}",
            },
        });
    }
}
