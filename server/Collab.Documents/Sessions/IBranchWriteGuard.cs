using Collab.EventStore;

namespace Collab.Documents.Sessions;

/// <summary>
/// Decides whether clients may edit a branch directly (a protected branch refuses them). Asked for every client update
/// that would change the document, so an answer must be an in-memory lookup once the document's rules are loaded.
/// </summary>
public interface IBranchWriteGuard
{
    /// <summary>Why clients may not edit <paramref name="branch"/> directly, or null when they may.</summary>
    ValueTask<string?> ClientEditRefusalAsync(BranchRef branch, CancellationToken cancellationToken);
}
