using System.Globalization;
using Collab.Crdt.History;
using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.History;

/// <summary>
/// A position of a document's history as a request names it: a branch with a seq, a time (the last event at or before
/// it) or neither (its head), or a named version.
/// </summary>
/// <param name="Branch">The branch (default <c>main</c>; for a version, the branch the version names unless given).</param>
/// <param name="Seq">A seq of the branch's view (0 = empty).</param>
/// <param name="At">A time: the position is the last event at or before it.</param>
/// <param name="Version">A named version (see <see cref="VersionService"/>).</param>
public sealed record PositionQuery(string? Branch = null, long? Seq = null, DateTimeOffset? At = null, string? Version = null)
{
    /// <summary>
    /// Parses the compact form used by <c>compare</c>: <c>branch</c> (its head), <c>branch@seq</c>,
    /// <c>branch@2026-12-07T10:00:00Z</c> (a time), or <c>version:NAME</c>. Branch names never contain '@'.
    /// </summary>
    public static PositionQuery Parse(string? text, string what)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new CollabException(CollabErrorCode.Invalid, $"'{what}' needs a position: branch, branch@seq, branch@time or version:NAME.");
        text = text.Trim();
        if (text.StartsWith("version:", StringComparison.Ordinal)) return new PositionQuery(Version: text["version:".Length..]);
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0) return new PositionQuery(text);
        var branch = text[..at];
        var rest = text[(at + 1)..];
        if (long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var seq)) return new PositionQuery(branch, seq);
        if (DateTimeOffset.TryParse(rest, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return new PositionQuery(branch, At: time);
        throw new CollabException(CollabErrorCode.Invalid, $"'{what}': '{rest}' is neither a seq nor a time (use branch@12 or branch@2026-12-07T10:00:00Z).");
    }
}

/// <summary>A resolved position.</summary>
/// <param name="Branch">The branch.</param>
/// <param name="Seq">The seq of its view.</param>
/// <param name="HeadSeq">The branch's head when the request was served.</param>
/// <param name="Version">The named version it came from, if any.</param>
public sealed record PositionView(string Branch, long Seq, long HeadSeq, string? Version);

/// <summary>The event that did something to an item, as history views show it.</summary>
/// <param name="Branch">The branch the event was written on (after a merge: the source branch).</param>
/// <param name="Seq">Its seq there.</param>
/// <param name="Author">Who wrote it.</param>
/// <param name="Time">When the server stored it.</param>
/// <param name="Kind">Its kind (update, merge, revert, restore…).</param>
public sealed record EventMark(string Branch, long Seq, string Author, DateTimeOffset Time, string Kind)
{
    internal static EventMark? Of(EventInfo? e) => e?.Mark;
}

/// <summary>Resolves positions against a document's indexed history (shared by the history services).</summary>
internal static class HistoryPositions
{
    public static string KindName(RootKind kind) => kind switch
    {
        RootKind.Text => "text",
        RootKind.Map => "map",
        RootKind.Array => "array",
        _ => "xml",
    };

    /// <summary>The branch and seq <paramref name="query"/> names; refuses unknown branches or versions and seqs outside the branch.</summary>
    public static async Task<(BranchRef Branch, PositionView View)> ResolveAsync(
        DocumentHistory history, DocumentReplayer replayer, string documentId, PositionQuery query, CancellationToken cancellationToken)
    {
        string branchName;
        long? seq = query.Seq;
        var at = query.At;
        string? version = null;
        if (!string.IsNullOrEmpty(query.Version))
        {
            var entry = history.Versions.Find(v => v.Name == query.Version)
                ?? throw CollabException.NotFound($"Document '{documentId}' has no version named '{query.Version}'.");
            version = entry.Name;
            branchName = entry.Branch.Value;
            seq = entry.Seq;
            at = null;
            if (query.Branch is { } other && other != branchName)
            {
                throw new CollabException(CollabErrorCode.Invalid, $"Version '{entry.Name}' is a position of branch '{branchName}', not '{other}'.");
            }
        }
        else
        {
            branchName = string.IsNullOrEmpty(query.Branch) ? "main" : query.Branch;
        }
        var branch = DocumentCatalog.ParseBranch(documentId, branchName);
        if (!history.Branches.TryGetValue(branch.Branch, out var log))
        {
            throw CollabException.NotFound($"Branch '{branchName}' of document '{documentId}' does not exist.");
        }
        if (seq is not null && at is not null) throw new CollabException(CollabErrorCode.Invalid, "Give either 'seq' or 'at', not both.");
        if (at is { } time)
        {
            seq = Math.Min(log.Head, (await replayer.SeqAtTimeAsync(branch, time, cancellationToken).ConfigureAwait(false)).Value);
        }
        var resolved = seq ?? log.Head;
        if (resolved < 0 || resolved > log.Head)
        {
            throw new CollabException(CollabErrorCode.Invalid, $"Seq {resolved} is outside branch '{branchName}' (its head is {log.Head}).");
        }
        return (branch, new PositionView(branchName, resolved, log.Head, version));
    }

    /// <summary>Root kinds as the history says (for roots a version holds nothing of).</summary>
    public static Dictionary<string, RootKind> Hints(DocumentHistory history) => new(history.RootKinds, StringComparer.Ordinal);
}
