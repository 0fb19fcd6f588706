namespace Collab.Documents.Access;

/// <summary>A user's role on one document. Absence of a grant is <see cref="None"/>: deny by default.</summary>
public enum DocumentRole
{
    /// <summary>No access at all.</summary>
    None = 0,

    /// <summary>Reads history (events, verification) and live content; cannot edit.</summary>
    Auditor = 1,

    /// <summary>Reads live content and shares presence; its updates are refused.</summary>
    Viewer = 2,

    /// <summary>Reads and edits.</summary>
    Editor = 3,

    /// <summary>Edits, reads history and grants or revokes roles.</summary>
    Owner = 4,
}

/// <summary>What each role may do. The one place these rules live, so the hub and REST cannot disagree.</summary>
public static class DocumentRoles
{
    /// <summary>Join a branch, receive its content, read metadata.</summary>
    public static bool CanRead(this DocumentRole role) => role != DocumentRole.None;

    /// <summary>Store updates (SyncStep2, Update).</summary>
    public static bool CanWrite(this DocumentRole role) => role is DocumentRole.Owner or DocumentRole.Editor;

    /// <summary>Fork a branch (editors and owners: forking writes branch metadata only).</summary>
    public static bool CanFork(this DocumentRole role) => role is DocumentRole.Owner or DocumentRole.Editor;

    /// <summary>Merge one branch into another (owners).</summary>
    public static bool CanMerge(this DocumentRole role) => role == DocumentRole.Owner;

    /// <summary>Read the event log and verify it.</summary>
    public static bool CanReadHistory(this DocumentRole role) => role is DocumentRole.Owner or DocumentRole.Auditor;

    /// <summary>Grant and revoke roles.</summary>
    public static bool CanManage(this DocumentRole role) => role == DocumentRole.Owner;

    /// <summary>The wire name ("owner", "editor", "viewer", "auditor"; "none").</summary>
    public static string ToWire(this DocumentRole role) => role switch
    {
        DocumentRole.Owner => "owner",
        DocumentRole.Editor => "editor",
        DocumentRole.Viewer => "viewer",
        DocumentRole.Auditor => "auditor",
        _ => "none",
    };

    /// <summary>Parses a wire name; <see cref="DocumentRole.None"/> is not a grantable role and is refused.</summary>
    public static bool TryParseGrantable(string? value, out DocumentRole role)
    {
        role = value?.Trim().ToLowerInvariant() switch
        {
            "owner" => DocumentRole.Owner,
            "editor" => DocumentRole.Editor,
            "viewer" => DocumentRole.Viewer,
            "auditor" => DocumentRole.Auditor,
            _ => DocumentRole.None,
        };
        return role != DocumentRole.None;
    }
}
