using System.Reflection;
using Collab.Server;
using Microsoft.Extensions.Options;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddCollabServer();
    var app = builder.Build();
    app.MapCollab();
    app.Run();
    return 0;
}
catch (OptionsValidationException ex) when (Assembly.GetEntryAssembly() == typeof(Program).Assembly)
{
    // A configuration mistake is the operator's to fix: say what is wrong, without a stack trace, and fail the start.
    // (Only when this is the process's program: a test host running Program wants the exception itself.)
    Console.Error.WriteLine("Collab server: the configuration is invalid, so the server did not start:");
    foreach (var failure in ex.Failures) Console.Error.WriteLine("  - " + failure);
    return 2;
}

/// <summary>The host's entry point (public for WebApplicationFactory).</summary>
public partial class Program;
