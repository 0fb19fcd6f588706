namespace Collab.EventStore;

/// <summary>A branch of a document.</summary>
/// <param name="Document">The document.</param>
/// <param name="Branch">The branch name within the document.</param>
public readonly record struct BranchRef(DocumentId Document, BranchName Branch)
{
    /// <summary>The <c>main</c> branch of <paramref name="document"/>.</summary>
    public static BranchRef MainOf(DocumentId document) => new(document, BranchName.Main);

    /// <inheritdoc />
    public override string ToString() => $"{Document}/{Branch}";
}
