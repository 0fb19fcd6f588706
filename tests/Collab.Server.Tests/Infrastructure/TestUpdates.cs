using Collab.Crdt.Document;

namespace Collab.Server.Tests.Infrastructure;

/// <summary>Real Yjs updates made by a throwaway document.</summary>
internal static class TestUpdates
{
    /// <summary>The update of a fresh document (client <paramref name="clientId"/>) inserting <paramref name="text"/>.</summary>
    public static byte[] Insert(uint clientId, string text)
    {
        var doc = new YDoc(new YDocOptions { ClientId = clientId });
        byte[]? update = null;
        doc.UpdateV1 += (u, _) => update = u;
        doc.GetText("text").Insert(0, text);
        return update ?? throw new InvalidOperationException("The edit emitted no update.");
    }
}
