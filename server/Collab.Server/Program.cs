// Placeholder host until the realtime server issue lands: it serves health only.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
app.Run();
public partial class Program;
