using System.Globalization;
using System.Text.Json;
using Collab.Crdt;
using Collab.Crdt.Document;
using Collab.Crdt.Merging;
using Collab.Documents.Access;
using Collab.Documents.History;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Microsoft.Extensions.Options;

namespace Collab.Documents.Branching;

/// <summary>
/// Merge previews, merges and merge records. Both branches are rebuilt from the log without garbage collection (the
/// analysis needs deleted content), analysed by <see cref="MergeAnalyzer"/>, and a merge is written as one
/// <c>merge</c> event through the target's live session, so the target's clients receive it at once as an ordinary
/// update and typing on the target waits for at most one group commit.
/// </summary>
/// <remarks>
/// With <see cref="DocumentRecords"/> (the server registers it) merges honour the document's rules: a protected target
/// refuses direct merges (only <see cref="ProposalService"/> merges an approved proposal into it), and editors may merge
/// into unprotected branches when the document's <c>editorsMayMerge</c> setting says so.
/// </remarks>
public sealed class MergeService(IEventStore store, DocumentCatalog catalog, SessionManager sessions, IOptions<MergeOptions> options, DocumentRecords? records = null)
{
    /// <summary>Property names in the merge record.</summary>
    public static class Keys
    {
        public const string AnalysisId = "analysisId";
        public const string Message = "message";
        public const string Actor = "actor";
        public const string Strictness = "strictness";
        public const string AnalysedTargetSeq = "analysedTargetSeq";
        public const string AnalysedTargetHash = "analysedTargetHash";
        public const string HeadNotChecked = "targetHeadNotChecked";
        public const string BaseStateVector = "baseStateVector";
    }

    private const int MaxMessageLength = 2000;
    private readonly DocumentReplayer _replayer = new(store);

    /// <summary>Previews (dry run: any role) or performs (owners) a merge of <c>source</c> into <c>target</c>.</summary>
    public Task<MergeResult> MergeAsync(string documentId, MergeRequest request, string user, CancellationToken cancellationToken) =>
        MergeCoreAsync(documentId, request, user, null, null, cancellationToken);

    /// <summary>
    /// Merges a proposal's source, taken at <paramref name="sourceSeq"/>, into its target (the caller checked the
    /// proposal's rules, a protected target's included); the merge record names the proposal.
    /// </summary>
    internal Task<MergeResult> MergeForProposalAsync(string documentId, MergeRequest request, string user, string proposalId, long sourceSeq, CancellationToken cancellationToken) =>
        MergeCoreAsync(documentId, request, user, proposalId, sourceSeq, cancellationToken);

