namespace Collab.Crdt.Benchmarks;

/// <summary>Finds shared/data/editing-traces above the working or binary directory (COLLAB_EDITING_TRACES overrides).</summary>
internal static class TraceLocator
{
    public static string Find(string name)
    {
        string? env = Environment.GetEnvironmentVariable("COLLAB_EDITING_TRACES");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.Combine(env, name + ".json.gz");
        }

        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "data", "editing-traces", name + ".json.gz");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException($"{name}.json.gz not found above {Environment.CurrentDirectory}; set COLLAB_EDITING_TRACES");
    }
}
