using Collab.Crdt;
using Collab.Crdt.Document;

namespace Collab.Documents.Tests;

/// <summary>Edits of a test document's <c>text</c> root, each returned as the v1 update it produced.</summary>
internal static class TextEdits
{
    /// <summary>Appends <paramref name="text"/> at the end.</summary>
    public static byte[] Append(YDoc doc, string text) => Capture(doc, () => doc.GetText("text").Insert(doc.GetText("text").Length, text));

    /// <summary>Runs <paramref name="edit"/> in one transaction and returns what it emitted as one update.</summary>
    public static byte[] Capture(YDoc doc, Action edit)
    {
        var updates = new List<byte[]>();
        void OnUpdate(byte[] u, object? _) => updates.Add(u);
        doc.UpdateV1 += OnUpdate;
        doc.Transact(edit);
        doc.UpdateV1 -= OnUpdate;
        return updates.Count == 1 ? updates[0] : YUpdate.Merge(updates);
    }
}
