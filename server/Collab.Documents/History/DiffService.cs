using System.Text;
using System.Text.Json;
using Collab.Crdt.Document;
using Collab.Crdt.History;
using Collab.Crdt.Structs;
using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>A run of a root in a diff.</summary>
/// <param name="Op"><c>equal</c>, <c>insert</c>, <c>delete</c> or <c>modify</c> (a map key set again, or a nested type changed inside).</param>
/// <param name="Length">Units (text: UTF-16 units; array: elements; XML: children; map: 1).</param>
/// <param name="Content">The run: text, a JSON array of elements, a JSON value (map) or markup.</param>
/// <param name="Key">For maps: the key.</param>
/// <param name="OldContent">For <c>modify</c>: the old content.</param>
/// <param name="InsertedBy">For insert, delete and modify: the event that inserted the content (for delete: the deleted content).</param>
/// <param name="DeletedBy">For delete and modify: the event that deleted (or overwrote) the old content, as the head's view has it.</param>
public sealed record DiffSegment(string Op, int Length, string Content, string? Key = null, string? OldContent = null, EventMark? InsertedBy = null, EventMark? DeletedBy = null);

/// <summary>How one root differs.</summary>
/// <param name="Name">The root.</param>
/// <param name="Kind">text, map, array or xml.</param>
/// <param name="Inserted">Units inserted (including the new side of modified entries).</param>
/// <param name="Deleted">Units deleted (including the old side of modified entries).</param>
/// <param name="Segments">The root in document order (map: key order).</param>
public sealed record RootDiff(string Name, string Kind, int Inserted, int Deleted, IReadOnlyList<DiffSegment> Segments);

/// <summary>A diff between two positions.</summary>
/// <param name="Base">The older position.</param>
/// <param name="Head">The newer position.</param>
/// <param name="Roots">Every root of either version, in name order.</param>
public sealed record DiffResult(PositionView Base, PositionView Head, IReadOnlyList<RootDiff> Roots);

/// <summary>
/// The CRDT-exact difference between two positions of one branch or of two branches: which items were inserted and
/// deleted, by whom and in which event. Items are compared by id, not by text, so moving text around or typing the same
/// word again shows as what it was. Owners and auditors.
/// </summary>
public sealed class DiffService(IEventStore store, DocumentCatalog catalog, HistoryIndex index)
{
    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>The diff from <paramref name="baseQuery"/> to <paramref name="headQuery"/>.</summary>
    public async Task<DiffResult> CompareAsync(string documentId, PositionQuery baseQuery, PositionQuery headQuery, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "compare versions of");
        using var lease = await index.OpenAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        var history = lease.History;
        var (baseRef, basePosition) = await HistoryPositions.ResolveAsync(history, _replayer, documentId, baseQuery, cancellationToken).ConfigureAwait(false);
        var (headRef, headPosition) = await HistoryPositions.ResolveAsync(history, _replayer, documentId, headQuery, cancellationToken).ConfigureAwait(false);
        // The two versions are built at the same time (each is a snapshot load and a replay of its own).
        var baseBuild = Task.Run(() => _replayer.BuildAsync(baseRef, new EventSeq(basePosition.Seq), gc: true, cancellationToken), cancellationToken);
        var headBuild = Task.Run(() => _replayer.BuildAsync(headRef, new EventSeq(headPosition.Seq), gc: true, cancellationToken), cancellationToken);
        await Task.WhenAll(baseBuild, headBuild).ConfigureAwait(false);
        var baseDoc = (await baseBuild.ConfigureAwait(false)).Doc;
        var headDoc = (await headBuild.ConfigureAwait(false)).Doc;

        var hints = HistoryPositions.Hints(history);
        var kinds = new SortedDictionary<string, RootKind>(StringComparer.Ordinal);
        foreach (var (name, kind) in DocumentRender.TypeRoots(baseDoc, hints)) kinds[name] = kind;
        foreach (var (name, kind) in DocumentRender.TypeRoots(headDoc, hints)) kinds[name] = kind; // the head's typing wins

        var compared = new List<(string Name, RootKind Kind, IReadOnlyList<ItemRun> Runs)>();
        foreach (var (name, kind) in kinds)
        {
            if (baseDoc.GetRoot(name) is { } b && headDoc.GetRoot(name) is { } h && b.GetType() != h.GetType()) continue; // typed differently: not comparable
            compared.Add((name, kind, ItemRuns.Diff(baseDoc, headDoc, name, kind)));
        }
        // The runs hold what attribution needs: the versions' items need not outlive them (see ReleaseStructs).
        baseDoc.ReleaseStructs();
        headDoc.ReleaseStructs();

