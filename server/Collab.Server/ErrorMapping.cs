using Collab.Documents;
using Collab.EventStore;

namespace Collab.Server;

/// <summary>One mapping from domain and store errors to codes and HTTP statuses, shared by REST and the hub.</summary>
internal static class ErrorMapping
{
    public static CollabErrorCode CodeOf(EventStoreException ex) => ex.Error switch
    {
        EventStoreError.InvalidName or EventStoreError.InvalidArgument or EventStoreError.InvalidRecord or EventStoreError.SeqBeyondHead => CollabErrorCode.Invalid,
        EventStoreError.PayloadTooLarge => CollabErrorCode.TooLarge,
        EventStoreError.DocumentNotFound or EventStoreError.BranchNotFound => CollabErrorCode.NotFound,
        EventStoreError.DocumentAlreadyExists or EventStoreError.BranchAlreadyExists or EventStoreError.ExpectedSeqMismatch or EventStoreError.IdempotencyConflict => CollabErrorCode.Conflict,
        _ => CollabErrorCode.Unavailable,
    };

    public static int StatusOf(CollabErrorCode code) => code switch
    {
        CollabErrorCode.Invalid or CollabErrorCode.Malformed or CollabErrorCode.NotJoined => StatusCodes.Status400BadRequest,
        CollabErrorCode.NotFound => StatusCodes.Status404NotFound,
        CollabErrorCode.Forbidden => StatusCodes.Status403Forbidden,
        CollabErrorCode.TooLarge => StatusCodes.Status413PayloadTooLarge,
        CollabErrorCode.TooManyDocuments or CollabErrorCode.RateLimited => StatusCodes.Status429TooManyRequests,
        CollabErrorCode.Conflict or CollabErrorCode.ClientIdDiverged or CollabErrorCode.MissingDependency or CollabErrorCode.BranchProtected => StatusCodes.Status409Conflict,
        CollabErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
