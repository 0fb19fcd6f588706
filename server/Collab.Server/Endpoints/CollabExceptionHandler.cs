using Collab.Documents;
using Collab.EventStore;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Collab.Server.Endpoints;

/// <summary>Turns domain and store errors into problem-details responses whose detail says what was wrong.</summary>
internal sealed class CollabExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
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
