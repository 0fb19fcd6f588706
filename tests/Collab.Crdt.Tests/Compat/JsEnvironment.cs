using System.Reflection;

namespace Collab.Crdt.Tests.Compat;

/// <summary>Where the pinned yjs peers, their generated fixtures and the shared editing traces live.</summary>
internal static class JsEnvironment
{
    private static readonly Lazy<string> s_jsDir = new(() => Metadata("CollabJsDir"));
    private static readonly Lazy<string> s_repoRoot = new(() => Metadata("CollabRepoRoot"));

    /// <summary>tests/js: package.json, peer.mjs, gen-fixtures.mjs.</summary>
    public static string JsDir => s_jsDir.Value;

    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>Written by the build (CollabYjsFixtures target in the csproj) with gen-fixtures.mjs.</summary>
    public static string FixturesFile => Path.Combine(JsDir, "fixtures-out", "fixtures.json");

    /// <summary>
    /// The editing traces sit beside the repository in shared/data (CI lays shared/ beside its clone);
    /// COLLAB_EDITING_TRACES overrides. A missing folder fails the tests that need it, loudly.
    /// </summary>
    public static string TracesDir
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("COLLAB_EDITING_TRACES");
            if (!string.IsNullOrEmpty(env))
            {
                return env;
            }

            for (var dir = new DirectoryInfo(RepoRoot); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "data", "editing-traces");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException(
                $"Editing traces not found: looked for shared/data/editing-traces above {RepoRoot}; set COLLAB_EDITING_TRACES.");
        }
    }

    public static string Trace(string name) => Path.Combine(TracesDir, name + ".json.gz");

    private static string Metadata(string key) =>
        typeof(JsEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} missing: see Collab.Crdt.Tests.csproj");
}
