using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Collab.Documents.Access;
using Collab.EventStore;

namespace Collab.Documents.Proofs;

/// <summary>What an import wrote: the document and each branch's head.</summary>
/// <param name="DocumentId">The document created.</param>
/// <param name="Events">Events written.</param>
/// <param name="Branches">
/// Each branch's imported head: the exported head, with the same hash as in the exporting server. <c>main</c> has one
/// event more after it, the <c>document.imported</c> record.
/// </param>
public sealed record ImportResult(string DocumentId, long Events, IReadOnlyList<ExportDigest> Branches);

/// <summary>
/// Export of a document's whole log (every branch, every record in the chain) as one newline-delimited JSON file, and
/// import of such a file into another server: every hash is re-computed and every link checked before anything is
/// written, a tampered file is refused naming the event, and the imported log has the same hashes (and so the same
/// digests and proofs) as the exported one. Snapshots are not exported: they are a cache.
/// </summary>
public sealed class DocumentTransfer(IEventStore store, DocumentCatalog catalog, DocumentDirectory directory)
{
    /// <summary>Events per append while importing (the store's default limit is 1,000).</summary>
    public const int ImportBatch = 500;

    /// <summary>Writes the document's export to <paramref name="output"/> (owners and auditors).</summary>
    public async Task ExportAsync(string documentId, string user, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "export");
        var document = new DocumentId(documentId);
        var branches = Ordered(await store.ListBranchesAsync(document, cancellationToken).ConfigureAwait(false));
        var resolutions = await ResolutionsByEventAsync(branches, cancellationToken).ConfigureAwait(false);

