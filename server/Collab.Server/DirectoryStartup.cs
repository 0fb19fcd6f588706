using Collab.Documents.Access;

namespace Collab.Server;

/// <summary>
/// Before the server takes requests, sets the document directory (the in-memory projection access checks read) to what
/// each document's log says, and repairs documents a crash left without their <c>document.created</c> event
/// (docs/security.md, "Roles are in the log").
/// </summary>
internal sealed partial class DirectoryStartup(DirectoryLog log, ILogger<DirectoryStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (documents, repaired) = await log.ReconcileAllAsync(cancellationToken);
        Reconciled(documents, repaired);
        foreach (var (document, importer) in log.PendingImports) PendingImport(document, importer);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Document directory reconciled from the log: {Documents} documents, {Repaired} repaired (no document.created event)")]
    private partial void Reconciled(int documents, int repaired);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Document {Document} is an interrupted import: nobody can reach it until {Importer} imports the same file again (docs/verification.md)")]
    private partial void PendingImport(string document, string importer);
}