        var roots = new List<RootDiff>();
        foreach (var (name, kind, runs) in compared) roots.Add(Attribute(history, name, kind, runs, headPosition));
        return new DiffResult(basePosition, headPosition, roots);
    }

    /// <summary>The diff as a unified text diff (one file section per changed root), as <c>diff -u</c> prints it.</summary>
    public async Task<string> UnifiedAsync(string documentId, PositionQuery baseQuery, PositionQuery headQuery, string user, CancellationToken cancellationToken)
    {
        var diff = await CompareAsync(documentId, baseQuery, headQuery, user, cancellationToken).ConfigureAwait(false);
        return UnifiedDiff.Format(diff);
    }

    private static RootDiff Attribute(DocumentHistory history, string name, RootKind kind, IReadOnlyList<ItemRun> runs, PositionView head)
    {
        var headBranch = new BranchName(head.Branch);
        var lookup = new DiffLookup(history, headBranch, head.Seq);
        var segments = new DiffSegmentBuilder(kind);
        int inserted = 0, deleted = 0;
        foreach (var run in runs)
        {
            switch (run.Change)
            {
                case RunChange.Unchanged:
                    segments.Add(DiffOp.Equal, run.Length, run.Content, run.Key);
                    break;
                case RunChange.Modified:
                    inserted += run.Length;
                    deleted += run.Length;
                    segments.Add(DiffOp.Modify, run.Length, run.Content, run.Key, run.OldContent,
                        history.InsertedBy(run.Id),
                        run.OldId is { } old ? history.DeletedBy(old, old.Clock + 1, headBranch, head.Seq).Event : null);
                    break;
                default:
                    {
                        bool isInsert = run.Change == RunChange.Inserted;
                        var op = isInsert ? DiffOp.Insert : DiffOp.Delete;
                        if (isInsert) inserted += run.Length;
                        else deleted += run.Length;
                        // Text is kept as slices of the run's string (no string per segment); other kinds by part.
                        bool plainText = kind == RootKind.Text && run.Content.Length == run.Length;
                        var parts = plainText ? default : Split(run.Content, run.Length, kind);
                        uint start = run.Id.Clock;
                        uint end = start + (uint)run.Length;
                        var originals = lookup.StartRun(run.Id.Client, out bool overlapping, out var deletions);
                        for (uint c = start; c < end;)
                        {
                            var (inserter, next) = lookup.Inserted(originals, overlapping, c, end);
                            EventInfo? deleter = null;
                            if (!isInsert)
                            {
                                var (e, deleteEnd) = lookup.DeletedBy(deletions, c, end);
                                deleter = e;
                                next = Math.Min(next, deleteEnd);
                            }
                            if (next <= c) next = c + 1;
                            if (plainText)
                            {
                                segments.AddText(op, run.Content, (int)(c - start), (int)(next - c), inserter, deleter);
                            }
                            else
                            {
                                var content = parts.Slice((int)(c - start), (int)(next - c));
                                segments.Add(op, (int)(next - c), content, run.Key, null, inserter, deleter);
                            }
                            c = next;
                        }
                        break;
                    }
            }
        }
        return new RootDiff(name, HistoryPositions.KindName(kind), inserted, deleted, segments.Build());
    }

    private static RunParts Split(string content, int length, RootKind kind) => new(content, length, kind);

    /// <summary>Slices of a run's content by unit: characters of text, elements of an array; other kinds are one piece.</summary>
    private readonly struct RunParts
    {
        private readonly string _content;
        private readonly int _length;
        private readonly RootKind _kind;
        private readonly List<string>? _elements;

        public RunParts(string content, int length, RootKind kind)
        {
            _content = content;
            _length = length;
            _kind = kind;
            if (kind == RootKind.Array && length > 1)
            {
                using var json = JsonDocument.Parse(content);
                _elements = json.RootElement.EnumerateArray().Select(static e => e.GetRawText()).ToList();
            }
        }

        public string Slice(int offset, int count)
        {
            if (offset == 0 && count == _length) return _content;
            if (_kind == RootKind.Text && _content.Length == _length) return _content.Substring(offset, count);
            if (_elements is not null && offset + count <= _elements.Count) return "[" + string.Join(",", _elements.GetRange(offset, count)) + "]";
            return _content;
        }
    }
}

/// <summary>Unified text diffs from CRDT diffs: changed lines are found from the item runs, not guessed by a line matcher.</summary>
internal static class UnifiedDiff
{
    private const int Context = 3;

    public static string Format(DiffResult diff)
    {
        var sb = new StringBuilder();
        var baseName = Name(diff.Base);
        var headName = Name(diff.Head);
        foreach (var root in diff.Roots)
        {
            if (root.Inserted == 0 && root.Deleted == 0) continue;
            var lines = root.Kind == "text" ? TextLines(root.Segments) : EntryLines(root);
            sb.Append("--- a/").Append(root.Name).Append('\t').Append(baseName).Append('\n');
            sb.Append("+++ b/").Append(root.Name).Append('\t').Append(headName).Append('\n');
            AppendHunks(sb, lines);
        }
        return sb.ToString();
    }

