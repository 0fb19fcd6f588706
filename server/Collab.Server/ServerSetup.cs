using System.Threading.RateLimiting;
using Collab.Documents.Access;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Auth;
using Collab.Server.Endpoints;
using Collab.Server.Hubs;
using Collab.Server.Options;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Collab.Server;

/// <summary>Service registration and the request pipeline of the host.</summary>
internal static class ServerSetup
{
    public static WebApplicationBuilder AddCollabServer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<CollabServerOptions>().BindConfiguration(CollabServerOptions.Section).ValidateOnStart()
            // A relative data folder means "relative to the content root", whatever the working directory is.
            .PostConfigure<IHostEnvironment>((options, environment) => options.DataFolder = Path.GetFullPath(options.DataFolder, environment.ContentRootPath));
        services.AddSingleton<IValidateOptions<CollabServerOptions>, CollabServerOptionsValidator>();
        services.AddSingleton<IValidateOptions<CollabServerOptions>, CollabAuthValidator>();
        services.AddOptions<LiveSessionOptions>().BindConfiguration(LiveSessionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LiveSessionOptions>, SessionOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IEventStore>(sp => StoreFactory.Create(sp.GetRequiredService<IOptions<CollabServerOptions>>().Value));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CollabServerOptions>>().Value;
            return new DocumentDirectory(options.InMemory ? null : Path.Combine(options.DataFolder, "directory.jsonl"));
        });
        services.AddSingleton<DocumentCatalog>();
        services.AddSingleton<ICrdtDocumentFactory, YDocFactory>();
        services.AddSingleton<ConnectionRegistry>();
        // The registry is the broadcaster: broadcasts go to its joined connections' outboxes.
        services.AddSingleton<IBranchBroadcaster>(sp => sp.GetRequiredService<ConnectionRegistry>());
        services.AddSingleton<SessionManager>();
        services.AddSingleton<HubMembership>();
        services.AddSingleton<HubLifetimeManager<DocumentHub>, TrackingHubLifetimeManager>();
        services.AddHostedService<SessionHost>();

        services.AddCollabAuth();
        services.AddSingleton<HubGuardFilter>();
        services.AddSignalR(hub =>
            {
                hub.EnableDetailedErrors = false;
                hub.AddFilter<HubGuardFilter>();
            })
            .AddMessagePackProtocol();
        // SignalR's 32 KB default cannot carry a first sync of a real document.
        services.AddOptions<HubOptions>().Configure<IOptions<CollabServerOptions>>((hub, options) =>
        {
            hub.MaximumReceiveMessageSize = options.Value.Limits.MaxMessageBytes;
            hub.MaximumParallelInvocationsPerClient = options.Value.Limits.MaxParallelInvocationsPerConnection;
        });

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(DocumentEndpoints.RateLimitPolicy, http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<IOptions<CollabServerOptions>>().Value.RateLimits.RestRequestsPerMinute;
                var key = http.User.Identity?.IsAuthenticated == true ? "u:" + HubUser.NameOf(http.User) : "ip:" + http.Connection.RemoteIpAddress;
                return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<CollabExceptionHandler>();
        services.AddOpenApi();
        services.AddHealthChecks();
        return builder;
    }

    public static WebApplication MapCollab(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The landing page, and the browser sample when it has been built into wwwroot/app (served under /app/).
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.MapScalarApiReference();
        app.MapHealthChecks("/healthz");
        app.MapDocumentEndpoints();
        var options = app.Services.GetRequiredService<IOptions<CollabServerOptions>>().Value;
        var devTokens = options.Auth.DevTokens ?? app.Environment.IsDevelopment();
        if (devTokens) app.MapDevTokenEndpoint();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Collab.Server");
        app.Lifetime.ApplicationStarted.Register(() => ServerLog.Started(logger, options.DataFolder, options.InMemory ? "in-memory" : "LiteDB", devTokens));
        app.MapHub<DocumentHub>(AuthSetup.HubPath, hub => hub.AllowStatefulReconnects = false);
        return app;
    }
}

/// <summary>Data-annotation checks on the session options, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class SessionOptionsValidator : IValidateOptions<LiveSessionOptions>;
