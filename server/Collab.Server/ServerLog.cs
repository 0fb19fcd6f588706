namespace Collab.Server;

/// <summary>Source-generated log messages of the host.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Warning, "Generated a development token signing key at {Path}; do not use it outside Development")]
    public static partial void DevSigningKeyCreated(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId} of {User} joined {Document}/{Branch} as {Role}")]
    public static partial void Joined(ILogger logger, string connectionId, string user, string document, string branch, string role);

    [LoggerMessage(3, LogLevel.Information, "Refused {Method} from {User} on {Document}/{Branch}: {Code} {Reason}")]
    public static partial void Refused(ILogger logger, string method, string user, string? document, string? branch, string code, string reason);

    [LoggerMessage(4, LogLevel.Error, "Hub method {Method} failed unexpectedly")]
    public static partial void HubFailure(ILogger logger, string method, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "Collab server started: data folder {DataFolder}, store {Store}, development sign-in {DevTokens}; hub at /hubs/documents; OpenAPI and API reference (/scalar) {OpenApi}")]
    public static partial void Started(ILogger logger, string dataFolder, string store, bool devTokens, bool openApi);

    [LoggerMessage(6, LogLevel.Information, "Shutting down: closing {Count} hub connections")]
    public static partial void ClosingConnections(ILogger logger, int count);

    [LoggerMessage(20, LogLevel.Debug, "Rate-limited {Method} from {User} on {Document}/{Branch}")]
    public static partial void RateLimited(ILogger logger, string method, string user, string? document, string? branch);

    [LoggerMessage(21, LogLevel.Information, "{Count} refusals of {User} were not logged (at most 20 are logged per {WindowSeconds} s)")]
    public static partial void RefusalsSuppressed(ILogger logger, int count, string user, int windowSeconds);

    [LoggerMessage(22, LogLevel.Debug, "Refused {Method} {Path} from {User}: {Code} {Reason}")]
    public static partial void RestRefused(ILogger logger, string method, string path, string user, string code, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Connection {ConnectionId} fell behind ({Messages} messages, {Bytes} bytes waiting); dropping it, it will reconnect and resync")]
    public static partial void OutboxOverflow(ILogger logger, string connectionId, int messages, long bytes);

    [LoggerMessage(23, LogLevel.Warning, "Sending a branch notification for {Document} failed")]
    public static partial void NotificationFailed(ILogger logger, string document, Exception exception);
}
