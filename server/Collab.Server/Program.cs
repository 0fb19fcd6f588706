using Collab.Server;

var builder = WebApplication.CreateBuilder(args);
builder.AddCollabServer();
var app = builder.Build();
app.MapCollab();
app.Run();

/// <summary>The host's entry point (public for WebApplicationFactory).</summary>
public partial class Program;
