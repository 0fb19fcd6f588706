using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collab.Documents;
using Collab.Documents.Access;
using Collab.Documents.History;
using Collab.Documents.Proofs;
using Collab.EventStore;
using Collab.EventStore.InMemory;
using Collab.EventStore.Merkle;

namespace Collab.Cli;

/// <summary>
/// <c>--file</c>: answers the CLI's read requests from an export file instead of a server. The file is imported into an
/// in-memory store first — which verifies every hash, link and record exactly as a server's import does, so nothing
/// is read from a file that does not verify — then the same history and proof services the server uses answer. The
/// requests and answers are the REST API's, so every read command prints the same offline as online.
/// </summary>
internal sealed class OfflineHandler(FileInfo file) : HttpMessageHandler
{
    private const string User = "offline-auditor";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Services? _services;

    private sealed record Services(string DocumentId, ContentService Content, DiffService Diffs, BlameService Blame, ActivityService Activity, VersionService Versions, ProofService Proofs);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var services = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var uri = request.RequestUri!;
        // api/documents/{id}/{rest}; "-" (no --document) means the file's document.
        var segments = uri.AbsolutePath.Trim('/').Split('/');
        var id = Uri.UnescapeDataString(segments[2]);
        if (id == Program.FileDocument) id = services.DocumentId;
        var rest = string.Join('/', segments[3..]);
        var q = System.Web.HttpUtility.ParseQueryString(uri.Query);
        try
        {
            if (request.Method != HttpMethod.Get) throw new CollabException(CollabErrorCode.Invalid, "An export file is read-only: this command needs a server (--server).");
            var position = new PositionQuery(q["branch"], Long(q["seq"]), Time(q["at"]), q["version"]);
            switch (rest)
            {
                case "history/content" when q["format"] == "text":
                    return Text((await services.Content.GetTextAsync(id, position, q["root"], User, cancellationToken).ConfigureAwait(false)).Text);
                case "history/content" when q["format"] == "update":
                    {
                        var (at, update) = await services.Content.GetUpdateAsync(id, position, User, cancellationToken).ConfigureAwait(false);
                        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(update) };
                        response.Headers.Add("X-Collab-Branch", at.Branch);
                        response.Headers.Add("X-Collab-Seq", at.Seq.ToString(CultureInfo.InvariantCulture));
                        return response;
                    }
                case "history/content":
                    return Json(await services.Content.GetAsync(id, position, User, cancellationToken).ConfigureAwait(false));
                case "history/compare":
                    {
                        var from = PositionQuery.Parse(q["base"], "base");
                        var to = PositionQuery.Parse(q["head"], "head");
                        return q["format"] == "unified"
                            ? Text(await services.Diffs.UnifiedAsync(id, from, to, User, cancellationToken).ConfigureAwait(false))
                            : Json(await services.Diffs.CompareAsync(id, from, to, User, cancellationToken).ConfigureAwait(false));
                    }
                case "history/blame":
                    return Json(await services.Blame.BlameAsync(id, position, q["root"], User, cancellationToken).ConfigureAwait(false));
                case "history/activity":
                    return Json(await services.Activity.ActivityAsync(id, position, GroupGap.Parse(q["groupGap"]), User, cancellationToken).ConfigureAwait(false));
                case "history/events":
                    return Json(await services.Activity.EventsAsync(id, new EventFilter(q["branch"], Long(q["from"]), (int?)Long(q["max"]), q["author"], q["kind"], Time(q["since"]), Time(q["until"])), User, cancellationToken).ConfigureAwait(false));
                case "versions":
                    return Json(await services.Versions.ListAsync(id, User, cancellationToken).ConfigureAwait(false));
                case "verify":
                    return Json(await services.Proofs.VerifyAllAsync(id, User, cancellationToken).ConfigureAwait(false));
                case "proofs/digest":
                    return Json(await services.Proofs.DigestAsync(id, q["branch"], Long(q["seq"]), User, cancellationToken).ConfigureAwait(false));
                case "proofs/inclusion":
                    return Json(await services.Proofs.InclusionAsync(id, q["branch"], Long(q["seq"]), Long(q["treeSize"]), User, cancellationToken).ConfigureAwait(false));
                case "proofs/consistency":
                    return Json(await services.Proofs.ConsistencyAsync(id, q["branch"], Long(q["from"]), Long(q["to"]), User, cancellationToken).ConfigureAwait(false));
                default:
                    throw new CollabException(CollabErrorCode.NotFound, $"'{rest}' is not available from an export file: this command needs a server (--server).");
            }
        }
        catch (CollabException ex)
        {
            return Problem(ex.Code, ex.Message);
        }
        catch (EventStoreException ex)
        {
            return Problem(ex.Error is EventStoreError.DocumentNotFound or EventStoreError.BranchNotFound ? CollabErrorCode.NotFound : CollabErrorCode.Invalid, ex.Message);
        }
    }

    // Imports the file once: every hash is verified before anything is read.
    private async Task<Services> LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_services is not null) return _services;
            var store = new InMemoryEventStore();
            var directory = new DocumentDirectory(null);
            var catalog = new DocumentCatalog(store, directory, TimeProvider.System);
            ImportResult imported;
            await using (var input = file.OpenRead())
            {
                try
                {
                    imported = await new DocumentTransfer(store, catalog, directory).ImportAsync(input, User, cancellationToken).ConfigureAwait(false);
                }
                catch (CollabException ex)
                {
                    throw new OfflineFileInvalidException(ex.Message);
                }
            }
            var index = new HistoryIndex(store);
            _services = new Services(imported.DocumentId, new ContentService(store, catalog, index), new DiffService(store, catalog, index), new BlameService(store, catalog, index),
                new ActivityService(store, catalog, index),
                // Only ListAsync is called: it reads the history index and never the live sessions (naming and restoring need a server).
                new VersionService(store, catalog, index, null!),
                new ProofService(store, new BranchMerkleTrees(store), catalog));
            return _services;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static HttpResponseMessage Json<T>(T value) => new(HttpStatusCode.OK) { Content = JsonContent.Create(value, options: Web) };

    private static HttpResponseMessage Text(string text) => new(HttpStatusCode.OK) { Content = new StringContent(text) };

    private static HttpResponseMessage Problem(CollabErrorCode code, string detail)
    {
        var status = code switch
        {
            CollabErrorCode.Invalid or CollabErrorCode.Malformed => HttpStatusCode.BadRequest,
            CollabErrorCode.NotFound => HttpStatusCode.NotFound,
            CollabErrorCode.Forbidden => HttpStatusCode.Forbidden,
            CollabErrorCode.Conflict => HttpStatusCode.Conflict,
            _ => HttpStatusCode.InternalServerError,
        };
        return new HttpResponseMessage(status) { Content = JsonContent.Create(new { title = CollabException.CodeNameOf(code), status = (int)status, detail }, options: Web) };
    }

    private static long? Long(string? text) =>
        text is null ? null
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw new CollabException(CollabErrorCode.Invalid, $"'{text}' is not a number.");

    private static DateTimeOffset? Time(string? text) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value
        : throw new CollabException(CollabErrorCode.Invalid, $"'{text}' is not a time (ISO 8601).");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gate.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The export file given with <c>--file</c> does not verify: nothing is read from it.</summary>
internal sealed class OfflineFileInvalidException(string message) : Exception(message);
