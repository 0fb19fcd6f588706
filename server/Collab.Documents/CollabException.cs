namespace Collab.Documents;

/// <summary>Stable codes for refused requests; the hub and REST layers map them to HubException messages and HTTP statuses.</summary>
public enum CollabErrorCode
{
    /// <summary>An argument is missing or malformed.</summary>
    Invalid,

    /// <summary>The document or branch does not exist.</summary>
    NotFound,

    /// <summary>The caller has no role on the document, or its role may not do this.</summary>
    Forbidden,

    /// <summary>The connection has not joined the branch it is talking about.</summary>
    NotJoined,

    /// <summary>CRDT or awareness bytes that cannot be decoded.</summary>
    Malformed,

    /// <summary>A payload above a configured limit.</summary>
    TooLarge,

    /// <summary>A connection tried to join more branches than allowed.</summary>
    TooManyDocuments,

    /// <summary>The caller exceeded its message rate.</summary>
    RateLimited,

    /// <summary>An id already in use (document id, or an update id reused with other bytes).</summary>
    Conflict,

    /// <summary>Shutting down or reloading after a storage failure; the caller should retry.</summary>
    Unavailable,

    /// <summary>An update whose Yjs client id already wrote the same clocks on another branch of the document.</summary>
    ClientIdDiverged,
    /// <summary>
    /// An update waited for content the branch never received (it builds on state nobody sent) and was dropped; send
    /// what it builds on first, e.g. by answering the server's SyncStep1.
    /// </summary>
    MissingDependency,

    /// <summary>A client edit or a direct merge on a protected branch: only an owner's merge of an approved proposal changes it.</summary>
    BranchProtected,
}

/// <summary>
/// A refused domain request. The message is meant for the caller (it never carries internals such as stack traces or
/// file paths) and <see cref="Code"/> is the stable machine-readable reason.
/// </summary>
public sealed class CollabException : Exception
{
    public CollabException(CollabErrorCode code, string message)
        : base(message) => Code = code;

    public CollabException(CollabErrorCode code, string message, Exception innerException)
        : base(message, innerException) => Code = code;

    public CollabException()
        : this(CollabErrorCode.Invalid, "Invalid request.")
    {
    }

    public CollabException(string message)
        : this(CollabErrorCode.Invalid, message)
    {
    }

    public CollabException(string message, Exception innerException)
        : this(CollabErrorCode.Invalid, message, innerException)
    {
    }

    /// <summary>Why the request was refused.</summary>
    public CollabErrorCode Code { get; }

    /// <summary>The wire form of <see cref="Code"/> (snake_case), as documented in docs/protocol.md.</summary>
    public string CodeName => CodeNameOf(Code);

    /// <summary>The snake_case name of a code.</summary>
    public static string CodeNameOf(CollabErrorCode code) => code switch
    {
        CollabErrorCode.Invalid => "invalid",
        CollabErrorCode.NotFound => "not_found",
        CollabErrorCode.Forbidden => "forbidden",
        CollabErrorCode.NotJoined => "not_joined",
        CollabErrorCode.Malformed => "malformed",
        CollabErrorCode.TooLarge => "too_large",
        CollabErrorCode.TooManyDocuments => "too_many_documents",
        CollabErrorCode.RateLimited => "rate_limited",
        CollabErrorCode.Conflict => "conflict",
        CollabErrorCode.Unavailable => "unavailable",
        CollabErrorCode.ClientIdDiverged => "client_id_diverged",
        CollabErrorCode.MissingDependency => "missing_dependency",
        CollabErrorCode.BranchProtected => "branch_protected",
        _ => "error",
    };

    internal static CollabException NotFound(string message) => new(CollabErrorCode.NotFound, message);

    internal static CollabException Forbidden(string message) => new(CollabErrorCode.Forbidden, message);
}