    private async Task<MergeResult> MergeCoreAsync(string documentId, MergeRequest request, string user, string? proposalId, long? sourceSeq, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.DryRun) catalog.Authorize(documentId, user, DocumentRoles.CanRead, "preview merges of");
        else if (records is null) catalog.Authorize(documentId, user, DocumentRoles.CanMerge, "merge branches of");
        else
        {
            var role = catalog.Authorize(documentId, user, DocumentRoles.CanWrite, "merge branches of");
            if (!role.CanMerge() && !await records.EditorsMayMergeAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false))
            {
                throw CollabException.Forbidden($"Your role ({role.ToWire()}) may not merge branches of document '{documentId}' (an owner can let editors merge into unprotected branches: PUT /api/documents/{documentId}/settings {{\"editorsMayMerge\": true}}).");
            }
        }
        if (string.IsNullOrWhiteSpace(request.Source) || string.IsNullOrWhiteSpace(request.Target))
        {
            throw new CollabException(CollabErrorCode.Invalid, "A merge needs a 'source' and a 'target' branch.");
        }
        if (request.Message is { Length: > MaxMessageLength }) throw new CollabException(CollabErrorCode.Invalid, $"A merge message must be at most {MaxMessageLength} characters.");
        var strictness = ParseStrictness(request.Strictness);
        var sourceRef = DocumentCatalog.ParseBranch(documentId, request.Source);
        var targetRef = DocumentCatalog.ParseBranch(documentId, request.Target);
        if (sourceRef == targetRef) throw new CollabException(CollabErrorCode.Invalid, "A branch cannot be merged into itself.");
        if (!request.DryRun && proposalId is null && records is not null && await records.IsProtectedAsync(targetRef, cancellationToken).ConfigureAwait(false))
        {
            throw new CollabException(CollabErrorCode.BranchProtected, $"Branch '{targetRef.Branch}' is protected: direct merges are refused; merge an approved proposal (POST /api/documents/{documentId}/proposals).");
        }

        var sourceInfo = await GetBranchAsync(sourceRef, cancellationToken).ConfigureAwait(false);
        // A proposal merges the source exactly as far as its rules were checked.
        if (sourceSeq is { } pinned && pinned < sourceInfo.Head.Value)
        {
            var digest = await store.GetDigestAsync(sourceRef, new EventSeq(pinned), cancellationToken).ConfigureAwait(false);
            sourceInfo = sourceInfo with { Head = digest.Seq, HeadHash = digest.Hash };
        }
        var targetInfo = await GetBranchAsync(targetRef, cancellationToken).ConfigureAwait(false);
        var baseDigest = await BaseDigestAsync(sourceInfo, targetInfo, cancellationToken).ConfigureAwait(false);
        var source = (await _replayer.BuildAsync(sourceRef, sourceInfo.Head, gc: false, cancellationToken).ConfigureAwait(false)).Doc;
        var sourceDigest = sourceInfo.HeadDigest;
        var built = await _replayer.BuildAsync(targetRef, null, gc: false, cancellationToken).ConfigureAwait(false);
        var target = built.Doc;
        var targetDigest = built.Branch.HeadDigest;

        var maxAttempts = options.Value.MaxAttempts;
        // Conflict ids depend on the branches and on what each conflict is, not on the heads: a preview's ids stay valid
        // while either branch moves elsewhere (records, edits in other places), and change when a region is edited.
        var scope = $"{targetRef.Branch}<-{sourceRef.Branch}";
        for (var attempt = 1; ; attempt++)
        {
            var analysisId = $"{targetRef.Branch}@{targetDigest.Seq}<-{sourceRef.Branch}@{sourceDigest.Seq}";
            var analysis = MergeAnalyzer.Analyze(target, source, scope, strictness);
            var conflicts = analysis.Conflicts.Select(ToView).ToList();
            var nothing = !BringsAnything(target, analysis.Update);
            if (request.DryRun || nothing)
            {
                return Result(null, request.DryRun, nothing, null, attempt, false);
            }

            if (request.Resolutions is { Count: > 0 } decided)
            {
                // Decisions name the preview's conflicts: if this analysis found others, they would decide the wrong thing.
                var found = analysis.Conflicts.Select(static c => c.Id).ToHashSet(StringComparer.Ordinal);
                var unknown = decided.Select(static d => d.ConflictId ?? "").Where(id => !found.Contains(id)).ToList();
                if (unknown.Count > 0)
                {
                    throw new CollabException(CollabErrorCode.Conflict,
                        $"Conflict{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(static id => $"'{id}'"))} changed since the preview or never existed: " +
                        $"the merge now finds {(found.Count == 0 ? "none" : string.Join(", ", found))}. " +
                        "A region with a conflict was edited on either branch, or the id is wrong: preview again and decide on what it shows. Nothing was written.");
                }
            }

            var forced = attempt >= maxAttempts;
            var properties = new Dictionary<string, string>
            {
                [Keys.AnalysisId] = analysisId,
                [Keys.Actor] = user,
                [Keys.Strictness] = StrictnessName(strictness),
                [Keys.AnalysedTargetSeq] = targetDigest.Seq.ToString(),
                [Keys.AnalysedTargetHash] = targetDigest.Hash.ToString(),
                [Keys.BaseStateVector] = Convert.ToBase64String(analysis.BaseStateVector),
            };
            if (request.Message is { Length: > 0 } message) properties[Keys.Message] = message;
            if (proposalId is not null) properties[PolicyRecords.ProposalProperty] = proposalId;
            // The last attempt is written whatever the head: the record says so (and keeps the analysed head).
            if (forced) properties[Keys.HeadNotChecked] = "true";
            var draft = new MergeRecordDraft(sourceDigest, baseDigest, analysis.Conflicts.Select(ToRecord).ToList()) { Properties = properties };
            var domainEvent = new DomainEvent(EventKind.Merge, analysis.Update, user)
            {
                Merge = draft,
                ExpectedHead = forced ? null : targetDigest.Seq.Value,
            };
            try
            {
                var written = await sessions.WriteDomainEventAsync(targetRef, domainEvent, cancellationToken).ConfigureAwait(false);
                var movedAnyway = forced && written.HeadBefore != targetDigest.Seq.Value;
                if (written.Seq is not { } seq) return Result(null, false, true, null, attempt, movedAnyway);
                return Result($"{targetRef.Branch}@{seq}", false, false, seq, attempt, movedAnyway);
            }
            catch (BranchMovedException)
            {
                // The target moved while we analysed: catch the analysis document up with what was stored, and redo it.
                var (head, _) = await sessions.SettleAsync(targetRef, cancellationToken).ConfigureAwait(false);
                await foreach (var stored in store.ReadAsync(targetRef, targetDigest.Seq.Next, new EventSeq(head), cancellationToken).ConfigureAwait(false))
                {
                    target.ApplyUpdate(stored.Payload.ToArray());
                }
                targetDigest = await store.GetDigestAsync(targetRef, new EventSeq(head), cancellationToken).ConfigureAwait(false);
            }

            MergeResult Result(string? mergeId, bool dryRun, bool nothingToMerge, long? seq, int attempts, bool moved) => new(
                mergeId,
                dryRun,
                nothingToMerge,
                seq,
                Position(sourceDigest),
                Position(targetDigest),
                Position(baseDigest),
                attempts,
                moved,
                conflicts,
                analysis.MergedJson);
        }
    }

    /// <summary>Every merge recorded in the document, oldest first (any role).</summary>
    public async Task<IReadOnlyList<MergeRecordView>> ListAsync(string documentId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read merges of");
        var result = new List<MergeRecordView>();
        foreach (var branch in await store.ListBranchesAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false))
        {
            foreach (var record in await store.ListMergeRecordsAsync(branch.Ref, cancellationToken).ConfigureAwait(false))
            {
                // A branch's view lists its ancestors' merges too: each merge once, under the branch it was written to.
                if (record.Event.Branch != branch.Ref) continue;
                result.Add(await ViewAsync(record, cancellationToken).ConfigureAwait(false));
            }
        }
        result.Sort((a, b) => a.RecordedAt != b.RecordedAt ? a.RecordedAt.CompareTo(b.RecordedAt) : string.CompareOrdinal(a.Id, b.Id));
        return result;
    }

    /// <summary>One merge record with its conflicts and decisions (any role). <paramref name="mergeId"/> is <c>branch@seq</c>.</summary>
    public async Task<MergeRecordView> GetAsync(string documentId, string mergeId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanRead, "read merges of");
        var record = await store.GetMergeRecordAsync(ParseMergeId(documentId, mergeId), cancellationToken).ConfigureAwait(false)
            ?? throw CollabException.NotFound($"There is no merge {mergeId} in document '{documentId}'.");
        return await ViewAsync(record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The merge event a merge id (<c>branch@seq</c>) names; invalid when it is not of that form.</summary>
    internal static EventRef ParseMergeId(string documentId, string? mergeId)
    {
        mergeId ??= "";
        var at = mergeId.LastIndexOf('@');
        if (at <= 0 || !long.TryParse(mergeId.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            throw new CollabException(CollabErrorCode.Invalid, $"A merge id is 'branch@seq' (e.g. main@42), not '{mergeId}'.");
        }
        return new EventRef(DocumentCatalog.ParseBranch(documentId, mergeId[..at]), new EventSeq(seq));
    }

    /// <summary>Whether applying <paramref name="update"/> to <paramref name="doc"/> would change it.</summary>
    private static bool BringsAnything(YDoc doc, byte[] update)
    {
        using var probe = new YDocDocument(doc);
        return probe.WouldChange(update);
    }

    /// <summary>
    /// The latest position both histories contain: the source head recorded by the most recent merge between the two
    /// branches (either direction), else their common ancestor in the fork tree at the lower of the two positions.
    /// </summary>
    private async Task<BranchDigest> BaseDigestAsync(BranchInfo source, BranchInfo target, CancellationToken cancellationToken)
    {
        MergeRecord? latest = null;
        foreach (var (into, from) in new[] { (target.Ref, source.Ref), (source.Ref, target.Ref) })
        {
            foreach (var record in await store.ListMergeRecordsAsync(into, cancellationToken).ConfigureAwait(false))
            {
                if (record.Source.Branch == from && (latest is null || record.RecordedAt >= latest.RecordedAt)) latest = record;
            }
        }
        if (latest is not null) return latest.Source;

        var sourceChain = await ChainAsync(source, cancellationToken).ConfigureAwait(false);
        var targetChain = await ChainAsync(target, cancellationToken).ConfigureAwait(false);
        foreach (var (branch, seq) in sourceChain)
        {
            foreach (var (other, otherSeq) in targetChain)
            {
                if (branch == other) return await store.GetDigestAsync(branch, seq < otherSeq ? seq : otherSeq, cancellationToken).ConfigureAwait(false);
            }
        }
        return await store.GetDigestAsync(new BranchRef(source.Ref.Document, BranchName.Main), EventSeq.Zero, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The branch at its head, then each ancestor at the position the chain forked from it.</summary>
    private async Task<List<(BranchRef Branch, EventSeq Seq)>> ChainAsync(BranchInfo info, CancellationToken cancellationToken)
    {
        var chain = new List<(BranchRef, EventSeq)> { (info.Ref, info.Head) };
        var current = info;
        while (current.Parent is { } parent && chain.Count < 10_000)
        {
            var forkSeq = current.ForkSeq;
            current = await GetBranchAsync(parent, cancellationToken).ConfigureAwait(false);
            chain.Add((parent, forkSeq));
        }
        return chain;
    }

    private async Task<MergeRecordView> ViewAsync(MergeRecord record, CancellationToken cancellationToken)
    {
        var decisions = new List<DecisionView>();
        foreach (var resolution in await store.ListResolutionsAsync(record.Event, cancellationToken).ConfigureAwait(false))
        {
            foreach (var d in resolution.Decisions)
            {
                decisions.Add(new DecisionView(d.ConflictId, d.Choice, d.CustomText, resolution.Author, resolution.RecordedAt, resolution.Event.Seq.Value)
                {
                    ResolutionId = $"{resolution.Event.Branch.Branch}@{resolution.Event.Seq}",
                    Properties = d.Properties,
                });
            }
        }
        return new MergeRecordView(
            $"{record.Event.Branch.Branch}@{record.Event.Seq}",
            record.Event.Branch.Branch.Value,
            record.Event.Seq.Value,
            record.EventHash.ToString(),
            Position(record.TargetHead),
            Position(record.Source),
            Position(record.Base),
            record.Author,
            record.RecordedAt,
            record.Properties.GetValueOrDefault(Keys.Message),
            record.Properties,
            record.Conflicts.Select(FromRecord).ToList(),
            decisions);
    }

    private async Task<BranchInfo> GetBranchAsync(BranchRef branch, CancellationToken cancellationToken) =>
        await store.GetBranchAsync(branch, cancellationToken).ConfigureAwait(false)
        ?? throw CollabException.NotFound($"Branch '{branch.Branch}' of document '{branch.Document}' does not exist.");

    private static PositionView Position(BranchDigest digest) => new(digest.Branch.Branch.Value, digest.Seq.Value, digest.Hash.ToString());

    private static MergeStrictness ParseStrictness(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "default" => MergeStrictness.Default,
        "strict" => MergeStrictness.Strict,
        "lenient" => MergeStrictness.Lenient,
        _ => throw new CollabException(CollabErrorCode.Invalid, $"Unknown strictness '{value}': use default, strict or lenient."),
    };

    private static string StrictnessName(MergeStrictness strictness) => strictness switch
    {
        MergeStrictness.Strict => "strict",
        MergeStrictness.Lenient => "lenient",
        _ => "default",
    };

    private static ConflictView ToView(MergeConflictInfo c) => new(
        c.Id, c.Kind, c.Root, c.Path, c.Key, Base64(c.Start), Base64(c.End), c.Base, c.Ours, c.Theirs, c.Merged, c.AutomaticOutcome);

    private static string? Base64(byte[]? bytes) => bytes is null ? null : Convert.ToBase64String(bytes);

    /// <summary>The store keeps a conflict's location as compact JSON: {root, path, key, start, end} (positions base64).</summary>
    private static MergeConflict ToRecord(MergeConflictInfo c)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("root", c.Root);
            json.WriteStartArray("path");
            foreach (var segment in c.Path) json.WriteStringValue(segment);
            json.WriteEndArray();
            WriteNullable(json, "key", c.Key);
            WriteNullable(json, "start", Base64(c.Start));
            WriteNullable(json, "end", Base64(c.End));
            json.WriteEndObject();
        }
        var location = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        return new MergeConflict(c.Id, c.Kind, location, c.Base, c.Ours, c.Theirs, c.Merged, c.AutomaticOutcome);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    internal static ConflictView FromRecord(MergeConflict c)
    {
        var root = "";
        string? key = null, start = null, end = null;
        var path = new List<string>();
        try
        {
            using var location = JsonDocument.Parse(c.Location);
            var r = location.RootElement;
            if (r.TryGetProperty("root", out var rootElement)) root = rootElement.GetString() ?? "";
            if (r.TryGetProperty("path", out var pathElement) && pathElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var segment in pathElement.EnumerateArray()) path.Add(segment.GetString() ?? "");
            }
            key = r.TryGetProperty("key", out var k) ? k.GetString() : null;
            start = r.TryGetProperty("start", out var s) ? s.GetString() : null;
            end = r.TryGetProperty("end", out var e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
            root = c.Location; // a location written by something else: show it as it is
        }
        return new ConflictView(c.Id, c.Kind, root, path, key, start, end, c.Base, c.Ours, c.Theirs, c.Merged, c.AutomaticOutcome);
    }
}
