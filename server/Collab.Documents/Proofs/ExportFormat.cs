using System.Text.Json;
using System.Text.Json.Serialization;
using Collab.EventStore;

namespace Collab.Documents.Proofs;

/// <summary>
/// The first line of an export file (<c>collab.export.v1</c>, newline-delimited JSON; docs/verification.md): the
/// document and its branches, parents before their forks. Every later line is one <see cref="ExportEvent"/>.
/// </summary>
/// <param name="Format">Always <c>collab.export.v1</c>.</param>
/// <param name="DocumentId">The document (its id is in every hash: an import keeps it).</param>
/// <param name="Title">The document's title.</param>
/// <param name="Branches">Every branch, each after its parent.</param>
public sealed record ExportHeader(string Format, string DocumentId, string Title, IReadOnlyList<ExportBranch> Branches);

/// <summary>A branch in an export.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Parent">Its parent's name (null for main).</param>
/// <param name="ForkSeq">Where it was forked.</param>
/// <param name="ForkHash">The chain hash at the fork position.</param>
/// <param name="HeadSeq">Its head seq.</param>
/// <param name="HeadHash">Its head chain hash.</param>
/// <param name="State">open, merged or archived.</param>
/// <param name="CreatedBy">Who forked it.</param>
public sealed record ExportBranch(string Name, string? Parent, long ForkSeq, string ForkHash, long HeadSeq, string HeadHash, string State, string CreatedBy);

/// <summary>One event as stored, in the order of its branch (a branch's own events only).</summary>
/// <param name="Branch">The branch it was appended to.</param>
/// <param name="Seq">Its seq.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Author">Its author.</param>
/// <param name="Time">Its server time, Unix milliseconds.</param>
/// <param name="UpdateId">Its client update id, or null.</param>
/// <param name="ClientIds">Its client ids.</param>
/// <param name="SchemaVersion">Its payload's schema version as stored.</param>
/// <param name="Payload">Its payload (base64 in JSON).</param>
/// <param name="PreviousHash">The chain hash before it.</param>
/// <param name="Hash">Its chain hash.</param>
/// <param name="Record">The record it carries in the chain, or null.</param>
public sealed record ExportEvent(
    string Branch, long Seq, string Kind, string Author, long Time, string? UpdateId, IReadOnlyList<uint> ClientIds, int SchemaVersion,
    byte[] Payload, string PreviousHash, string Hash, ExportRecord? Record);

/// <summary>A record in the chain: exactly one of its parts is set.</summary>
/// <param name="Domain">A domain record.</param>
/// <param name="Merge">A merge record.</param>
/// <param name="Resolution">A resolution record.</param>
public sealed record ExportRecord(DomainRecord? Domain, ExportMerge? Merge, ExportResolution? Resolution);

/// <summary>A position and its chain hash.</summary>
/// <param name="Branch">The branch.</param>
/// <param name="Seq">The seq.</param>
/// <param name="Hash">The chain hash there.</param>
public sealed record ExportDigest(string Branch, long Seq, string Hash);

/// <summary>A merge record (its target head is the event's previous position and hash).</summary>
/// <param name="Source">The source's head merged.</param>
/// <param name="Base">The common base.</param>
/// <param name="Conflicts">The conflicts.</param>
/// <param name="Properties">Free properties.</param>
public sealed record ExportMerge(ExportDigest Source, ExportDigest Base, IReadOnlyList<MergeConflict> Conflicts, IReadOnlyDictionary<string, string> Properties);

/// <summary>A resolution record.</summary>
/// <param name="MergeBranch">The branch of the merge event decided on.</param>
/// <param name="MergeSeq">Its seq.</param>
/// <param name="Decisions">The decisions.</param>
public sealed record ExportResolution(string MergeBranch, long MergeSeq, IReadOnlyList<ConflictDecision> Decisions);

/// <summary>The JSON settings of export files.</summary>
internal static class ExportJson
{
    public const string Format = "collab.export.v1";

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
