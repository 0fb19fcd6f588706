using System.Text.Json;
using Collab.Crdt.History;
using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>One root of a version as a person reads it.</summary>
/// <param name="Name">The root's name.</param>
/// <param name="Kind"><c>text</c>, <c>map</c>, <c>array</c> or <c>xml</c>.</param>
/// <param name="Text">Text: the plain text.</param>
/// <param name="Delta">Text: the delta with formats (<c>[{"insert": "..", "attributes": {..}}]</c>).</param>
/// <param name="Value">Map and array: the value.</param>
/// <param name="Xml">XML: the children as markup.</param>
public sealed record RootContent(string Name, string Kind, string? Text, JsonElement? Delta, JsonElement? Value, string? Xml);

/// <summary>A version of a branch, every root rendered.</summary>
/// <param name="Position">Where it is.</param>
/// <param name="Roots">Its roots in name order.</param>
/// <param name="SnapshotSeq">The snapshot the build started from (0: none).</param>
/// <param name="Replayed">Events applied after the snapshot.</param>
public sealed record VersionContent(PositionView Position, IReadOnlyList<RootContent> Roots, long SnapshotSeq, int Replayed);

/// <summary>
/// Any version of a branch: the content at a seq, a time or a named version, built by <see cref="DocumentReplayer"/>
/// from the nearest snapshot and the events after it, so that its cost does not grow with the length of the history.
/// Any role that can read the document may read it.
/// </summary>
public sealed class ContentService(IEventStore store, DocumentCatalog catalog, HistoryIndex index)
{
    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>The version <paramref name="query"/> names, every root rendered.</summary>
    public async Task<VersionContent> GetAsync(string documentId, PositionQuery query, string user, CancellationToken cancellationToken)
    {
        var (built, position, hints) = await BuildAsync(documentId, query, user, cancellationToken).ConfigureAwait(false);
        var roots = new List<RootContent>();
        foreach (var (name, kind) in DocumentRender.TypeRoots(built.Doc, hints))
        {
            if (kind == RootKind.Text && built.Doc.GetRoot(name) is Collab.Crdt.Types.YText text && DocumentRender.IsPlain(text))
            {
                // The common case: the delta written straight from the text (what RenderAll's delta parses to).
                var plain = text.ToString();
                roots.Add(new RootContent(name, HistoryPositions.KindName(kind), plain, PlainTextDelta.Element(plain), null, null));
                continue;
            }
            var root = DocumentRender.Render(built.Doc, name, kind);
            roots.Add(new RootContent(
                root.Name,
                HistoryPositions.KindName(root.Kind),
                root.Text,
                root.DeltaJson is { } delta ? Parse(delta) : null,
                root.Json is { } json ? Parse(json) : null,
                root.Xml));
        }
        built.Doc.ReleaseStructs(); // rendered: its items need not outlive the request (see ReleaseStructs)
        return new VersionContent(position, roots, built.SnapshotSeq.Value, built.Replayed);
    }

    /// <summary>The version <paramref name="query"/> names as one Yjs v1 update (what a client loads with applyUpdate).</summary>
    public async Task<(PositionView Position, byte[] Update)> GetUpdateAsync(string documentId, PositionQuery query, string user, CancellationToken cancellationToken)
    {
        var (built, position, _) = await BuildAsync(documentId, query, user, cancellationToken).ConfigureAwait(false);
        var update = built.Doc.EncodeStateAsUpdate();
        built.Doc.ReleaseStructs();
        return (position, update);
    }

    /// <summary>
    /// The text of one root of the version (plain text, JSON or markup by kind); without <paramref name="root"/>, the
    /// only root, else the one named <c>text</c>.
    /// </summary>
    public async Task<(PositionView Position, string Text)> GetTextAsync(string documentId, PositionQuery query, string? root, string user, CancellationToken cancellationToken)
    {
        // Only the root asked for is rendered (no delta, no JSON parsed back): the text a GetAsync root would hold.
        var (built, position, hints) = await BuildAsync(documentId, query, user, cancellationToken).ConfigureAwait(false);
        var roots = DocumentRender.TypeRoots(built.Doc, hints);
        root ??= roots.Count == 1 ? roots[0].Name : "text";
        var (name, kind) = roots.FirstOrDefault(r => r.Name == root);
        if (name is null) throw CollabException.NotFound($"The version has no root named '{root}'.");
        var rendered = kind == RootKind.Text
            ? new RenderedRoot(name, kind, ((Collab.Crdt.Types.YText)built.Doc.GetRoot(name)!).ToString(), null, null, null)
            : DocumentRender.Render(built.Doc, name, kind);
        built.Doc.ReleaseStructs();
        return (position, rendered.Text ?? rendered.Xml ?? rendered.Json ?? "");
    }

    private async Task<(ReplayedDocument Built, PositionView Position, Dictionary<string, RootKind> Hints)> BuildAsync(
        string documentId, PositionQuery query, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read");
        BranchRef branch;
        PositionView position;
        Dictionary<string, RootKind> hints;
        using (var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false))
        {
            (branch, position) = await HistoryPositions.ResolveAsync(lease.History, _replayer, documentId, query, cancellationToken).ConfigureAwait(false);
            hints = HistoryPositions.Hints(lease.History);
        }
        var built = await _replayer.BuildAsync(branch, new EventSeq(position.Seq), gc: true, cancellationToken).ConfigureAwait(false);
        return (built, position, hints);
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
