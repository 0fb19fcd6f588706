namespace Collab.EventStore.Merkle;

/// <summary>The hash of any range of leaves of one tree (MTH of D[lo:hi] in RFC 9162 terms).</summary>
internal interface IRangeHasher
{
    /// <summary>MTH of leaves [<paramref name="lo"/>, <paramref name="hi"/>), 0-based, hi &gt; lo.</summary>
    EventHash Hash(long lo, long hi);
}

/// <summary>RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency): proofs over a range hasher, and their verification.</summary>
public static class MerkleProofs
{
    /// <summary>PATH(m, D[lo:hi]): the audit path of leaf <paramref name="m"/> (0-based, relative to lo), bottom up.</summary>
    internal static List<EventHash> InclusionPath(IRangeHasher tree, long m, long treeSize)
    {
        var path = new List<EventHash>();
        Path(tree, m, 0, treeSize, path);
        return path;
    }

    /// <summary>PROOF(m, D[n]): the consistency proof that the tree of size n extends the tree of size m.</summary>
    internal static List<EventHash> ConsistencyProof(IRangeHasher tree, long m, long n)
    {
        var proof = new List<EventHash>();
        if (m > 0 && m < n) SubProof(tree, m, 0, n, true, proof);
        return proof;
    }

    private static void Path(IRangeHasher tree, long m, long lo, long hi, List<EventHash> path)
    {
        var n = hi - lo;
        if (n <= 1) return;
        var k = MerkleHash.Split(n);
        if (m < k)
        {
            Path(tree, m, lo, lo + k, path);
            path.Add(tree.Hash(lo + k, hi));
        }
        else
        {
            Path(tree, m - k, lo + k, hi, path);
            path.Add(tree.Hash(lo, lo + k));
        }
    }

    private static void SubProof(IRangeHasher tree, long m, long lo, long hi, bool whole, List<EventHash> proof)
    {
        var n = hi - lo;
        if (m == n)
        {
            if (!whole) proof.Add(tree.Hash(lo, hi));
            return;
        }
        var k = MerkleHash.Split(n);
        if (m <= k)
        {
            SubProof(tree, m, lo, lo + k, whole, proof);
            proof.Add(tree.Hash(lo + k, hi));
        }
        else
        {
            SubProof(tree, m - k, lo + k, hi, false, proof);
            proof.Add(tree.Hash(lo, lo + k));
        }
    }

    /// <summary>
    /// RFC 9162 §2.1.3.2: whether <paramref name="path"/> proves leaf <paramref name="index"/> (with leaf hash
    /// <paramref name="leafHash"/>) in the tree of <paramref name="treeSize"/> leaves with root <paramref name="root"/>.
    /// </summary>
    public static bool VerifyInclusion(EventHash leafHash, long index, long treeSize, IReadOnlyList<EventHash> path, EventHash root)
    {
        if (index < 0 || index >= treeSize) return false;
        long fn = index, sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    /// <summary>RFC 9162 §2.1.4.2: whether <paramref name="proof"/> shows that tree (second, secondRoot) extends (first, firstRoot).</summary>
    public static bool VerifyConsistency(long first, EventHash firstRoot, long second, EventHash secondRoot, IReadOnlyList<EventHash> proof)
    {
        if (first < 0 || first > second) return false;
        if (first == second) return proof.Count == 0 && firstRoot == secondRoot;
        if (first == 0) return proof.Count == 0 && firstRoot == MerkleHash.EmptyRoot;
        if (proof.Count == 0) return false;
        var path = new List<EventHash>(proof.Count + 1);
        if ((first & (first - 1)) == 0) path.Add(firstRoot);
        path.AddRange(proof);
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        EventHash fr = path[0], sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return fr == firstRoot && sr == secondRoot && sn == 0;
    }
}
