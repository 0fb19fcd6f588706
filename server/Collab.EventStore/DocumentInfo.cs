namespace Collab.EventStore;

/// <summary>A document. Its branches are listed by <see cref="IEventStore.ListBranchesAsync"/>.</summary>
/// <param name="Id">The document id.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">Server time of creation (UTC, millisecond precision).</param>
/// <param name="Genesis">The hash the first event of <c>main</c> links to (see <see cref="EventChain.Genesis"/>).</param>
public sealed record DocumentInfo(DocumentId Id, string CreatedBy, DateTimeOffset CreatedAt, EventHash Genesis);
