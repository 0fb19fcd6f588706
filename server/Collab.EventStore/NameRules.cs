namespace Collab.EventStore;

/// <summary>
/// The rules for document ids, branch names and event kinds. Names are case-sensitive and compared ordinally.
/// </summary>
/// <remarks>
/// Document ids: 1–128 characters of <c>[A-Za-z0-9._-]</c>, not starting with '.' or '-'.
/// Branch names: 1–128 characters of <c>[A-Za-z0-9._/-]</c>, not starting or ending with '/', no "//",
/// no segment equal to "." or "..". Event kinds: 1–32 characters of <c>[a-z0-9._-]</c>.
/// The rules keep names safe in URLs, file names and log lines, and make '/' unambiguous as a separator.
/// </remarks>
public static class NameRules
{
    /// <summary>Longest document id or branch name, in characters.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Longest event kind, in characters.</summary>
    public const int MaxKindLength = 32;

    /// <summary>Returns null when <paramref name="value"/> is a valid document id, else why it is not.</summary>
    public static string? DocumentIdError(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "a document id must not be empty";
        if (value.Length > MaxNameLength) return $"a document id must be at most {MaxNameLength} characters (got {value.Length})";
        if (value[0] is '.' or '-') return "a document id must not start with '.' or '-'";
        foreach (var c in value)
        {
            if (!IsPlain(c)) return $"a document id may contain only A-Z, a-z, 0-9, '.', '_' and '-' (found '{Printable(c)}')";
        }

        return null;
    }

    /// <summary>Returns null when <paramref name="value"/> is a valid branch name, else why it is not.</summary>
    public static string? BranchNameError(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "a branch name must not be empty";
        if (value.Length > MaxNameLength) return $"a branch name must be at most {MaxNameLength} characters (got {value.Length})";
        if (value[0] is '/' or '.' or '-' || value[^1] == '/') return "a branch name must not start with '/', '.' or '-', nor end with '/'";
        foreach (var c in value)
        {
            if (!IsPlain(c) && c != '/') return $"a branch name may contain only A-Z, a-z, 0-9, '.', '_', '-' and '/' (found '{Printable(c)}')";
        }

        foreach (var segment in value.Split('/'))
        {
            if (segment.Length == 0) return "a branch name must not contain \"//\"";
            if (segment is "." or "..") return "a branch name must not contain a \".\" or \"..\" segment";
        }

        return null;
    }

    /// <summary>Returns null when <paramref name="value"/> is a valid event kind, else why it is not.</summary>
    public static string? KindError(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "an event kind must not be empty";
        if (value.Length > MaxKindLength) return $"an event kind must be at most {MaxKindLength} characters (got {value.Length})";
        foreach (var c in value)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-')) return $"an event kind may contain only a-z, 0-9, '.', '_' and '-' (found '{Printable(c)}')";
        }

        return null;
    }

    private static bool IsPlain(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-';

    private static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : c.ToString();
}
