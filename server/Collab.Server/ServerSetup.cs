using System.Globalization;
using System.Threading.RateLimiting;
using Collab.Documents;
using Collab.Documents.Access;
using Collab.Documents.Branching;
using Collab.Documents.History;
using Collab.Documents.Sessions;
using Collab.EventStore;
using Collab.Server.Auth;
using Collab.Server.Diagnostics;
using Collab.Server.Endpoints;
using Collab.Server.Hubs;
using Collab.Server.Options;
using Collab.Server.Protocols;
using Collab.Server.Protocols.Hocuspocus;
using Collab.Server.Protocols.YWebsocket;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
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
        services.AddSingleton<IEventStore>(sp => StoreFactory.Create(sp.GetRequiredService<IOptions<CollabServerOptions>>().Value, sp.GetRequiredService<IOptions<LiveSessionOptions>>().Value));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CollabServerOptions>>().Value;
            return new DocumentDirectory(options.InMemory ? null : Path.Combine(options.DataFolder, "directory.jsonl"));
        });
        services.AddSingleton(sp => new DocumentCatalog(
            sp.GetRequiredService<IEventStore>(),
            sp.GetRequiredService<DocumentDirectory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DirectoryLog>()));
        services.AddSingleton<ICrdtDocumentFactory, YDocFactory>();
        services.AddOptions<MergeOptions>().BindConfiguration(MergeOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MergeOptions>, MergeOptionsValidator>();
        services.AddSingleton<BranchService>();
        services.AddSingleton<MergeService>();
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>();
        services.AddSingleton(sp => new HistoryIndex(sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IOptions<CacheOptions>>().Value));
        services.AddSingleton<ContentService>();
        services.AddSingleton<DiffService>();
        services.AddSingleton<BlameService>();
        services.AddSingleton<ActivityService>();
        services.AddSingleton<VersionService>();
        services.AddSingleton<BranchNotifier>();
        services.AddSingleton<DecisionGate>();
        services.AddSingleton<ResolutionService>();
        services.AddSingleton<RevertService>();
        services.AddSingleton<ConnectionRegistry>();
        // Broadcasts go to the joined hub connections' outboxes and to the joined raw sockets' (y-websocket).
        services.AddSingleton<SocketRegistry>();
        services.AddSingleton<SocketTokens>();
        services.AddSingleton<IBranchBroadcaster, BroadcastFanOut>();
        services.AddSingleton<SessionManager>();
        services.AddSingleton<HubMembership>();
        services.AddSingleton<HubLifetimeManager<DocumentHub>, TrackingHubLifetimeManager>();
        services.AddHostedService<SessionHost>();

        services.AddCollabAuth();
        // Proposals, protected branches, settings and the audit trail (docs/branching.md); the records projection is also
        // the sessions' write guard (client edits on a protected branch are refused).
        services.AddSingleton(sp => new DocumentRecords(sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<IOptions<CacheOptions>>().Value));
        services.AddSingleton<IBranchWriteGuard>(sp => sp.GetRequiredService<DocumentRecords>());
        services.AddSingleton<ProposalService>();
        services.AddSingleton<ProtectionService>();
        services.AddSingleton<SettingsService>();
        services.AddSingleton<AuditService>();
        // Creation, titles and roles are events in each document's log; the directory is rebuilt from them at startup.
        services.AddSingleton<DirectoryLog>();
        services.AddHostedService<DirectoryStartup>();
        services.AddSingleton(sp =>
        {
            // The trees' block roots are kept in <data>/merkle (docs/verification.md, "Persisted trees").
            var server = sp.GetRequiredService<IOptions<CollabServerOptions>>().Value;
            return new Collab.EventStore.Merkle.BranchMerkleTrees(
                sp.GetRequiredService<IEventStore>(), maxCacheBytes: sp.GetRequiredService<IOptions<CacheOptions>>().Value.MerkleMaxBytes,
                files: server.InMemory ? null : new Collab.EventStore.Merkle.MerkleTreeFiles(Path.Combine(server.DataFolder, "merkle")));
        });
        services.AddSingleton<Collab.Documents.Proofs.ProofService>();
        services.AddSingleton<Collab.Documents.Proofs.DocumentTransfer>();
        services.AddSingleton<HubRateLimiter>();
        services.AddSingleton<RefusalLogThrottle>();
        services.AddSingleton<HubGuardFilter>();
        services.AddSingleton<ConnectionCapFilter>();
        services.AddFootprintAccount();
        services.AddSignalR(hub =>
            {
                hub.EnableDetailedErrors = false;
                hub.AddFilter<HubGuardFilter>();
                hub.AddFilter<ConnectionCapFilter>();
            })
            .AddMessagePackProtocol();
        InvalidArgumentsProtocol.WrapAll(services);
        // SignalR logs every exception a hub method throws at error level with its stack trace, refusals included (a
        // HubException is how a refusal reaches the caller). HubGuardFilter turns every exception into one and logs
        // it itself (refusals briefly and throttled, real failures with their stack trace), so those entries say
        // nothing new and one client could flood the log with them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical);
        // SignalR's 32 KB default cannot carry a first sync of a real document.
        services.AddOptions<HubOptions>().Configure<IOptions<CollabServerOptions>>((hub, options) =>
        {
            hub.MaximumReceiveMessageSize = options.Value.Limits.MaxMessageBytes;
            hub.MaximumParallelInvocationsPerClient = options.Value.Limits.MaxParallelInvocationsPerConnection;
        });

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectedAsync;
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
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // The landing page, and the browser sample when it has been built into wwwroot/app (served under /app/).
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        var options = app.Services.GetRequiredService<IOptions<CollabServerOptions>>().Value;
        var openApi = options.OpenApi ?? app.Environment.IsDevelopment();
        if (openApi)
        {
            app.MapOpenApi();
            app.MapScalarApiReference();
        }
        app.MapHealthChecks("/healthz");
        app.MapDocumentEndpoints();
        app.MapBranchEndpoints();
        app.MapDecisionEndpoints();
        app.MapProposalEndpoints();
        app.MapAuditEndpoints();
        app.MapHistoryEndpoints();
        app.MapProofEndpoints();
        var devTokens = options.Auth.DevTokens ?? app.Environment.IsDevelopment();
        if (devTokens) app.MapDevTokenEndpoint();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Collab.Server");
        app.Lifetime.ApplicationStarted.Register(() => ServerLog.Started(logger, options.DataFolder, options.InMemory ? "in-memory" : "LiteDB", devTokens, openApi));
        app.MapHub<DocumentHub>(AuthSetup.HubPath, hub => hub.AllowStatefulReconnects = false);
        app.MapYWebsocket();
        app.MapHocuspocus();
        app.MapFootprintEndpoint();
        return app;
    }

    /// <summary>A 429 that says when to retry (<c>Retry-After</c>) and why, as problem details with the code <c>rate_limited</c>.</summary>
    private static async ValueTask RejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var perMinute = http.RequestServices.GetRequiredService<IOptions<CollabServerOptions>>().Value.RateLimits.RestRequestsPerMinute;
        var code = CollabException.CodeNameOf(CollabErrorCode.RateLimited);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = code,
                Detail = $"Too many requests: the limit is {perMinute} per minute per user. Retry after {seconds} s.",
                Type = $"https://collab.invalid/errors/{code}",
            },
        });
    }
}

/// <summary>Data-annotation checks on the session options, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class SessionOptionsValidator : IValidateOptions<LiveSessionOptions>;

/// <summary>Data-annotation checks on the merge options, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class MergeOptionsValidator : IValidateOptions<MergeOptions>;

/// <summary>Data-annotation checks on the cache bounds, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class CacheOptionsValidator : IValidateOptions<CacheOptions>;
