using Collab.Crdt.History;
using Collab.Crdt.Structs;
using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>A range of a root and the event that inserted it.</summary>
/// <param name="Start">Where it starts: UTF-16 offset in a text, element index in an array, child index in XML, key index (in key order) in a map.</param>
/// <param name="Length">How many units.</param>
/// <param name="Content">The range (text, JSON array of elements, markup, or the map value as JSON).</param>
/// <param name="InsertedBy">The event that first inserted it; after a merge, the event on the source branch. Null when the log does not say (should not happen).</param>
/// <param name="Key">For maps: the key.</param>
public sealed record BlameRange(int Start, int Length, string Content, EventMark? InsertedBy, string? Key = null);

/// <summary>Blame of one root.</summary>
/// <param name="Name">The root.</param>
/// <param name="Kind">text, map, array or xml.</param>
/// <param name="Ranges">The root's content in order, cut where the inserting event changes.</param>
public sealed record RootBlame(string Name, string Kind, IReadOnlyList<BlameRange> Ranges);

/// <summary>How much of a version each author wrote.</summary>
/// <param name="Author">The author.</param>
/// <param name="Units">Units of content they inserted that the version shows.</param>
public sealed record AuthorShare(string Author, int Units);

/// <summary>Blame of a version.</summary>
/// <param name="Position">The version.</param>
/// <param name="Roots">The roots asked for.</param>
/// <param name="Authors">Who wrote how much, most first.</param>
public sealed record BlameResult(PositionView Position, IReadOnlyList<RootBlame> Roots, IReadOnlyList<AuthorShare> Authors);

/// <summary>
/// Who wrote what: for each range of a text (and each map entry, array element, XML child) of a version, the event that
/// inserted it, found from the item ids through <see cref="HistoryIndex"/>. Owners and auditors.
/// </summary>
public sealed class BlameService(IEventStore store, DocumentCatalog catalog, HistoryIndex index)
{
    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>Blame of the version <paramref name="query"/> names; every root, or only <paramref name="root"/>.</summary>
    public async Task<BlameResult> BlameAsync(string documentId, PositionQuery query, string? root, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "read the history of");
        using var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        var history = lease.History;
        var (branch, position) = await HistoryPositions.ResolveAsync(history, _replayer, documentId, query, cancellationToken).ConfigureAwait(false);
        var doc = (await _replayer.BuildAsync(branch, new EventSeq(position.Seq), gc: true, cancellationToken).ConfigureAwait(false)).Doc;
        var roots = DocumentRender.TypeRoots(doc, HistoryPositions.Hints(history));
        if (root is not null)
        {
            roots = roots.Where(r => r.Name == root).ToList();
            if (roots.Count == 0) throw CollabException.NotFound($"The version has no root named '{root}'.");
        }

        var shares = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<RootBlame>();
        foreach (var (name, kind) in roots)
        {
            var ranges = new List<BlameRange>();
            var position0 = 0;
            foreach (var run in ItemRuns.Visible(doc, name, kind))
            {
                uint start = run.Id.Clock;
                uint end = start + (uint)run.Length;
                var text = kind == RootKind.Text && run.Content.Length == run.Length ? run.Content : null;
                List<string>? elements = null;
                if (kind == RootKind.Array && run.Length > 1)
                {
                    using var json = System.Text.Json.JsonDocument.Parse(run.Content);
                    elements = json.RootElement.EnumerateArray().Select(static e => e.GetRawText()).ToList();
                }
                for (uint c = start; c < end;)
                {
                    var id = new ItemId(run.Id.Client, c);
                    var (by, runEnd) = history.Inserted(id, end);
                    var next = text is null && elements is null ? end : Math.Max(c + 1, runEnd);
                    var length = (int)(next - c);
                    var offset = (int)(c - start);
                    var content = text is not null ? text.Substring(offset, length)
                        : elements is not null && offset + length <= elements.Count ? "[" + string.Join(",", elements.GetRange(offset, length)) + "]"
                        : run.Content;
                    var mark = EventMark.Of(by);
                    if (kind == RootKind.Text && ranges.Count > 0 && ranges[^1].InsertedBy == mark)
                    {
                        var last = ranges[^1];
                        ranges[^1] = last with { Length = last.Length + length, Content = last.Content + content };
                    }
                    else
                    {
                        ranges.Add(new BlameRange(position0, kind == RootKind.Map ? 1 : length, content, mark, run.Key));
                    }
                    if (by is not null) shares[by.Author] = shares.GetValueOrDefault(by.Author) + length;
                    position0 += kind == RootKind.Map ? 1 : length;
                    c = next;
                }
            }
            result.Add(new RootBlame(name, HistoryPositions.KindName(kind), ranges));
        }
        doc.ReleaseStructs(); // read: its items need not outlive the request (see ReleaseStructs)
        var authors = shares.OrderByDescending(static kv => kv.Value).ThenBy(static kv => kv.Key, StringComparer.Ordinal).Select(static kv => new AuthorShare(kv.Key, kv.Value)).ToList();
        return new BlameResult(position, result, authors);
    }
}
