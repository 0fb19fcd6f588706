using Collab.Documents.Access;
using Collab.EventStore;
using Collab.EventStore.Merkle;

namespace Collab.Documents.Proofs;

/// <summary>A Merkle digest as the API shows it (hashes as 64 hex digits): what an auditor keeps.</summary>
/// <param name="Branch">The branch whose view the tree covers.</param>
/// <param name="TreeSize">Events covered: seqs 1..TreeSize of the view.</param>
/// <param name="ChainHash">The event chain hash at TreeSize.</param>
/// <param name="RootHash">The RFC 9162 Merkle tree hash over the events' chain hashes.</param>
public sealed record DigestView(string Branch, long TreeSize, string ChainHash, string RootHash);

/// <summary>An inclusion proof as the API shows it (docs/verification.md).</summary>
/// <param name="Branch">The branch whose view the tree covers.</param>
/// <param name="Seq">The event's seq; its leaf index is Seq − 1.</param>
/// <param name="TreeSize">The tree's number of leaves.</param>
/// <param name="EventHash">The event's chain hash (recompute it from the event to check it).</param>
/// <param name="RootHash">The tree's root.</param>
/// <param name="Path">The audit path, bottom up.</param>
public sealed record InclusionProofView(string Branch, long Seq, long TreeSize, string EventHash, string RootHash, IReadOnlyList<string> Path);

/// <summary>A consistency proof as the API shows it (docs/verification.md).</summary>
/// <param name="Branch">The branch whose view the trees cover.</param>
/// <param name="From">The earlier tree size.</param>
/// <param name="FromRoot">The earlier root.</param>
/// <param name="To">The later tree size.</param>
/// <param name="ToRoot">The later root.</param>
/// <param name="Path">The consistency proof.</param>
public sealed record ConsistencyProofView(string Branch, long From, string FromRoot, long To, string ToRoot, IReadOnlyList<string> Path);

/// <summary>One branch's chain verification inside a whole-document verification.</summary>
/// <param name="Branch">The branch verified (its whole view).</param>
/// <param name="Valid">Whether its chain holds.</param>
/// <param name="HeadSeq">The head verified up to.</param>
/// <param name="HeadHash">The chain hash at the head.</param>
/// <param name="EventsChecked">Events re-hashed.</param>
/// <param name="FirstBrokenBranch">The branch the first broken event was appended to (an ancestor for a fork), or null.</param>
/// <param name="FirstBrokenSeq">Its seq, or null.</param>
/// <param name="FirstBrokenReason">What does not hold, or null.</param>
public sealed record BranchVerificationView(string Branch, bool Valid, long HeadSeq, string HeadHash, long EventsChecked, string? FirstBrokenBranch, long? FirstBrokenSeq, string? FirstBrokenReason);

/// <summary>The outcome of verifying every branch of a document.</summary>
/// <param name="DocumentId">The document.</param>
/// <param name="Valid">Whether every branch's chain holds.</param>
/// <param name="Branches">Each branch's outcome, <c>main</c> first, then in ordinal name order.</param>
/// <param name="FirstBrokenBranch">The branch the first broken event was appended to, or null.</param>
/// <param name="FirstBrokenSeq">Its seq, or null.</param>
/// <param name="FirstBrokenReason">What does not hold, or null.</param>
public sealed record DocumentVerificationView(string DocumentId, bool Valid, IReadOnlyList<BranchVerificationView> Branches, string? FirstBrokenBranch, long? FirstBrokenSeq, string? FirstBrokenReason);

/// <summary>Digests, inclusion and consistency proofs, and whole-document verification, for owners and auditors.</summary>
public sealed class ProofService(IEventStore store, BranchMerkleTrees trees, DocumentCatalog catalog)
{
    /// <summary>The digest of a branch at <paramref name="seq"/> (the head when null).</summary>
    public async Task<DigestView> DigestAsync(string documentId, string? branch, long? seq, string user, CancellationToken cancellationToken)
    {
        var branchRef = Authorize(documentId, branch, user);
        var digest = await trees.GetDigestAsync(branchRef, Seq(seq), cancellationToken).ConfigureAwait(false);
        return new DigestView(branchRef.Branch.Value, digest.TreeSize.Value, digest.ChainHash.ToString(), digest.Root.ToString());
    }

