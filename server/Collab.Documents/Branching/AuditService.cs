using System.Text;
using System.Text.Json;
using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>A page of the audit trail.</summary>
/// <param name="Entries">The entries, in order.</param>
/// <param name="Next">The cursor to pass as <c>after</c> for the entries that follow (also when there are none yet: new ones appear there).</param>
/// <param name="HasMore">Whether more entries were already waiting.</param>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string Next, bool HasMore);

/// <summary>
/// The audit trail of a document (owners and auditors): every branch creation and every event whose kind is not
/// <c>update</c> (merges with their conflicts, resolutions, reverts, proposal, protection and settings records), each with
/// who, when, branch, seq and the event hash that proves it.
/// </summary>
/// <remarks>
/// Order: branches are interleaved by time (then branch name, then seq), each branch always in seq order. The cursor
/// says, per branch, the last position delivered, so paging never skips or repeats an entry, even when entries arrive
/// with clocks out of step between branches (they then come on the next page).
/// </remarks>
public sealed class AuditService(DocumentCatalog catalog, DocumentRecords records)
{
    /// <summary>The most entries one page returns.</summary>
    public const int MaxPage = 1000;

    /// <summary>The entries after <paramref name="after"/> (a cursor from an earlier page; null from the start).</summary>
    public async Task<AuditPage> ReadAsync(string documentId, string? after, int? limit, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "read the audit trail of");
        var max = limit ?? 100;
        if (max is < 1 or > MaxPage) throw new CollabException(CollabErrorCode.Invalid, $"limit must be 1–{MaxPage} (got {max}).");
        var cursor = Decode(after);
        return await records.ReadAsync(new DocumentId(documentId), state =>
        {
            // Per branch, the index of the first entry not yet delivered.
            var heads = new List<(string Branch, List<AuditEntry> Entries, int Next)>();
            foreach (var (name, log) in state.Branches)
            {
                var delivered = cursor.GetValueOrDefault(name, -1);
                var next = log.Entries.FindIndex(e => e.Seq > delivered);
                if (next >= 0) heads.Add((name, log.Entries, next));
            }
            var page = new List<AuditEntry>(Math.Min(max, 64));
            while (page.Count < max)
            {
                var best = -1;
                for (var i = 0; i < heads.Count; i++)
                {
                    if (heads[i].Next >= heads[i].Entries.Count) continue;
                    if (best < 0 || Before(heads[i].Entries[heads[i].Next], heads[best].Entries[heads[best].Next])) best = i;
                }
                if (best < 0) break;
                var (branch, entries, index) = heads[best];
                var entry = entries[index];
                page.Add(entry);
                cursor[branch] = entry.Seq;
                heads[best] = (branch, entries, index + 1);
            }
            var hasMore = heads.Exists(h => h.Next < h.Entries.Count);
            return new AuditPage(page, Encode(cursor), hasMore);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static bool Before(AuditEntry a, AuditEntry b)
    {
        if (a.At != b.At) return a.At < b.At;
        var byBranch = string.CompareOrdinal(a.Branch, b.Branch);
        return byBranch != 0 ? byBranch < 0 : a.Seq < b.Seq;
    }

    /// <summary>The cursor is base64url of a JSON object {branch: last delivered position}.</summary>
    private static string Encode(Dictionary<string, long> cursor)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(cursor);
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static Dictionary<string, long> Decode(string? after)
    {
        if (string.IsNullOrEmpty(after)) return new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            var base64 = after.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var parsed = JsonSerializer.Deserialize<Dictionary<string, long>>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            return parsed is null ? new(StringComparer.Ordinal) : new Dictionary<string, long>(parsed, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            throw new CollabException(CollabErrorCode.Invalid, "'after' is not a cursor this server gave out: pass the 'next' of an earlier page.");
        }
    }
}
