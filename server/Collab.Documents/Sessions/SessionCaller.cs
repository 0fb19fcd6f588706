using Collab.Documents.Access;

namespace Collab.Documents.Sessions;

/// <summary>Who is calling a session: the connection, its authenticated user and that user's role on the document.</summary>
/// <param name="ConnectionId">The hub connection (awareness states and broadcasts are per connection).</param>
/// <param name="User">The authenticated user; the author of what it stores.</param>
/// <param name="Role">The user's role on the document, read for this call (revocation takes effect at once).</param>
public sealed record SessionCaller(string ConnectionId, string User, DocumentRole Role);
