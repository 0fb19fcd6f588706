using Collab.Crdt.Document;

namespace Collab.Crdt;

public static partial class YUpdate
{
    /// <summary>
    /// Converts an update in yjs's v2 format (<c>encodeStateAsUpdateV2</c>, the <c>updateV2</c> event) to v1, as
    /// yjs's <c>convertUpdateFormatV2ToV1</c> does, so that the document-free operations (v1 only) can work on it.
    /// </summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static byte[] ConvertV2ToV1(byte[] update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return UpdateFormat.Convert(update, fromV2: true);
    }

    /// <summary>Converts a v1 update to yjs's v2 format, as yjs's <c>convertUpdateFormatV1ToV2</c> does.</summary>
    /// <exception cref="YjsFormatException">The update is malformed.</exception>
    public static byte[] ConvertV1ToV2(byte[] update)
    {
        ArgumentNullException.ThrowIfNull(update);

        // v2 writes deleted lengths minus one: UpdateFormat rejects an empty range (yjs throws there too).
        return UpdateFormat.Convert(update, fromV2: false);
    }
}