        var header = new ExportHeader(ExportJson.Format, documentId, directory.Find(documentId)?.Title ?? documentId, [.. branches.Select(b => new ExportBranch(
            b.Ref.Branch.Value, b.Parent?.Branch.Value, b.ForkSeq.Value, b.ForkHash.ToString(), b.Head.Value, b.HeadHash.ToString(),
            b.State.ToString().ToLowerInvariant(), b.CreatedBy))]);
        // One writer for every line, flushed to the output every 64 KiB: the file is streamed, never held whole.
        var buffer = new ArrayBufferWriter<byte>(1 << 17);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = ExportJson.Options.Encoder });
        Line(writer, buffer, header);
        foreach (var branch in branches)
        {
            await foreach (var e in store.ReadAsync(branch.Ref, branch.ForkSeq.Next, branch.Head, cancellationToken).ConfigureAwait(false))
            {
                var record = e.RecordKind switch
                {
                    EventRecordKind.Domain => new ExportRecord(e.Record, null, null),
                    EventRecordKind.Merge => await store.GetMergeRecordAsync(e.Ref, cancellationToken).ConfigureAwait(false) is { } m
                        ? new ExportRecord(null, new ExportMerge(Digest(m.Source), Digest(m.Base), m.Conflicts, m.Properties), null)
                        : throw new CollabException(CollabErrorCode.Conflict, $"The merge record of {e.Ref} is missing: verify the document."),
                    EventRecordKind.Resolution => resolutions.TryGetValue(e.Ref, out var r)
                        ? new ExportRecord(null, null, new ExportResolution(r.Merge.Branch.Branch.Value, r.Merge.Seq.Value, r.Decisions))
                        : throw new CollabException(CollabErrorCode.Conflict, $"The resolution record of {e.Ref} is missing: verify the document."),
                    _ => null,
                };
                Line(writer, buffer, new ExportEvent(
                    e.Branch.Branch.Value, e.Seq.Value, e.Kind.Value, e.Author, e.ServerTime.ToUnixTimeMilliseconds(), e.ClientUpdateId, e.ClientIds,
                    e.SchemaVersion, e.Payload.ToArray(), e.PreviousHash.ToString(), e.Hash.ToString(), record));
                if (buffer.WrittenCount >= 1 << 16) await FlushAsync(buffer, output, cancellationToken).ConfigureAwait(false);
            }
        }
        await FlushAsync(buffer, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Verifies an export file offline, exactly as an import does before writing: every seq, link, hash, fork and
    /// head. Throws <see cref="CollabException"/> naming the first event at fault; returns each branch's head.
    /// </summary>
    public static async Task<ImportResult> VerifyFileAsync(Stream input, CancellationToken cancellationToken)
    {
        var (header, plan) = await ReadPlanAsync(input, cancellationToken).ConfigureAwait(false);
        return new ImportResult(header.DocumentId, plan.Branches.Sum(b => (long)b.Events.Count),
            [.. plan.Branches.Select(b => new ExportDigest(b.Info.Name, b.Info.ForkSeq + b.Events.Count, b.Head.ToString()))]);
    }

    private static async Task<(ExportHeader Header, ImportPlan Plan)> ReadPlanAsync(Stream input, CancellationToken cancellationToken, Action<ExportHeader>? afterHeader = null)
    {
        var lines = new Utf8Lines(input);
        var first = await lines.NextAsync(cancellationToken).ConfigureAwait(false);
        var header = Parse(first is { } h ? h.Span : default, first is null, "the header (line 1)", static utf8 => JsonSerializer.Deserialize<ExportHeader>(utf8, ExportJson.Options));
        if (header.Format != ExportJson.Format) throw Refused($"Unknown export format '{header.Format}' (this server reads {ExportJson.Format}).");
        var plan = new ImportPlan(header);
        afterHeader?.Invoke(header);

        // Lines are parsed a block at a time on every core, then checked in file order (so the first fault in the file
        // is the one named, as when reading line by line).
        var line = 1;
        var block = new List<(int Line, byte[] Text)>(ParseBlock);
        var parsed = new ExportEvent?[ParseBlock];
        var errors = new Exception?[ParseBlock];
        while (true)
        {
            block.Clear();
            while (block.Count < ParseBlock && await lines.NextAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                line++;
                if (text.Length == 0) continue;
                block.Add((line, text.ToArray()));
            }
            if (block.Count == 0) break;
            Parallel.For(0, block.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                try
                {
                    parsed[i] = Parse(block[i].Text, missing: false, $"line {block[i].Line}", static utf8 => ExportEventCodec.Read(utf8));
                    errors[i] = null;
                }
#pragma warning disable CA1031 // Kept and thrown again in file order below, as reading line by line would throw it.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    parsed[i] = null;
                    errors[i] = ex;
                }
            });
            for (var i = 0; i < block.Count; i++)
            {
                if (errors[i] is { } error) ExceptionDispatchInfo.Throw(error);
                plan.Add(parsed[i]!);
            }
        }
        plan.Finish();
        return (header, plan);
    }

    /// <summary>Lines parsed together on every core while importing.</summary>
    private const int ParseBlock = 4096;

    /// <summary>
    /// Reads an export, verifies every hash and link, and only then creates the document (the caller becomes its
    /// owner) with every branch and event. A file that does not verify is refused, naming the first event at fault.
    /// An import that was interrupted while writing (a failed store, a cancelled request, a crash) is resumed by the same
    /// importer importing the file again: what was written is checked to be the file's (each branch's hash at its
    /// written head equals the file's there) and only the rest is written.
    /// </summary>
    public async Task<ImportResult> ImportAsync(Stream input, string user, CancellationToken cancellationToken)
    {
        var (header, plan) = await ReadPlanAsync(input, cancellationToken, header =>
        {
            if (directory.Find(header.DocumentId) is not null) throw new CollabException(CollabErrorCode.Conflict, $"Document '{header.DocumentId}' already exists.");
        }).ConfigureAwait(false);

        if (!_importing.TryAdd(header.DocumentId, user)) throw new CollabException(CollabErrorCode.Conflict, $"Document '{header.DocumentId}' is being imported right now.");
        try
        {
            return await WriteAsync(header, plan, user, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _importing.TryRemove(header.DocumentId, out _);
        }
    }

    // Imports being written in this process, by document id: a second one of the same id waits for none, it is refused.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _importing = new(StringComparer.Ordinal);

    private async Task<ImportResult> WriteAsync(ExportHeader header, ImportPlan plan, string user, CancellationToken cancellationToken)
    {
        string id, title;
        var written = new Dictionary<string, long>(StringComparer.Ordinal);
        if (directory.Find(header.DocumentId) is not null) throw new CollabException(CollabErrorCode.Conflict, $"Document '{header.DocumentId}' already exists.");
        if (await store.GetDocumentAsync(new DocumentId(header.DocumentId), cancellationToken).ConfigureAwait(false) is { } partial)
        {
            // In the store, not in the directory: an interrupted import (nobody can reach it). Only its importer resumes it.
            if (partial.CreatedBy != user) throw new CollabException(CollabErrorCode.Conflict, $"Document '{header.DocumentId}' already exists.");
            written = await WrittenSoFarAsync(plan, cancellationToken).ConfigureAwait(false);
            (id, title) = (header.DocumentId, string.IsNullOrWhiteSpace(header.Title) ? header.DocumentId : header.Title.Trim());
        }
        else
        {
            (id, title) = await catalog.BeginImportAsync(header.DocumentId, header.Title, user, cancellationToken).ConfigureAwait(false);
        }

        long appended = 0;
        var heads = new List<ExportDigest>();
        foreach (var branch in plan.Branches)
        {
            if (!written.TryGetValue(branch.Info.Name, out var head))
            {
                if (branch.Parent is { } parent)
                {
                    await store.ForkAsync(parent.Ref, new EventSeq(branch.Info.ForkSeq), branch.Ref.Branch, branch.Info.CreatedBy, cancellationToken).ConfigureAwait(false);
                }
                head = branch.Info.ForkSeq;
            }
            appended += await AppendAllAsync(branch, (int)(head - branch.Info.ForkSeq), cancellationToken).ConfigureAwait(false);
            if (Enum.TryParse<BranchState>(branch.Info.State, ignoreCase: true, out var state) && state != BranchState.Open)
            {
                await store.SetBranchStateAsync(branch.Ref, state, cancellationToken).ConfigureAwait(false);
            }
            var digest = await store.GetHeadAsync(branch.Ref, cancellationToken).ConfigureAwait(false);
            heads.Add(new ExportDigest(branch.Ref.Branch.Value, digest.Seq.Value, digest.Hash.ToString()));
        }
        // The exported log is reproduced exactly (same hashes); then one record says who imported it and owns it now.
        var main = heads.First(h => h.Branch == "main");
        await catalog.CompleteImportAsync(id, title, user, new Dictionary<string, string>
        {
            ["originalDocument"] = header.DocumentId,
            ["exportedSeq"] = main.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["exportedHash"] = main.Hash,
        }, cancellationToken).ConfigureAwait(false);
        return new ImportResult(header.DocumentId, appended, heads);
    }

    // The head of each branch an interrupted import already wrote, checked to be a prefix of the file: the hash at it is
    // the file's there (the chain makes that cover every event before). Anything else is refused, naming the branch.
    private async Task<Dictionary<string, long>> WrittenSoFarAsync(ImportPlan plan, CancellationToken cancellationToken)
    {
        var document = plan.Branches[0].Ref.Document;
        var byName = plan.Branches.ToDictionary(b => b.Info.Name, StringComparer.Ordinal);
        var heads = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var info in await store.ListBranchesAsync(document, cancellationToken).ConfigureAwait(false))
        {
            var name = info.Ref.Branch.Value;
            var head = info.Head.Value;
            if (!byName.TryGetValue(name, out var branch))
            {
                throw Interrupted(document, $"it has a branch '{name}' that the file does not have");
            }
            if (info.ForkSeq.Value != branch.Info.ForkSeq || info.Parent?.Branch.Value != branch.Info.Parent)
            {
                throw Interrupted(document, $"its branch '{name}' was forked elsewhere than the file says");
            }
            if (head > branch.Info.HeadSeq)
            {
                throw Interrupted(document, $"its branch '{name}' holds {head - branch.Info.HeadSeq} event(s) after the file's head {branch.Info.HeadSeq}");
            }
            var expected = head == branch.Info.ForkSeq ? branch.ForkHash : branch.Hashes[(int)(head - branch.Info.ForkSeq - 1)];
            if (info.HeadHash != expected)
            {
                throw Interrupted(document, $"its event {name}@{head} is not the file's");
            }
            heads[name] = head;
        }
        return heads;
    }

    private static CollabException Interrupted(DocumentId document, string why) =>
        new(CollabErrorCode.Conflict, $"Document '{document}' holds an interrupted import of another file: {why}. Only the same file can complete it.");

    // Appends a branch's events after the first `skip` (written by an interrupted import) in batches, a few in flight at
    // once (each expecting the head the one before leaves, so they cannot land out of order), and checks that the store
    // computed the file's hashes. On a failure the batches still in flight are waited for before it is thrown, so a
    // retry finds the store settled.
    private async Task<long> AppendAllAsync(ImportBranch branch, int skip, CancellationToken cancellationToken)
    {
        var pending = new Queue<(Task<AppendResult> Task, int From)>();
        var head = branch.Info.ForkSeq + skip;
        try
        {
            for (var from = skip; from < branch.Events.Count; from += ImportBatch)
            {
                var batch = branch.Events.GetRange(from, Math.Min(ImportBatch, branch.Events.Count - from)).ConvertAll(e => ToNewEvent(branch.Ref.Document, e));
                pending.Enqueue((store.AppendAsync(branch.Ref, batch, new EventSeq(head), cancellationToken), from));
                head += batch.Count;
                // The first append of a branch may build the store's update-id index: let it finish alone.
                if (pending.Count >= (from == skip ? 1 : 4)) await CheckAsync(pending.Dequeue(), branch).ConfigureAwait(false);
            }
            while (pending.Count > 0) await CheckAsync(pending.Dequeue(), branch).ConfigureAwait(false);
        }
        catch
        {
            foreach (var (task, _) in pending)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The first failure is the one reported; these only have to be over.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
            throw;
        }
        return branch.Events.Count - skip;
    }

    private static async Task CheckAsync((Task<AppendResult> Task, int From) append, ImportBranch branch)
    {
        var result = await append.Task.ConfigureAwait(false);
        for (var i = 0; i < result.Events.Count; i++)
        {
            var expected = branch.Events[append.From + i];
            if (result.Events[i].Hash.ToString() != expected.Hash || result.AppendedCount != result.Events.Count)
            {
                throw new CollabException(CollabErrorCode.Conflict, $"Event {expected.Branch}@{expected.Seq} was stored with another hash than the file's; the import stopped there.");
            }
        }
    }

    private static NewEvent ToNewEvent(DocumentId document, ExportEvent e) => new(new EventKind(e.Kind), e.Payload, e.Author)
    {
        ClientIds = e.ClientIds,
        ClientUpdateId = e.UpdateId,
        SchemaVersion = e.SchemaVersion,
        ServerTime = DateTimeOffset.FromUnixTimeMilliseconds(e.Time),
        Record = e.Record?.Domain,
        Merge = e.Record?.Merge is { } m ? new MergeRecordDraft(ImportPlan.Digest(document, m.Source), ImportPlan.Digest(document, m.Base), m.Conflicts) { Properties = m.Properties } : null,
        Resolution = e.Record?.Resolution is { } r ? new ResolutionRecordDraft(ImportPlan.RefOf(document, r), r.Decisions) : null,
    };

    private async Task<Dictionary<EventRef, ResolutionRecord>> ResolutionsByEventAsync(IReadOnlyList<BranchInfo> branches, CancellationToken cancellationToken)
    {
        var result = new Dictionary<EventRef, ResolutionRecord>();
        var seen = new HashSet<EventRef>();
        foreach (var branch in branches)
        {
            foreach (var merge in await store.ListMergeRecordsAsync(branch.Ref, cancellationToken).ConfigureAwait(false))
            {
                if (!seen.Add(merge.Event)) continue;
                foreach (var resolution in await store.ListResolutionsAsync(merge.Event, cancellationToken).ConfigureAwait(false)) result[resolution.Event] = resolution;
            }
        }
        return result;
    }

    // main first, then every branch after its parent (by name among siblings).
    private static List<BranchInfo> Ordered(IReadOnlyList<BranchInfo> branches)
    {
        var ordered = new List<BranchInfo>(branches.Count);
        var queue = new Queue<BranchInfo>(branches.Where(b => b.Parent is null));
        while (queue.Count > 0)
        {
            var next = queue.Dequeue();
            ordered.Add(next);
            foreach (var child in branches.Where(b => b.Parent == next.Ref).OrderBy(b => b.Ref.Branch.Value, StringComparer.Ordinal)) queue.Enqueue(child);
        }
        return ordered;
    }

    private static ExportDigest Digest(BranchDigest d) => new(d.Branch.Branch.Value, d.Seq.Value, d.Hash.ToString());

    private static void Line<T>(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer, T value)
    {
        if (value is ExportEvent e) ExportEventCodec.Write(writer, e);
        else JsonSerializer.Serialize(writer, value, ExportJson.Options);
        writer.Flush();
        writer.Reset(buffer);
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
    }

    private static async Task FlushAsync(ArrayBufferWriter<byte> buffer, Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }

    private delegate T? Utf8Parser<T>(ReadOnlySpan<byte> utf8);

    private static T Parse<T>(ReadOnlySpan<byte> utf8, bool missing, string where, Utf8Parser<T> parse)
    {
        if (missing || utf8.Trim(" \t\r\n\f\v"u8).IsEmpty) throw Refused($"The export file is empty or {where} is missing.");
        try
        {
            return parse(utf8) ?? throw Refused($"{where} is null.");
        }
        catch (JsonException ex)
        {
            throw new CollabException(CollabErrorCode.Invalid, $"The export file is not valid at {where}: {ex.Message}", ex);
        }
    }

    internal static CollabException Refused(string message) => new(CollabErrorCode.Invalid, "Import refused: " + message);
}
