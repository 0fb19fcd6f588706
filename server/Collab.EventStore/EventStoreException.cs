namespace Collab.EventStore;

/// <summary>Why an event-store operation was refused. Stable: callers map these to API errors.</summary>
public enum EventStoreError
{
    /// <summary>A document id, branch name or event kind breaks <see cref="NameRules"/>.</summary>
    InvalidName,

    /// <summary>An argument is out of range or malformed (empty payload, negative seq, too many events…).</summary>
    InvalidArgument,

    /// <summary>A payload or snapshot is larger than the configured limit.</summary>
    PayloadTooLarge,

    /// <summary>The document does not exist.</summary>
    DocumentNotFound,

    /// <summary>A document with this id exists already.</summary>
    DocumentAlreadyExists,

    /// <summary>The branch does not exist.</summary>
    BranchNotFound,

    /// <summary>A branch with this name exists already in the document.</summary>
    BranchAlreadyExists,

    /// <summary>The branch head is not the seq the caller expected (optimistic concurrency).</summary>
    ExpectedSeqMismatch,

    /// <summary>A client update id was used before for different content.</summary>
    IdempotencyConflict,

    /// <summary>A seq lies beyond the branch head (fork, snapshot or digest position).</summary>
    SeqBeyondHead,

    /// <summary>A merge or resolution record refers to something that does not exist or does not fit.</summary>
    InvalidRecord,

    /// <summary>The store is closed or failed and accepts no more writes.</summary>
    StoreUnavailable,
}

/// <summary>An event-store operation was refused; <see cref="Error"/> says why. Nothing was written.</summary>
public sealed class EventStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventStoreException(EventStoreError error, string message)
        : base(message) => Error = error;

    /// <summary>Creates the exception with an inner cause.</summary>
    public EventStoreException(EventStoreError error, string message, Exception innerException)
        : base(message, innerException) => Error = error;

    /// <summary>Creates an exception with <see cref="EventStoreError.InvalidArgument"/>.</summary>
    public EventStoreException()
        : this(EventStoreError.InvalidArgument, "Invalid event-store request.")
    {
    }

    /// <summary>Creates an exception with <see cref="EventStoreError.InvalidArgument"/>.</summary>
    public EventStoreException(string message)
        : this(EventStoreError.InvalidArgument, message)
    {
    }

    /// <summary>Creates an exception with <see cref="EventStoreError.InvalidArgument"/>.</summary>
    public EventStoreException(string message, Exception innerException)
        : this(EventStoreError.InvalidArgument, message, innerException)
    {
    }

    /// <summary>Why the operation was refused.</summary>
    public EventStoreError Error { get; }
}