    /// <summary>Proof that the event at <paramref name="seq"/> is in the tree of <paramref name="treeSize"/> leaves (the head when null).</summary>
    public async Task<InclusionProofView> InclusionAsync(string documentId, string? branch, long? seq, long? treeSize, string user, CancellationToken cancellationToken)
    {
        var branchRef = Authorize(documentId, branch, user);
        if (seq is null) throw new CollabException(CollabErrorCode.Invalid, "Give the event's seq (?seq=).");
        var proof = await trees.GetInclusionProofAsync(branchRef, new EventSeq(seq.Value), Seq(treeSize), cancellationToken).ConfigureAwait(false);
        return new InclusionProofView(branchRef.Branch.Value, proof.Seq.Value, proof.TreeSize.Value, proof.EventHash.ToString(), proof.Root.ToString(), Hex(proof.Path));
    }

    /// <summary>Proof that the tree of <paramref name="to"/> leaves (the head when null) extends the tree of <paramref name="from"/> leaves.</summary>
    public async Task<ConsistencyProofView> ConsistencyAsync(string documentId, string? branch, long? from, long? to, string user, CancellationToken cancellationToken)
    {
        var branchRef = Authorize(documentId, branch, user);
        if (from is null) throw new CollabException(CollabErrorCode.Invalid, "Give the earlier tree size (?from=).");
        var proof = await trees.GetConsistencyProofAsync(branchRef, new EventSeq(from.Value), Seq(to), cancellationToken).ConfigureAwait(false);
        return new ConsistencyProofView(branchRef.Branch.Value, proof.From.Value, proof.FromRoot.ToString(), proof.To.Value, proof.ToRoot.ToString(), Hex(proof.Path));
    }

    /// <summary>Re-hashes every branch of the document and names the first broken link (<c>main</c> first).</summary>
    public async Task<DocumentVerificationView> VerifyAllAsync(string documentId, string user, CancellationToken cancellationToken)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "verify the history of");
        var branches = await store.ListBranchesAsync(new DocumentId(documentId), cancellationToken).ConfigureAwait(false);
        var ordered = branches.OrderBy(b => b.Ref.Branch == BranchName.Main ? 0 : 1).ThenBy(b => b.Ref.Branch.Value, StringComparer.Ordinal);
        var results = new List<BranchVerificationView>();
        BranchVerificationView? firstBroken = null;
        foreach (var info in ordered)
        {
            var result = await store.VerifyAsync(info.Ref, cancellationToken).ConfigureAwait(false);
            var view = new BranchVerificationView(
                info.Ref.Branch.Value, result.IsValid, result.Head.Seq.Value, result.Head.Hash.ToString(), result.EventsChecked,
                result.FirstBroken?.Event.Branch.Branch.Value, result.FirstBroken?.Event.Seq.Value, result.FirstBroken?.Reason);
            results.Add(view);
            firstBroken ??= result.IsValid ? null : view;
        }
        return new DocumentVerificationView(documentId, firstBroken is null, results, firstBroken?.FirstBrokenBranch, firstBroken?.FirstBrokenSeq, firstBroken?.FirstBrokenReason);
    }

    private BranchRef Authorize(string documentId, string? branch, string user)
    {
        catalog.Authorize(documentId, user, DocumentRoles.CanReadHistory, "read the proofs of");
        return DocumentCatalog.ParseBranch(documentId, branch ?? BranchName.Main.Value);
    }

    private static EventSeq? Seq(long? value) => value is { } v ? new EventSeq(v) : null;

    private static string[] Hex(IReadOnlyList<EventHash> hashes) => [.. hashes.Select(h => h.ToString())];
}
