namespace Collab.EventStore.Merkle;

/// <summary>
/// What an auditor keeps: the Merkle root over events 1..<paramref name="TreeSize"/> of a branch's view, with the
/// chain hash at that position (which the root also covers, as its last leaf).
/// </summary>
/// <param name="Branch">The branch whose view the tree covers.</param>
/// <param name="TreeSize">The number of leaves: the seq of the last event covered (0 for an empty view).</param>
/// <param name="ChainHash">The event chain hash at <paramref name="TreeSize"/> (the genesis or fork hash at 0).</param>
/// <param name="Root">The RFC 9162 Merkle tree hash of the leaves.</param>
public sealed record MerkleDigest(BranchRef Branch, EventSeq TreeSize, EventHash ChainHash, EventHash Root);

/// <summary>Proof that the event at <paramref name="Seq"/> is leaf Seq − 1 of the tree of <paramref name="TreeSize"/> leaves.</summary>
/// <param name="Branch">The branch whose view the tree covers.</param>
/// <param name="Seq">The event's seq in the view (leaf index + 1).</param>
/// <param name="TreeSize">The tree's number of leaves.</param>
/// <param name="EventHash">The event's chain hash (the leaf before leaf hashing).</param>
/// <param name="Root">The tree's root.</param>
/// <param name="Path">The audit path, bottom up (RFC 9162 §2.1.3.1).</param>
public sealed record InclusionProof(BranchRef Branch, EventSeq Seq, EventSeq TreeSize, EventHash EventHash, EventHash Root, IReadOnlyList<EventHash> Path);

/// <summary>Proof that the tree of <paramref name="To"/> leaves extends the tree of <paramref name="From"/> leaves.</summary>
/// <param name="Branch">The branch whose view the trees cover.</param>
/// <param name="From">The smaller tree size.</param>
/// <param name="FromRoot">Its root.</param>
/// <param name="To">The larger tree size.</param>
/// <param name="ToRoot">Its root.</param>
/// <param name="Path">The consistency proof (RFC 9162 §2.1.4.1).</param>
public sealed record ConsistencyProof(BranchRef Branch, EventSeq From, EventHash FromRoot, EventSeq To, EventHash ToRoot, IReadOnlyList<EventHash> Path);
