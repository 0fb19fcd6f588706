using Collab.EventStore;

namespace Collab.Documents.Branching;

/// <summary>
/// What may change a protected branch besides an owner's merge of an approved proposal (docs/branching.md, "Protected
/// branches"): decisions on the conflicts of such a merge (they complete it). Reverts and version restores are refused:
/// make them on a fork and propose the fork, or lift the protection first.
/// </summary>
internal static class ProtectedBranchRules
{
    /// <summary>Refuses a revert on a protected branch with <c>branch_protected</c>.</summary>
    public static async Task RefuseRevertAsync(DocumentRecords? records, BranchRef branch, CancellationToken cancellationToken)
    {
        if (records is null || !await records.IsProtectedAsync(branch, cancellationToken).ConfigureAwait(false)) return;
        throw new CollabException(CollabErrorCode.BranchProtected,
            $"Branch '{branch.Branch}' is protected: reverts are refused on it. Fork a branch from it, revert there (what you revert is in the fork's history) " +
            $"and merge the fork through an approved proposal, or lift the protection first (DELETE /api/documents/{branch.Document}/branches/{branch.Branch}/protection).");
    }

    /// <summary>Refuses restoring a version onto a protected branch with <c>branch_protected</c>.</summary>
    public static async Task RefuseRestoreAsync(DocumentRecords? records, BranchRef branch, CancellationToken cancellationToken)
    {
        if (records is null || !await records.IsProtectedAsync(branch, cancellationToken).ConfigureAwait(false)) return;
        throw new CollabException(CollabErrorCode.BranchProtected,
            $"Branch '{branch.Branch}' is protected: restoring a version onto it is refused. Restore it onto a fork of the branch and merge the fork " +
            $"through an approved proposal, or lift the protection first (DELETE /api/documents/{branch.Document}/branches/{branch.Branch}/protection).");
    }

    /// <summary>
    /// Refuses decisions on the conflicts of <paramref name="merge"/> when its branch is protected and the merge is not
    /// the merge of an approved proposal.
    /// </summary>
    public static async Task RefuseResolutionAsync(DocumentRecords? records, MergeRecord merge, CancellationToken cancellationToken)
    {
        var branch = merge.Event.Branch;
        if (records is null || !await records.IsProtectedAsync(branch, cancellationToken).ConfigureAwait(false)) return;
        if (merge.Properties.TryGetValue(PolicyRecords.ProposalProperty, out var proposalId)
            && await records.ReadAsync(branch.Document, state => state.Proposals.TryGetValue(proposalId, out var proposal) && proposal.ReviewStatus().Review == "approved", cancellationToken).ConfigureAwait(false))
        {
            return; // completes an approved merge
        }
        throw new CollabException(CollabErrorCode.BranchProtected,
            $"Branch '{branch.Branch}' is protected: only the conflicts of a merge of an approved proposal may be decided on it, and merge " +
            $"{branch.Branch}@{merge.Event.Seq} is not one. Lift the protection first (DELETE /api/documents/{branch.Document}/branches/{branch.Branch}/protection) to decide them.");
    }
}