    private static string Name(PositionView p) => p.Version is { } v ? $"{p.Branch}@{p.Seq} (version {v})" : $"{p.Branch}@{p.Seq}";

    /// <summary>Lines of a text diff: a block between two unchanged line ends is unchanged, or old lines then new lines.</summary>
    private static List<(char Tag, string Text)> TextLines(IReadOnlyList<DiffSegment> segments)
    {
        var result = new List<(char, string)>();
        var oldLine = new StringBuilder();
        var newLine = new StringBuilder();
        bool changed = false;
        void Flush()
        {
            if (!changed)
            {
                if (oldLine.Length > 0) result.Add((' ', oldLine.ToString()));
            }
            else
            {
                if (oldLine.Length > 0) foreach (var l in SplitLines(oldLine.ToString())) result.Add(('-', l));
                if (newLine.Length > 0) foreach (var l in SplitLines(newLine.ToString())) result.Add(('+', l));
            }
            oldLine.Clear();
            newLine.Clear();
            changed = false;
        }
        void Take(DiffOp op, ReadOnlySpan<char> content)
        {
            switch (op)
            {
                case DiffOp.Equal:
                    foreach (var ch in content)
                    {
                        oldLine.Append(ch);
                        newLine.Append(ch);
                        if (ch == '\n') Flush();
                    }
                    break;
                case DiffOp.Delete:
                    oldLine.Append(content);
                    changed = true;
                    break;
                default:
                    newLine.Append(content);
                    changed = true;
                    break;
            }
        }
        if (segments is DiffSegmentList compact)
        {
            for (var i = 0; i < compact.Count; i++) Take(compact.OpAt(i), compact.ContentAt(i));
        }
        else
        {
            foreach (var s in segments) Take(s.Op switch { "equal" => DiffOp.Equal, "delete" => DiffOp.Delete, _ => DiffOp.Insert }, s.Content);
        }
        Flush();
        return result;
    }

    private static IEnumerable<string> SplitLines(string block)
    {
        var start = 0;
        for (var i = 0; i < block.Length; i++)
        {
            if (block[i] != '\n') continue;
            yield return block[start..(i + 1)];
            start = i + 1;
        }
        if (start < block.Length) yield return block[start..];
    }

    private static List<(char Tag, string Text)> EntryLines(RootDiff root)
    {
        var result = new List<(char, string)>();
        foreach (var s in root.Segments)
        {
            var prefix = s.Key is null ? "" : s.Key + ": ";
            switch (s.Op)
            {
                case "equal":
                    result.Add((' ', prefix + s.Content + "\n"));
                    break;
                case "insert":
                    result.Add(('+', prefix + s.Content + "\n"));
                    break;
                case "delete":
                    result.Add(('-', prefix + s.Content + "\n"));
                    break;
                default:
                    result.Add(('-', prefix + s.OldContent + "\n"));
                    result.Add(('+', prefix + s.Content + "\n"));
                    break;
            }
        }
        return result;
    }

    private static void AppendHunks(StringBuilder sb, List<(char Tag, string Text)> lines)
    {
        var i = 0;
        int oldNo = 1, newNo = 1; // line numbers of lines[i]
        while (i < lines.Count)
        {
            // next change
            var change = i;
            int oldAt = oldNo, newAt = newNo;
            while (change < lines.Count && lines[change].Tag == ' ')
            {
                change++;
                oldAt++;
                newAt++;
            }
            if (change == lines.Count) break;
            var start = Math.Max(i, change - Context);
            int hunkOld = oldAt - (change - start), hunkNew = newAt - (change - start);
            // extend while the next change is within 2 * Context unchanged lines
            var end = change;
            var quiet = 0; // unchanged lines in [.., end) since the last change
            while (end < lines.Count)
            {
                if (lines[end].Tag != ' ') quiet = 0;
                else if (quiet == 2 * Context) break;
                else quiet++;
                end++;
            }
            end -= Math.Max(0, quiet - Context); // keep Context unchanged lines after the last change
            int oldCount = 0, newCount = 0;
            for (var k = start; k < end; k++)
            {
                if (lines[k].Tag != '+') oldCount++;
                if (lines[k].Tag != '-') newCount++;
            }
            sb.Append("@@ -").Append(oldCount == 0 ? hunkOld - 1 : hunkOld).Append(',').Append(oldCount)
              .Append(" +").Append(newCount == 0 ? hunkNew - 1 : hunkNew).Append(',').Append(newCount).Append(" @@\n");
            for (var k = start; k < end; k++)
            {
                var (tag, text) = lines[k];
                sb.Append(tag).Append(text);
                if (!text.EndsWith('\n')) sb.Append("\n\\ No newline at end of file\n");
            }
            // move past the hunk, counting line numbers
            for (var k = i; k < end; k++)
            {
                if (lines[k].Tag != '+') oldNo++;
                if (lines[k].Tag != '-') newNo++;
            }
            i = end;
        }
    }
}
