using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Collab.Server.Options;

/// <summary>Everything the host can be told, bound from the <c>Collab</c> configuration section.</summary>
public sealed class CollabServerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Collab";

    /// <summary>Folder for the LiteDB event log, the document directory and the development signing key.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    /// <summary>
    /// Whether an append is fsynced before it is acknowledged (<c>Fsync</c>, the default and the only setting under which an
    /// acknowledged update survives a power loss) or left to the OS (<c>OsBuffered</c>, for benchmarks).
    /// </summary>
    public Collab.EventStore.LiteDb.Durability Durability { get; set; } = Collab.EventStore.LiteDb.Durability.Fsync;

    /// <summary>Use an in-memory event store instead of LiteDB (tests and demos; nothing survives a restart).</summary>
    public bool InMemory { get; set; }

    /// <summary>Size and count limits.</summary>
    [ValidateObjectMembers]
    public LimitOptions Limits { get; set; } = new();

    /// <summary>Per-user rate limits.</summary>
    [ValidateObjectMembers]
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Authentication settings.</summary>
    [ValidateObjectMembers]
    public AuthOptions Auth { get; set; } = new();

    /// <summary>
    /// Serves the OpenAPI document (<c>/openapi/v1.json</c>) and the API reference (<c>/scalar</c>) to anyone. Null means
    /// "only in Development": elsewhere they describe the attack surface to strangers unless asked for.
    /// </summary>
    public bool? OpenApi { get; set; }
}

/// <summary>Limits set on purpose; docs/protocol.md lists them with their defaults.</summary>
public sealed class LimitOptions
{
    /// <summary>
    /// SignalR's maximum receive message size. SignalR's own default (32 KB) is too small: a first SyncStep2 carries
    /// the whole document.
    /// </summary>
    [Range(64 * 1024, 256L * 1024 * 1024)]
    public long MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The largest update (inside SyncStep2 or Update) the server accepts.</summary>
    /// <remarks>Kept at half the store's payload limit (8 MiB) so that what the document emits for it always fits.</remarks>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxUpdateBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The largest awareness update the server relays.</summary>
    [Range(256, 16 * 1024 * 1024)]
    public int MaxAwarenessBytes { get; set; } = 64 * 1024;

    /// <summary>How many (document, branch) pairs one connection may join at once.</summary>
    [Range(1, 10_000)]
    public int MaxBranchesPerConnection { get; set; } = 64;

    /// <summary>
    /// Hub calls one connection may have running at once (SignalR's own default is 1). Above 1 an editor can pipeline
    /// updates: its next Sync no longer waits for the previous one's durable append, so one branch's queued updates
    /// share an append. Calls start in arrival order (each reaches its branch queue before the next is read).
    /// </summary>
    [Range(1, 1024)]
    public int MaxParallelInvocationsPerConnection { get; set; } = 32;

    /// <summary>
    /// Hub connections one user may hold open at once; more are closed at once with <c>too_many_connections</c>. Keeps one
    /// account from exhausting the server; a user with many tabs or devices needs one connection each.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConnectionsPerUser { get; set; } = 64;

    /// <summary>
    /// Messages that may wait to be sent to one connection (broadcast updates and awareness). Broadcasts never wait for
    /// a connection; one that falls this far behind is dropped, and reconnects and resyncs.
    /// </summary>
    [Range(16, 1_000_000)]
    public int MaxOutboxMessages { get; set; } = 4096;

    /// <summary>
    /// Bytes that may wait to be sent to one connection; past this it is dropped, like <see cref="MaxOutboxMessages"/>.
    /// One message larger than this still goes out when nothing else is waiting.
    /// </summary>
    [Range(64 * 1024, 4L * 1024 * 1024 * 1024)]
    public long MaxOutboxBytes { get; set; } = 32 * 1024 * 1024;
}

/// <summary>Per-user rate limits (partitioned by the authenticated user name).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained hub invocations per second per user.</summary>
    [Range(1, 1_000_000)]
    public int HubMessagesPerSecond { get; set; } = 200;

    /// <summary>Hub invocations a user may send in a burst above the sustained rate.</summary>
    [Range(1, 10_000_000)]
    public int HubBurst { get; set; } = 400;

    /// <summary>REST requests per minute per user (or per remote address when anonymous).</summary>
    [Range(1, 10_000_000)]
    public int RestRequestsPerMinute { get; set; } = 600;
}

/// <summary>JWT bearer settings. Outside Development a signing key or an authority is required.</summary>
public sealed class AuthOptions
{
    /// <summary>Symmetric HMAC-SHA256 signing key (at least 32 bytes of text) for tokens this server issues and validates.</summary>
    public string? SigningKey { get; set; }

    /// <summary>An OpenID Connect authority whose tokens are accepted instead of (or besides) the signing key.</summary>
    public string? Authority { get; set; }

    /// <summary>Expected token issuer for signing-key tokens.</summary>
    [Required]
    public string Issuer { get; set; } = "collab";

    /// <summary>Expected token audience.</summary>
    [Required]
    public string Audience { get; set; } = "collab";

    /// <summary>
    /// Serves <c>POST /api/dev/token</c>. Null means "only in Development"; set true elsewhere only for demos.
    /// </summary>
    public bool? DevTokens { get; set; }

    /// <summary>Lifetime of development tokens.</summary>
    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(12);
}
