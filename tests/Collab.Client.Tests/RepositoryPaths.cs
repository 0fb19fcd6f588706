using System.Reflection;

namespace Collab.Client.Tests;

/// <summary>Build-time paths baked into the test assembly so the tests find the repository from any working folder.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
internal sealed class RepositoryPathsAttribute(string root, string webApp) : Attribute
{
    public string Root { get; } = root;

    public string WebApp { get; } = webApp;

    public static RepositoryPathsAttribute Current { get; } =
        typeof(RepositoryPathsAttribute).Assembly.GetCustomAttribute<RepositoryPathsAttribute>()
        ?? throw new InvalidOperationException("RepositoryPathsAttribute missing from the test assembly.");
}
