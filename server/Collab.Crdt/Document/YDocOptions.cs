namespace Collab.Crdt.Document;

/// <summary>Options of a <see cref="YDoc"/> (yjs DocOpts).</summary>
public sealed class YDocOptions
{
    /// <summary>Client id; random uint32 when not given.</summary>
    public uint? ClientId { get; set; }

    /// <summary>Garbage-collect deleted content (default true). Turn off to render snapshots of old versions.</summary>
    public bool Gc { get; set; } = true;

    /// <summary>Document guid (random UUID when not given); identifies subdocuments.</summary>
    public string? Guid { get; set; }

    /// <summary>Collection id of subdocuments.</summary>
    public string? CollectionId { get; set; }

    /// <summary>Metadata kept on subdocuments (written to ContentDoc options when set).</summary>
    public object? Meta { get; set; }

    /// <summary>Whether a subdocument loads automatically.</summary>
    public bool AutoLoad { get; set; }

    /// <summary>Whether a subdocument should be loaded (default true).</summary>
    public bool ShouldLoad { get; set; } = true;
}
