using Collab.Crdt.Document;
using Collab.Crdt.Merging;

namespace Collab.Crdt.Tests.Merging;

/// <summary>Branches as documents: fork = a gc-off copy written by a fresh client id.</summary>
internal static class MergeTestKit
{
    public static YDoc NewDoc(uint clientId) => new(new YDocOptions { ClientId = clientId, Gc = false });

    public static YDoc Fork(YDoc from, uint clientId)
    {
        var doc = NewDoc(clientId);
        doc.ApplyUpdate(from.EncodeStateAsUpdate());
        doc.ClientId = clientId;
        return doc;
    }

    /// <summary>Applies an update to a copy of <paramref name="doc"/> that keeps writing as <paramref name="clientId"/>.</summary>
    public static YDoc With(YDoc doc, byte[] update, uint clientId)
    {
        var copy = Fork(doc, clientId);
        copy.ApplyUpdate(update);
        copy.ClientId = clientId;
        return copy;
    }

    /// <summary>Merges source into target in place (what the server appends) and returns the analysis.</summary>
    public static MergeAnalysis MergeInto(YDoc target, YDoc source, string mergeId = "m1", MergeStrictness strictness = MergeStrictness.Default)
    {
        var analysis = MergeAnalyzer.Analyze(target, source, mergeId, strictness);
        uint id = target.ClientId;
        target.ApplyUpdate(analysis.Update);
        target.ClientId = id;
        return analysis;
    }

    public static int Index(YDoc doc, byte[]? relative) => YRelativePosition.Decode(relative!).ToAbsolute(doc)!.Index;
}
