namespace Collab.Crdt;

/// <summary>
/// The one exception type the engine throws for malformed, truncated or hostile input (updates, state vectors,
/// encoded relative positions, JSON content). <see cref="Offset"/> is the byte offset at which decoding failed.
/// When thrown from <c>YDoc.ApplyUpdate</c> the document is left unchanged.
/// </summary>
public sealed class YjsFormatException : Exception
{
    /// <summary>Creates the exception for a failure at <paramref name="offset"/>.</summary>
    public YjsFormatException(string message, long offset)
        : base($"{message} (at byte offset {offset})")
    {
        Offset = offset;
    }

    /// <summary>Creates the exception without a known offset (reported as -1).</summary>
    public YjsFormatException()
        : this("Malformed yjs input", -1)
    {
    }

    /// <summary>Creates the exception without a known offset (reported as -1).</summary>
    public YjsFormatException(string message)
        : this(message, -1)
    {
    }

    /// <summary>Creates the exception wrapping another one.</summary>
    public YjsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Offset = -1;
    }

    /// <summary>Byte offset in the input at which it went wrong (-1 if unknown).</summary>
    public long Offset { get; }
}
